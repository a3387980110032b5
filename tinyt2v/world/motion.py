"""Trajectories: where the object is, how big and how turned, frame by frame.

Vectorised over clips: every function takes (N,) arrays and returns (N, T) arrays, so a batch of
thousands of clips costs a handful of numpy calls.
"""
from __future__ import annotations

import numpy as np

from .attributes import DIRECTIONS, MOTIONS, SWING_PERIOD

_M = {name: i for i, name in enumerate(MOTIONS)}


def _triangle_wave(u: np.ndarray) -> np.ndarray:
    """0 at integers, 1 at half-integers: a ball going there and back at constant speed."""
    return 2.0 * np.abs(u - np.floor(u + 0.5))


def trajectories(motion: np.ndarray, step: np.ndarray, spin: np.ndarray, growth: np.ndarray,
                 swing: np.ndarray, phase: np.ndarray, sign: np.ndarray, frames: int):
    """Per-frame offset from the start, scale and angle of each clip's object.

    motion: (N,) int indices into MOTIONS; step/swing in px, spin in degrees per frame,
    growth an end/start radius ratio, phase in [0, 1) the oscillation phase, sign +-1 the
    direction of zigzag progress. Returns offset (N, T, 2) px, scale (N, T), angle (N, T) rad.
    """
    n = motion.shape[0]
    t = np.arange(frames, dtype=np.float64)[None, :]  # (1, T)
    offset = np.zeros((n, frames, 2))
    scale = np.ones((n, frames))
    angle = np.zeros((n, frames))
    col = lambda a: np.asarray(a, dtype=np.float64)[:, None]  # noqa: E731  (N,) -> (N, 1)

    for name, (dx, dy) in DIRECTIONS.items():
        m = motion == _M[name]
        offset[m, :, 0] = dx * col(step[m]) * t
        offset[m, :, 1] = dy * col(step[m]) * t

    wave = col(swing) * _triangle_wave(t / SWING_PERIOD + col(phase))  # (N, T)
    wave = wave - wave[:, :1]  # offsets are from the start position
    progress = col(sign) * col(step) * t
    for name, along, across in (("bounce_vertical", None, 1), ("bounce_horizontal", None, 0),
                                ("zigzag_horizontal", 0, 1), ("zigzag_vertical", 1, 0)):
        m = motion == _M[name]
        offset[m, :, across] = wave[m]
        if along is not None:
            offset[m, :, along] = progress[m]

    # Image y points down, so a positive angle turns the object clockwise on screen.
    for name, direction in (("rotate_cw", 1.0), ("rotate_ccw", -1.0)):
        m = motion == _M[name]
        angle[m] = np.deg2rad(direction * col(spin[m]) * t)

    # Exponential growth centred on the middle frame: the clip's median radius is its size.
    u = t / max(frames - 1, 1) - 0.5
    for name, direction in (("grow", 1.0), ("shrink", -1.0)):
        m = motion == _M[name]
        scale[m] = np.exp(direction * np.log(col(growth[m])) * u)
    return offset, scale, angle


def start_range(offset: np.ndarray, extent: np.ndarray, size: tuple[int, int], in_frame: bool):
    """Range of start centres (lo, hi), each (N, 2) as (x, y), that keep the object in frame.

    offset (N, T, 2) from `trajectories`; extent (N, T) the object's circumradius in px.
    With in_frame=False only the centre has to stay inside, so the object may be cut off.
    """
    h, w = size
    # Coverage reaches half a pixel past the edge, and pixel centres sit at k + 0.5.
    ext = extent[..., None] + 1.0 if in_frame else np.zeros_like(extent)[..., None]
    lo = np.max(ext - offset, axis=1)
    hi = np.min(np.array([w, h]) - ext - offset, axis=1)
    # An object too big for its path is centred on it instead (never happens with the presets).
    bad = lo > hi
    mid = (lo + hi) / 2
    lo = np.where(bad, mid, lo)
    hi = np.where(bad, mid, hi)
    return lo, hi
