"""From pixels to a per-frame track of the one object: segmentation and measurement.

No labels and no renderer internals: the background is each frame's median colour, the object
is the largest connected blob that differs from it, and its coverage ("alpha") is recovered by
projecting each pixel's colour onto the background -> object colour line, which undoes
anti-aliasing, blur and zero-mean noise, so areas and centroids are sub-pixel exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

SHAPE_HARMONICS = (2, 3, 4, 5, 6)
_STRUCT = np.ones((3, 3), bool)
FAINTEST = 0.15  # colour distance (0..sqrt 3) under which a pixel does not differ from the background


@dataclass
class Track:
    """Per-frame measurements of a clip (T frames). Lengths in pixels of the clip."""

    present: np.ndarray     # (T,) bool, a blob was found
    blobs: np.ndarray       # (T,) int, significant blobs in the frame (1 for a clean clip)
    area: np.ndarray        # (T,) coverage-weighted area
    center: np.ndarray      # (T, 2) centroid (x, y)
    color: np.ndarray       # (T, 3) object colour in [0, 1]
    background: np.ndarray  # (T, 3) background colour in [0, 1]
    moments: np.ndarray     # (T, len(SHAPE_HARMONICS)) complex normalised angular moments
    spread: np.ndarray      # (T,) second radial moment / a same-area disc's (1 for a disc)
    solidity: np.ndarray    # (T,) blob pixels / area of their convex hull (a cross is hollow)


def _frame(x: np.ndarray, bg: np.ndarray, ys: np.ndarray, xs: np.ndarray):
    """Measure one frame x (H, W, 3) in [0, 1] against background colour bg (3,)."""
    diff = x - bg
    # Denoise only for finding the blob; measurements use the raw pixels.
    smooth = ndimage.uniform_filter(diff, size=(3, 3, 1), mode="nearest")
    dist = np.sqrt((smooth ** 2).sum(-1))
    peak = dist.max()
    if peak < FAINTEST:  # nothing differs from the background: an empty frame
        return None
    mask = dist > max(FAINTEST, 0.4 * peak)
    labels, count = ndimage.label(mask, _STRUCT)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    main = int(np.argmax(sizes)) + 1
    blobs = int((sizes >= max(3, 0.15 * sizes.max())).sum())
    blob = labels == main
    core = blob & (dist > 0.8 * peak)
    color_off = diff[core].mean(0) if core.any() else diff[blob].mean(0)
    norm2 = float(color_off @ color_off)
    region = ndimage.binary_dilation(blob, _STRUCT, iterations=2)
    alpha = (diff[region] @ color_off) / max(norm2, 1e-6)  # unclipped: noise averages out
    area = float(alpha.sum())
    if area <= 0.5:
        return None
    px, py = xs[region] + 0.5, ys[region] + 0.5
    cx, cy = float(alpha @ px) / area, float(alpha @ py) / area
    z = (px - cx) + 1j * (py - cy)
    rho = np.abs(z)
    moments = np.array([(alpha @ z ** k) / max(alpha @ rho ** k, 1e-9) for k in SHAPE_HARMONICS])
    # On the alpha > 0.5 mask, which blur leaves nearly unchanged (soft alpha would spread).
    hard = alpha > 0.5
    nh = max(int(hard.sum()), 1)
    hz = z[hard] - z[hard].mean() if hard.any() else z
    spread = float((np.abs(hz) ** 2).sum()) / (nh * nh / (2 * np.pi))
    return blobs, area, (cx, cy), np.clip(bg + color_off, 0, 1), moments, spread, _solidity(blob)


_CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def _solidity(blob: np.ndarray) -> float:
    edge = blob & ~ndimage.binary_erosion(blob, _STRUCT)
    pts = (np.argwhere(edge)[:, None, :] + _CORNERS).reshape(-1, 2)  # pixel squares' corners
    try:
        return float(blob.sum() / ConvexHull(pts).volume)
    except QhullError:  # a line of pixels has no area
        return 1.0


def track(video: np.ndarray) -> Track:
    """Measure the object in each frame of video (T, H, W, 3) uint8."""
    t, h, w, _ = video.shape
    x = video.astype(np.float32) / 255.0
    bg = np.median(x.reshape(t, -1, 3), axis=1)  # (T, 3): the object covers well under half
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    out = Track(np.zeros(t, bool), np.zeros(t, int), np.zeros(t), np.full((t, 2), np.nan),
                np.full((t, 3), np.nan), bg, np.zeros((t, len(SHAPE_HARMONICS)), complex), np.zeros(t),
                np.ones(t))
    for i in range(t):
        m = _frame(x[i], bg[i], ys, xs)
        if m is None:
            continue
        out.present[i] = True
        (out.blobs[i], out.area[i], out.center[i], out.color[i], out.moments[i], out.spread[i],
         out.solidity[i]) = m
    return out
