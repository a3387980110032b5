"""Spatial relations between two objects of a scene at the first frame: "a red circle above a
blue square".

A relation says where its first object (the subject) starts against its second (the object):
above, below, left of, right of, or next to (left of or right of, either side). The world places
a related pair so that the relation's axis clearly dominates: the start offset along it is at
least AXIS_RATIO times the offset across it, and its sign is the relation's (image rows grow
downward, so "above" is a smaller y).

An arrangement is what a relation shows, whatever its wording: (axis, the shape first along it,
the shape second): "a circle above a square" and "a square below a circle" are both (vertical,
circle, square). A fixed share of arrangements is held out of training (the `relation` split),
and so is one wording of each relation (the `relation_wording` split).
"""
from __future__ import annotations

import re
from functools import cache

import numpy as np

from .config import WorldConfig

RELATIONS = ("above", "below", "left_of", "right_of", "next_to")
# (relation, whether the subject comes first along its axis; None: either side)
AXIS = {"above": ("vertical", True), "below": ("vertical", False), "left_of": ("horizontal", True),
        "right_of": ("horizontal", False), "next_to": ("horizontal", None)}
WORDINGS = {  # each relation's training wordings, then the one only the relation_wording split uses
    "above": (("above", "over"), "on top of"),
    "below": (("below", "under"), "beneath"),
    "left_of": (("to the left of", "left of"), "on the left of"),
    "right_of": (("to the right of", "right of"), "on the right of"),
    "next_to": (("next to", "beside"), "at the side of"),
}
# Wordings no caption uses that a prompt reader still reads as the relation (people's own)
READ_ALSO = {"above": ("atop", "higher than"), "below": ("underneath", "lower than"),
             "left_of": ("on the left side of",), "right_of": ("on the right side of",),
             "next_to": ("alongside of", "by the side of")}
AXIS_RATIO = 2.0        # a placed pair's offset along the relation's axis over the offset across it
HELD_SHARE = 0.2        # share of (axis, first shape, second shape) arrangements held out of training
RELATION_SEED = 20263   # fixes the held-out arrangements, so every checkout agrees
# Longest wordings first, so "to the left of" is read whole and not as "left of".
RELATION_OF = {w: r for r in RELATIONS for w in (*WORDINGS[r][0], WORDINGS[r][1], *READ_ALSO[r])}
PATTERN = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, RELATION_OF), key=len, reverse=True)) + r")\b")


def wordings(relation: str, held_out: bool) -> tuple[str, ...]:
    """The wordings a relation is captioned with: training's, or the held-out one."""
    train, held = WORDINGS[relation]
    return (held,) if held_out else train


@cache
def held_arrangements(world: WorldConfig) -> frozenset[tuple[str, str, str]]:
    """(axis, first shape, second shape) arrangements that training never shows."""
    rng = np.random.default_rng(RELATION_SEED)
    rows = [(axis, a, b) for axis in ("vertical", "horizontal") for a in world.shapes for b in world.shapes]
    return frozenset(r for r in rows if rng.random() < HELD_SHARE)


def arrangement(relation: str, subject: str, obj: str, subject_first: bool) -> tuple[str, str, str]:
    """The arrangement of a related pair of shapes; subject_first picks the side of next_to."""
    axis, first = AXIS[relation]
    first = subject_first if first is None else first
    return (axis, subject, obj) if first else (axis, obj, subject)


def placed_as(relation: str, subject_xy: np.ndarray, object_xy: np.ndarray, subject_first: bool) -> bool:
    """Whether two start positions (x, y px) show the relation clearly (AXIS_RATIO)."""
    dx, dy = (np.asarray(object_xy, float) - np.asarray(subject_xy, float))
    axis, first = AXIS[relation]
    first = subject_first if first is None else first
    along, across = (dy, dx) if axis == "vertical" else (dx, dy)
    return (along > 0) == first and abs(along) >= AXIS_RATIO * abs(across) and along != 0


def find_relation(text: str) -> tuple[str, int, int] | None:
    """(relation, start, end of its wording in the text) of the first relation wording in a
    caption, or None."""
    m = PATTERN.search(text.lower())
    return (RELATION_OF[m.group(0)], m.start(), m.end()) if m else None


def relation_words() -> frozenset[str]:
    """Every word of every relation wording."""
    return frozenset(t for r in RELATIONS for w in (*WORDINGS[r][0], WORDINGS[r][1]) for t in w.split())
