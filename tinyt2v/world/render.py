"""Anti-aliased rendering of one object per frame, vectorised over clips and frames.

Each shape is a signed distance function (SDF) in unit coordinates, written once for numpy
and torch (`xp` is the array module; `render_torch.py` draws on the training device with the
same SDFs); a pixel's coverage is 0.5 minus its distance to the edge in pixels, clipped to
[0, 1], which is exact for straight edges and a good approximation for curves. Shapes are scaled to the same area, so "size" means
the same thing for a star and a square. Only a small patch around each object is evaluated.
"""
from __future__ import annotations

from functools import cache

import numpy as np

from .attributes import SHAPES


def _length(x, y, xp=np):
    return xp.sqrt(x * x + y * y)


def _circle(x, y, xp=np):
    return _length(x, y, xp) - 1.0


def _square(x, y, xp=np, b=1.0):
    dx, dy = abs(x) - b, abs(y) - b
    return _length(dx.clip(min=0), dy.clip(min=0), xp) + xp.maximum(dx, dy).clip(max=0)


def _rhombus(x, y, xp=np, bx=0.62, by=1.0):
    # Taller than wide, so a diamond is never a square turned by 45 degrees.
    x, y = abs(x), abs(y)
    h = (((bx - 2 * x) * bx - (by - 2 * y) * by) / (bx * bx + by * by)).clip(-1.0, 1.0)
    d = _length(x - 0.5 * bx * (1 - h), y - 0.5 * by * (1 + h), xp)
    return d * xp.sign(x * by + y * bx - bx * by)


def _triangle(x, y, xp=np):
    # Equilateral, apex up on screen (image y points down, so flip it).
    k = np.sqrt(3.0)  # a float64 scalar: numpy computes this shape in float64
    y = -y
    x = abs(x) - 1.0
    y = y + 1.0 / k
    fold = x + k * y > 0
    x, y = xp.where(fold, (x - k * y) / 2, x), xp.where(fold, (-k * x - y) / 2, y)
    x = x - x.clip(-2.0, 0.0)
    return -_length(x, y, xp) * xp.sign(y)


def _star(x, y, xp=np, inner=0.5):
    # Five points, one up on screen.
    k1x, k1y = 0.809016994375, -0.587785252292
    y = -y
    x = abs(x)
    d = (k1x * x + k1y * y).clip(min=0) * 2
    x, y = x - d * k1x, y - d * k1y
    d = (-k1x * x + k1y * y).clip(min=0) * 2
    x, y = x + d * k1x, y - d * k1y
    x = abs(x)
    y = y - 1.0
    bax, bay = inner * -k1y, inner * k1x - 1.0
    h = ((x * bax + y * bay) / (bax * bax + bay * bay)).clip(0.0, 1.0)
    return _length(x - bax * h, y - bay * h, xp) * xp.sign(y * bax - x * bay)


def _cross(x, y, xp=np, bx=1.0, by=0.36):
    x, y = abs(x), abs(y)
    swap = y > x
    x, y = xp.where(swap, y, x), xp.where(swap, x, y)
    qx, qy = x - bx, y - by
    k = xp.maximum(qx, qy)
    wx = xp.where(k > 0, qx, by - x)
    wy = xp.where(k > 0, qy, -k)
    return xp.sign(k) * _length(wx.clip(min=0), wy.clip(min=0), xp)


SDF = {"circle": _circle, "square": _square, "triangle": _triangle,
       "diamond": _rhombus, "star": _star, "cross": _cross}
assert tuple(SDF) == SHAPES


@cache
def unit_geometry(shape: str) -> tuple[float, float]:
    """(k, extent): scale k that gives the unit shape the area of the unit circle, and the
    scaled shape's circumradius. Measured numerically once, so shapes can change freely."""
    g = np.linspace(-1.5, 1.5, 1201)
    x, y = np.meshgrid(g, g)
    inside = SDF[shape](x, y) <= 0
    area = inside.mean() * 9.0
    k = float(np.sqrt(np.pi / area))
    extent = float(_length(x[inside], y[inside]).max()) * k
    return k, extent


def extent(shape_ids: np.ndarray) -> np.ndarray:
    """Circumradius per unit equal-area radius, for each shape index. (N,) -> (N,)"""
    table = np.array([unit_geometry(s)[1] for s in SHAPES])
    return table[shape_ids]


def coverage(shape: str, px, py, cx, cy, radius, angle, xp=np):
    """Coverage in [0, 1] of pixels whose centres are (px, py) by `shape` centred at (cx, cy)
    with equal-area radius `radius` px, turned clockwise on screen by `angle` rad.
    All arguments broadcast together; they are numpy arrays, or torch tensors with xp=torch."""
    k, _ = unit_geometry(shape)
    c, s = xp.cos(angle), xp.sin(angle)
    dx, dy = px - cx, py - cy
    unit = radius * k  # px per unit coordinate
    u = (c * dx + s * dy) / unit
    v = (-s * dx + c * dy) / unit
    return (0.5 - SDF[shape](u, v, xp) * unit).clip(0.0, 1.0)


def render(shape: np.ndarray, rgb: np.ndarray, radius: np.ndarray, center: np.ndarray,
           scale: np.ndarray, angle: np.ndarray, background: np.ndarray,
           frames: np.ndarray | None = None) -> np.ndarray:
    """Draw one object per frame over a background.

    shape (N,) int, rgb (N, 3) uint8, radius (N,) equal-area px, center (N, T, 2) px as (x, y),
    scale (N, T), angle (N, T) rad, background (N, H, W, 3) uint8; frames (N, T, H, W, 3) uint8,
    C-contiguous: clips to draw into, in place, instead of the background (a scene's earlier
    objects). Returns video (N, T, H, W, 3) uint8.
    """
    n, t = center.shape[:2]
    h, w = background.shape[1:3]
    video = np.repeat(background[:, None], t, axis=1) if frames is None else frames  # (N, T, H, W, 3)
    flat = video.reshape(-1, 3)
    for sid, name in enumerate(SHAPES):
        idx = np.flatnonzero(shape == sid)
        if idx.size == 0:
            continue
        r = (radius[idx, None] * scale[idx]).astype(np.float32)  # (n, T)
        ext = r * unit_geometry(name)[1]
        size = int(np.ceil(2 * ext.max() + 3))
        cx = center[idx, :, 0].astype(np.float32)
        cy = center[idx, :, 1].astype(np.float32)
        x0 = np.floor(cx).astype(np.int64) - size // 2  # (n, T) patch corner
        y0 = np.floor(cy).astype(np.int64) - size // 2
        ar = np.arange(size)
        xs = x0[..., None] + ar  # (n, T, S) pixel columns
        ys = y0[..., None] + ar
        alpha = coverage(name, (xs + 0.5)[..., None, :].astype(np.float32),
                         (ys + 0.5)[..., :, None].astype(np.float32),
                         cx[..., None, None], cy[..., None, None], r[..., None, None],
                         angle[idx][..., None, None].astype(np.float32))  # (n, T, S, S)
        inside = ((xs >= 0) & (xs < w))[..., None, :] & ((ys >= 0) & (ys < h))[..., :, None]
        inside &= alpha > 0
        frame = (idx[:, None] * t + np.arange(t)).astype(np.int64)  # (n, T) global frame index
        pix = (frame[..., None, None] * h + ys[..., :, None]) * w + xs[..., None, :]
        pix, a = pix[inside], alpha[inside][:, None]
        under = flat[pix].astype(np.float32)
        color = rgb[idx][:, None, None, None, :].astype(np.float32)
        color = np.broadcast_to(color, alpha.shape + (3,))[inside]
        flat[pix] = np.rint(under + a * (color - under)).astype(np.uint8)
    return video
