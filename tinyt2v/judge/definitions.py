"""What each colour, size and direction word means to the judge, in pixels.

Written out here rather than imported from `world/attributes.py`, on purpose: the judge is the
world's examiner, and an examiner that reads its answer key from the thing it examines passes
whatever that thing does (with red and blue swapped in the world's palette, every world, judge
and pipeline test still passed). The values agree with the world's today; `tests/test_judge.py`
renders a clip of every colour, size and direction and checks that it reads back right, so a
change on either side fails there instead of moving both sides together.
"""
from __future__ import annotations

# The reference RGB of each colour name; an object reads as the name whose reference is nearest
# its measured colour. These are the RGBs the world draws with, chosen there to be > 80 apart so
# noise, blur and MP4 compression keep a clip nearest its own name.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (215, 25, 35),
    "orange": (255, 125, 0),
    "yellow": (235, 210, 0),
    "green": (20, 150, 40),
    "cyan": (0, 190, 210),
    "blue": (30, 60, 230),
    "purple": (140, 40, 180),
    "black": (25, 25, 25),
}

# The equal-area radius (64-px-frame pixels) each size word spans, smallest first. Between two
# ranges lies a 1-px gap no clip is drawn in; the judge splits each gap at its middle, the point
# farthest from both ranges, so blur and quantisation have the most room on either side.
SIZE_RADII: dict[str, tuple[float, float]] = {
    "small": (4.5, 5.5),
    "medium": (6.5, 7.5),
    "large": (8.5, 9.5),
}
_RANGES = list(SIZE_RADII.values())
SIZE_SPLITS: tuple[float, ...] = tuple((below[1] + above[0]) / 2
                                       for below, above in zip(_RANGES, _RANGES[1:]))  # (6.0, 8.0)

# Screen direction (dx, dy) of each straight-motion word. Image rows grow downward, so "up" is
# dy = -1; diagonals are the sums of their two parts.
DIRECTIONS: dict[str, tuple[int, int]] = {
    "up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0),
    "up_left": (-1, -1), "up_right": (1, -1), "down_left": (-1, 1), "down_right": (1, 1),
}

# A centre that travels less than this (64-px-frame pixels) has stayed put, over the whole clip
# or along one axis. Measured on 1,500 default-world clips, clean and degraded (noise sigma 0.1
# + 3x3 blur): centres that stay put wander at most 0.36 px; the slowest move (1 px/frame for
# 16 frames) travels 14.8 px. 4 px also tells a slow move from a still object in clips as short
# as 6 frames.
STAYS_PUT_PX = 4.0
