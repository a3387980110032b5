"""What each colour, size and direction word means to the judge, in pixels.

Written out here rather than imported from `world/attributes.py`, on purpose: the judge is the
world's examiner, and an examiner that reads its answer key from the thing it examines passes
whatever that thing does (with red and blue swapped in the world's palette, every world, judge
and pipeline test still passed). Colours are hue rules, not the world's RGBs; sizes and
directions are what the words mean. `tests/test_judge.py` renders a clip of every colour, size
and direction and checks that it reads back right, so a change on either side fails there
instead of moving both sides together.
"""
from __future__ import annotations

# Each chromatic colour name is its conventional hue on the colour wheel (degrees); an object
# reads as the name whose hue is nearest its own. Hue ignores how light or washed-out a colour
# is, so blur into the background and MP4 chroma loss move it little.
HUES: dict[str, float] = {
    "red": 0.0, "orange": 30.0, "yellow": 60.0, "green": 120.0,
    "cyan": 180.0, "blue": 240.0, "purple": 280.0,
}
# "black" is the one achromatic name: an object whose chroma (largest minus smallest RGB
# channel, 0..1) is below this has no hue to read. Greys read as black too.
ACHROMATIC_BELOW = 0.25
ACHROMATIC = "black"
COLOR_NAMES: tuple[str, ...] = (*HUES, ACHROMATIC)

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

# Where a relation puts its first object against its second: (the axis, whether the first
# object comes first along it: left before right, top before bottom; None: either side).
# "next to" is beside, on either side.
RELATION_AXES: dict[str, tuple[str, bool | None]] = {
    "above": ("vertical", True), "below": ("vertical", False),
    "left_of": ("horizontal", True), "right_of": ("horizontal", False),
    "next_to": ("horizontal", None),
}
