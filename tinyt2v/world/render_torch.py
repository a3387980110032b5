"""The world's renderer in torch, to draw training clips on the device that trains on them.

It evaluates the same signed distance functions as `render.py` (written once for numpy and
torch) over whole frames instead of patches: a GPU is faster doing more work in fewer, larger
kernels than gathering patches. On the CPU it draws the same clips as `render.render` to within
1/255 (float rounding of sin, cos and sqrt), which tests/test_world.py checks.
"""
from __future__ import annotations

import numpy as np
import torch

from .attributes import SHAPES
from .render import coverage


@torch.no_grad()
def render_on(device, shape: np.ndarray, rgb: np.ndarray, radius: np.ndarray, center: np.ndarray,
              scale: np.ndarray, angle: np.ndarray, background: np.ndarray) -> torch.Tensor:
    """render.render's clips as a uint8 tensor (N, T, H, W, 3) on `device`; same arguments."""
    def put(a, dtype=torch.float32):
        return torch.from_numpy(np.ascontiguousarray(a)).to(device, dtype, non_blocking=True)

    shape, rgb, bg = put(shape, torch.int64), put(rgb), put(background, torch.uint8)
    r = put(radius[:, None] * scale)  # (N, T) px, multiplied in float64 as render does
    center, angle = put(center), put(angle)
    n, t = center.shape[:2]
    h, w = bg.shape[1:3]
    video = bg[:, None].expand(n, t, h, w, 3).float()
    xs = torch.arange(w, device=device, dtype=torch.float32) + 0.5  # pixel centres
    ys = torch.arange(h, device=device, dtype=torch.float32)[:, None] + 0.5
    for sid, name in enumerate(SHAPES):
        idx = (shape == sid).nonzero().squeeze(1)
        if idx.numel() == 0:
            continue
        cx, cy = center[idx, :, 0, None, None], center[idx, :, 1, None, None]  # (n, T, 1, 1)
        alpha = coverage(name, xs, ys, cx, cy, r[idx, :, None, None], angle[idx, :, None, None],
                         xp=torch)[..., None]  # (n, T, H, W, 1)
        under = video[idx]
        video[idx] = torch.round(under + alpha * (rgb[idx, None, None, None] - under))
    return video.to(torch.uint8)
