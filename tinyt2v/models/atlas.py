"""Where a frame lies in an atlas: the window of a larger image that the frame shows.

Clips of one subject show different parts of it at different sizes. Drawn each on a canvas of
its own they average to a blur; placed in one shared image (the atlas, as in layered neural
atlases) they add up to a sharp one. A frame is placed where it correlates best with the atlas
as it is now (normalised cross-correlation over every position at a range of window sizes,
refined below a pixel by a parabola through the peak and then by Gauss-Newton), so the atlas and the placements sharpen
each other, as images aligned to their own mean do ("congealing").

A window is (x, y, log half side) in the atlas's [-1, 1] coordinates: the frame's point p shows
the atlas point exp(log half side) * p + (x, y).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .camera import pair_motion

SEARCH_SIDE = 64  # the atlas is searched at this side (px)
MATCH_SIDE = 48   # which of several atlases a frame is in is decided at this side (px) ...
MATCH_SIZES = 8   # ... over this many window sizes
FLAT = 0.03       # a window whose pixels vary by less than this std (4 grey levels) correlates
                  # with nothing: in float32 a flat window's variance is rounding, and dividing
                  # by it read an untouched margin of the atlas as a perfect match
REFINE = ((1, 3),)  # then refined at full size: (downsampling factor, Gauss-Newton steps)


def _spread(atlas: torch.Tensor, t: int) -> torch.Tensor:
    """Norm of the zero-mean t x t window of grey atlases (N, 1, H, W) at every position
    (N, 1, h, w), floored at FLAT per pixel; each atlas's mean is taken off first, which keeps
    the sums' rounding small."""
    a = atlas - atlas.mean((2, 3), keepdim=True)
    ones = a.new_ones(1, 1, t, t)
    s1, s2 = F.conv2d(a, ones), F.conv2d(a * a, ones)
    return (s2 - s1 * s1 / (t * t)).clamp(min=(FLAT * t) ** 2).sqrt()


def _unit(template: torch.Tensor) -> torch.Tensor:
    """Templates (B, 1, t, t) less their mean, scaled to norm 1."""
    tz = template - template.mean((2, 3), keepdim=True)
    return tz / tz.flatten(1).norm(dim=1).clamp(min=1e-6)[:, None, None, None]


def _ncc(atlas: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    """Normalised cross-correlation (B, h, w) of each grey template (B, t, t) with its own grey
    atlas (B, H, W) at every position where it fits whole."""
    b, t = template.shape[0], template.shape[-1]
    num = F.conv2d(atlas[None], _unit(template[:, None]), groups=b)[0]  # one group per clip
    return num / _spread(atlas[:, None], t)[:, 0]


def _subpixel(scores: torch.Tensor, i: torch.Tensor) -> torch.Tensor:
    """Offset in (-0.5, 0.5) of a parabola's peak through scores[i-1], [i], [i+1] along the last
    axis (0 at the ends)."""
    n = scores.shape[-1]
    lo, hi = (i - 1).clamp(min=0), (i + 1).clamp(max=n - 1)
    a, b, c = (scores.gather(-1, j[..., None])[..., 0] for j in (lo, i, hi))
    denom = a - 2 * b + c
    off = torch.where(denom < -1e-9, 0.5 * (a - c) / denom, torch.zeros_like(b))
    return torch.where((i > 0) & (i < n - 1), off.clamp(-0.5, 0.5), torch.zeros_like(off))


@torch.no_grad()
def match(frames: torch.Tensor, atlases: torch.Tensor, half_sides: tuple[float, float]) -> torch.Tensor:
    """Frames (B, 3, h, w) and a bank of atlases (K, 3, A, A) -> (B, K): how well each frame's
    best window in each atlas correlates with it (normalised cross-correlation at the best
    position and size). One convolution per size compares every frame with every atlas."""
    grey = F.interpolate(atlases.mean(1, keepdim=True), size=MATCH_SIDE, mode="area")  # (K, 1, S, S)
    frame_grey = frames.mean(1, keepdim=True)
    best = frames.new_full((frames.shape[0], atlases.shape[0]), -1.0)
    for log_half in torch.linspace(math.log(half_sides[0]), math.log(half_sides[1]), MATCH_SIZES).tolist():
        t = max(4, round(math.exp(log_half) * MATCH_SIDE))
        num = F.conv2d(grey, _unit(F.interpolate(frame_grey, size=t, mode="area")))  # (K, B, n, n)
        best = torch.maximum(best, (num / _spread(grey, t)).flatten(2).amax(2).T)
    return best


@torch.no_grad()
def place(frames: torch.Tensor, atlas: torch.Tensor, half_sides: tuple[float, float], sizes: int) -> torch.Tensor:
    """Frames (B, 3, h, w) and atlases (B, 3, A, A) -> windows (B, 3): where each frame
    correlates best with its atlas, over `sizes` window half sides spaced evenly in log between
    `half_sides`."""
    b = frames.shape[0]
    atlas_grey, frame_grey = atlas.mean(1, keepdim=True), frames.mean(1, keepdim=True)
    grey = F.interpolate(atlas_grey, size=SEARCH_SIDE, mode="area")[:, 0]
    best = []  # per size: (score, x, y) of its peak
    logs = torch.linspace(math.log(half_sides[0]), math.log(half_sides[1]), sizes)
    for log_half in logs.tolist():
        t = max(4, round(math.exp(log_half) * SEARCH_SIDE))
        tmpl = F.interpolate(frame_grey, size=t, mode="area")[:, 0]
        ncc = _ncc(grey, tmpl)  # (B, n, n)
        n = ncc.shape[-1]
        flat = ncc.flatten(1).argmax(1)
        iy, ix = flat // n, flat % n
        dx = _subpixel(ncc[torch.arange(b), iy], ix)
        dy = _subpixel(ncc[torch.arange(b), :, ix], iy)
        centre = torch.stack([ix + dx, iy + dy], 1) + t / 2  # px of the search atlas
        best.append((ncc.flatten(1).amax(1), centre / SEARCH_SIDE * 2 - 1, math.log(t / SEARCH_SIDE)))
    scores = torch.stack([s for s, _, _ in best], 1)  # (B, sizes)
    k = scores.argmax(1)
    centres = torch.stack([c for _, c, _ in best], 1)[torch.arange(b), k]
    log_halves = torch.tensor([h for _, _, h in best], dtype=frames.dtype, device=frames.device)
    step = (best[1][2] - best[0][2]) if sizes > 1 else 0.0  # a float: read from no tensor
    log_half = log_halves[k] + _subpixel(scores, k) * step
    found = torch.cat([centres, log_half[:, None]], 1)
    # The search's grid of sizes is 11% apart: Gauss-Newton at full size takes it the rest of
    # the way, as the camera track is measured (a window 4% too small blurs the atlas). On an
    # atlas with no structure yet it can run off: a refinement beyond a search step is not kept.
    refined = pair_motion(atlas_grey, frame_grey, found, REFINE)
    step_size = refined.new_tensor([2 / SEARCH_SIDE, 2 / SEARCH_SIDE, step])
    kept = (torch.isfinite(refined) & ((refined - found).abs() <= step_size)).all(1, keepdim=True)
    return torch.where(kept, refined, found)
