"""The world's vocabulary: shapes, colours, sizes, motions and speeds.

Everything here is public knowledge about the world; how a clip is drawn lives in `render.py`
and `motion.py`. The judge keeps its own copy of what the colour, size and direction words mean
(`judge/definitions.py`), so that a change here shows up as misread clips, not as a judge that
silently moves along.
"""
from __future__ import annotations

from dataclasses import dataclass

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star", "cross")

# Chosen to be far apart in RGB (min pairwise RGB distance > 80) and far from white,
# so a noisy, blurred or MP4-compressed clip still reads as the right name.
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

# Equal-area radius in pixels at 64 px frames (scaled with the frame). Ranges do not overlap,
# so size is a fact of the pixels: the judge splits in the middle of each gap.
SIZES: dict[str, tuple[float, float]] = {
    "small": (4.5, 5.5),
    "medium": (6.5, 7.5),
    "large": (8.5, 9.5),
}

MOTIONS: tuple[str, ...] = (
    "still",
    "up", "down", "left", "right",
    "up_left", "up_right", "down_left", "down_right",
    "rotate_cw", "rotate_ccw",
    "grow", "shrink",
    "bounce_vertical", "bounce_horizontal",
    "zigzag_horizontal", "zigzag_vertical",
)
ROTATIONS = ("rotate_cw", "rotate_ccw")
# A circle looks the same at every angle, so "a rotating circle" is never offered.
ROTATION_INVISIBLE = ("circle",)

# Unit direction (dx, dy) of the straight motions, in image coordinates (y points down).
DIRECTIONS: dict[str, tuple[int, int]] = {
    "up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0),
    "up_left": (-1, -1), "up_right": (1, -1), "down_left": (-1, 1), "down_right": (1, 1),
}


@dataclass(frozen=True)
class Speed:
    """How fast each kind of motion goes, in pixels at 64 px frames."""

    step: float    # px per frame for straight moves (per axis for diagonals) and zigzag progress
    spin: float    # degrees per frame for rotations
    growth: float  # end/start radius ratio for grow (shrink uses its inverse)
    swing: float   # peak-to-peak amplitude (px) of bounce and zigzag oscillations


SPEEDS: dict[str, Speed] = {
    "slow": Speed(step=1.0, spin=5.0, growth=1.6, swing=8.0),
    "normal": Speed(step=1.5, spin=8.0, growth=2.0, swing=11.0),
    "fast": Speed(step=2.0, spin=12.0, growth=2.5, swing=14.0),
}
# Oscillations (bounce, zigzag) repeat every this many frames.
SWING_PERIOD = 8


def valid_combo(shape: str, motion: str) -> bool:
    """Whether a shape can show a motion so that the pixels tell it."""
    return not (shape in ROTATION_INVISIBLE and motion in ROTATIONS)
