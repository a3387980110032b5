"""From a track to a reading: which shape, colour, size and motion a clip shows.

Every rule is geometry, with thresholds set halfway between what clean and degraded
(noise sigma 0.1 + 3x3 blur) world clips measure; `benchmarks/judge_accuracy.py` checks them.
What colour, size and direction words mean is in `definitions.py`, the judge's own, not the
world's. Lengths are in 64-px-frame pixels whatever the clip's size.
"""
from __future__ import annotations

import bisect
import colorsys
from dataclasses import asdict, dataclass, field

import numpy as np

from .definitions import (ACHROMATIC, ACHROMATIC_BELOW, DIRECTIONS, HUES, SIZE_RADII,
                          SIZE_SPLITS, STAYS_PUT_PX)
from .track import SHAPE_HARMONICS, Track, track

# Symmetry order whose angular moment identifies each non-circle shape.
ORDER = {"diamond": 2, "triangle": 3, "square": 4, "cross": 4, "star": 5}
_SIZES = tuple(SIZE_RADII)
_HEADING = {d: np.arctan2(dy, dx) for d, (dx, dy) in DIRECTIONS.items()}  # radians, y down


SEVERAL_OBJECTS = "more than one object"  # why a clip of several objects is unreadable here


@dataclass
class Reading:
    """What the judge sees in a clip; attributes are None when the clip is unreadable."""

    readable: bool
    shape: str | None = None
    color: str | None = None
    size: str | None = None
    motion: str | None = None
    speed: float | None = None      # px/frame (translations), deg/frame (rotations), ratio (grow)
    confidence: float = 0.0         # fraction of frames that agree with the clip's shape & colour
    why: str = ""                   # for unreadable clips, what went wrong
    temporal: dict = field(default_factory=dict)
    track: dict = field(default_factory=dict)  # per-frame centroid, radius, angle

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if not self.readable:
            return f"unreadable ({self.why})"
        return f"{self.size} {self.color} {self.shape} {self.motion.replace('_', ' ')}"


def classify_shape(moments: np.ndarray, spread: float) -> str:
    """Shape from rotation-invariant features: |angular moment| per harmonic and spread.

    A shape with k-fold symmetry has zero moments except at multiples of k, so the first
    strong harmonic names it; square and cross share 4-fold symmetry, and the cross is the
    one whose mass lies farther out (spread).
    """
    m = dict(zip(SHAPE_HARMONICS, np.abs(moments)))
    if m[2] > 0.2:
        return "diamond"
    if m[3] > 0.25:
        return "triangle"
    if m[5] > 0.2:
        return "star"
    if m[4] > 0.17:
        return "cross" if spread > 1.068 else "square"
    return "circle"


def classify_color(rgb: np.ndarray) -> str:
    """The colour name of an RGB in [0, 1]: achromatic, or the nearest named hue."""
    hue, _, _ = colorsys.rgb_to_hsv(*np.clip(rgb, 0, 1))
    if float(np.max(rgb) - np.min(rgb)) < ACHROMATIC_BELOW:
        return ACHROMATIC
    around = {name: abs((hue * 360 - h + 180) % 360 - 180) for name, h in HUES.items()}
    return min(around, key=around.get)


def classify_size(radius64: float) -> str:
    return _SIZES[bisect.bisect_right(SIZE_SPLITS, radius64)]


def _reversals(x: np.ndarray, hysteresis: float) -> int:
    """Direction changes of a 1-D path, ignoring wiggles smaller than `hysteresis`."""
    count, direction, extreme = 0, 0, x[0]
    for v in x[1:]:
        if direction == 0:
            if abs(v - x[0]) >= hysteresis:
                direction, extreme = (1 if v > x[0] else -1), v
        elif (v - extreme) * direction > 0:
            extreme = v
        elif abs(v - extreme) >= hysteresis:
            count, direction, extreme = count + 1, -direction, v
    return count


def _rotation(tr: Track, k: int) -> float:
    """Total turn in degrees (positive = clockwise on screen) from the k-th moment's phase."""
    phase = np.angle(tr.moments[:, SHAPE_HARMONICS.index(k)]) / k
    period = 2 * np.pi / k
    step = (np.diff(phase) + period / 2) % period - period / 2
    return float(np.rad2deg(step.sum()))


def classify_motion(center: np.ndarray, radius: np.ndarray, turn: float | None, frames: int):
    """(motion, speed) from centroids (T, 2) and radii (T,) in 64-px units, and total turn."""
    t = np.arange(frames)
    growth = np.exp(np.polyfit(t, np.log(radius), 1)[0] * (frames - 1))
    extent = center.max(0) - center.min(0)  # (2,) range of x and y
    stays_put = extent.max() < STAYS_PUT_PX
    if growth > 1.3 and stays_put:
        return "grow", float(growth)
    if growth < 1 / 1.3 and stays_put:
        return "shrink", float(1 / growth)
    if turn is not None and abs(turn) > 30 and stays_put:
        return ("rotate_cw" if turn > 0 else "rotate_ccw"), abs(turn) / (frames - 1)
    rev_x, rev_y = (_reversals(center[:, a], 1.5) for a in (0, 1))
    net = center[-1] - center[0]
    if rev_y and not rev_x:
        if extent[0] < STAYS_PUT_PX:
            return "bounce_vertical", float(np.abs(np.diff(center[:, 1])).mean())
        return "zigzag_horizontal", float(abs(net[0]) / (frames - 1))
    if rev_x and not rev_y:
        if extent[1] < STAYS_PUT_PX:
            return "bounce_horizontal", float(np.abs(np.diff(center[:, 0])).mean())
        return "zigzag_vertical", float(abs(net[1]) / (frames - 1))
    if rev_x or rev_y:
        return "erratic", 0.0
    if np.hypot(*net) < STAYS_PUT_PX:
        return "still", 0.0
    angle = np.arctan2(net[1], net[0])
    best = max(_HEADING, key=lambda d: np.cos(angle - _HEADING[d]))
    return best, float(np.abs(net).max() / (frames - 1))


def temporal_scores(tr: Track) -> dict:
    """Per-clip temporal consistency, each in [0, 1] (1 for a clean world clip)."""
    t = len(tr.present)
    ok = tr.present
    single = float((tr.blobs == 1).mean())
    color = tr.color[ok]
    color_stable = (float((np.linalg.norm(color - np.median(color, 0), axis=1) < 0.1).sum() / t)
                    if ok.any() else 0.0)  # no object in any frame
    ratio = tr.area[1:] / np.maximum(tr.area[:-1], 1e-6)
    both = ok[1:] & ok[:-1]
    area_stable = float((both & (ratio > 0.8) & (ratio < 1.25)).sum() / max(t - 1, 1))
    jump = np.linalg.norm(np.diff(tr.center, axis=0), axis=1) * 64 / tr.frame_px
    smooth = float((both & (np.nan_to_num(jump, nan=1e9) <= 10)).sum() / max(t - 1, 1))
    scores = dict(single_object=single, color_stable=color_stable, area_stable=area_stable,
                  smooth=smooth)
    scores["overall"] = float(np.mean(list(scores.values())))
    return scores


def read_clip(video: np.ndarray) -> Reading:
    """Judge a clip (T, H, W, 3) uint8 from its pixels alone."""
    if video.ndim != 4 or video.shape[-1] != 3 or video.shape[0] < 2:
        raise ValueError(f"expected a video of shape (T>=2, H, W, 3), got {video.shape}")
    tr = track(video)
    tr.frame_px = min(video.shape[1:3])
    temporal = temporal_scores(tr)
    if not tr.present.all():
        return Reading(False, why=f"{int((~tr.present).sum())} empty frame(s)", temporal=temporal)
    if (tr.blobs > 1).mean() > 0.25:
        return Reading(False, why=SEVERAL_OBJECTS, temporal=temporal)
    px = 64.0 / tr.frame_px
    radius = np.sqrt(tr.area / np.pi) * px
    center = tr.center * px
    shapes = [classify_shape(m, s) for m, s in zip(tr.moments, tr.spread)]
    shape = classify_shape(np.median(np.abs(tr.moments), 0), float(np.median(tr.spread)))
    colors = [classify_color(c) for c in tr.color]
    color = classify_color(np.median(tr.color, 0))
    turn = _rotation(tr, ORDER[shape]) if shape in ORDER else None
    motion, speed = classify_motion(center, radius, turn, len(tr.present))
    agree = np.mean([s == shape and c == color for s, c in zip(shapes, colors)])
    angle = (np.angle(tr.moments[:, SHAPE_HARMONICS.index(ORDER[shape])]) / ORDER[shape]
             if shape in ORDER else np.zeros(len(radius)))
    return Reading(True, shape, color, classify_size(float(np.median(radius))), motion,
                   round(speed, 3), float(agree), temporal=temporal,
                   track=dict(center=np.round(tr.center, 2).tolist(),
                              radius=np.round(radius, 2).tolist(),
                              angle_deg=np.round(np.rad2deg(angle), 1).tolist()))
