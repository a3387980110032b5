"""Drawing layers: a caption's RGBA sprite, its reach, and sprites warped to their poses over a
background (a colour the caption picks, or images).

The renderer is a spatial transformer (affine_grid + grid_sample): differentiable, so sprites,
angles and text encoders learn from a loss on the rendered frames.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import coords


SOLID = 0.3  # sprite alpha above which a pixel counts towards the object's reach
EDGE = 1.0   # px an object in frame keeps from the frame's edge (the world's start_range keeps 1)


def reach(sprites: torch.Tensor) -> torch.Tensor:
    """How far each sprite (..., 4, S, S) reaches from its centre, in sprite px (a sprite px is
    a frame px at scale 1): (...); 0 for a clear sprite. Exact for any shape and any turn, where
    an equal-area radius misses a triangle's corners by half."""
    s = sprites.shape[-1]
    axis = torch.arange(s, device=sprites.device, dtype=sprites.dtype) + 0.5 - s / 2
    dist = (axis[:, None] ** 2 + axis[None, :] ** 2).sqrt()  # (S, S)
    return (dist * (sprites[..., 3, :, :] > SOLID)).flatten(-2).amax(-1)


def into_frame(track: torch.Tensor, reach: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Tracks (N, T, 4) shifted, each as a whole, by the least that keeps an object of `reach`
    (N,) sprite px wholly inside the frame, EDGE px from its edges; speed, turn and scale are
    kept. A path too long for the frame is centred on it."""
    half = track.new_tensor([width / 2, height / 2])
    px = (track[..., :2] + 1) * half  # frame coordinates -> px from the top-left corner
    ext = reach[:, None, None] * track[..., 2:3].clamp(-2, 2).exp() + EDGE  # (N, T, 1) px
    lo = (ext - px).amax(1)  # (N, 2): the least shift that clears the left/top edge ...
    hi = (2 * half - ext - px).amin(1)  # ... the most that still clears the right/bottom one
    shift = torch.where(lo > hi, (lo + hi) / 2, lo.clamp(min=0) + hi.clamp(max=0))
    return torch.cat([track[..., :2] + (shift / half)[:, None], track[..., 2:]], -1)


def layer_reach(alpha: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """How far the object of coverages (B, H, W) reaches from its centre (B, 2, frame
    coordinates), in frame px: (B,)."""
    h, w = alpha.shape[-2:]
    cx, cy = ((centre + 1) * centre.new_tensor([w / 2, h / 2])).unbind(-1)
    xs = torch.arange(w, device=alpha.device, dtype=alpha.dtype) + 0.5
    ys = torch.arange(h, device=alpha.device, dtype=alpha.dtype) + 0.5
    dist = ((xs[None, None, :] - cx[:, None, None]) ** 2 + (ys[None, :, None] - cy[:, None, None]) ** 2).sqrt()
    return (dist * (alpha > SOLID)).flatten(1).amax(1)


def shortened(change: torch.Tensor, centre: torch.Tensor, reach_px: torch.Tensor, height: int,
              width: int, steps: int = 10) -> torch.Tensor:
    """Pose changes (B, T, 4) of an object at `centre` (B, 2) that reaches `reach_px` (B,) px,
    their shift and scale cut by the least of 1, 1 - 1/steps, ..., 0 that keeps it EDGE px
    inside the frame in every frame (turns kept). Where into_frame moves a whole track, this
    keeps its start: an animated picture's object starts where the picture has it."""
    half = change.new_tensor([width / 2, height / 2])
    factor = torch.linspace(1, 0, steps + 1, device=change.device, dtype=change.dtype)  # (K,)
    keep_turn = change.new_tensor([0.0, 0.0, 0.0, 1.0])
    cut = change[:, None] * (factor[None, :, None, None] * (1 - keep_turn) + keep_turn)  # (B, K, T, 4)
    px = (centre[:, None, None] + cut[..., :2] + 1) * half
    ext = reach_px[:, None, None, None] * cut[..., 2:3].clamp(-2, 2).exp() + EDGE
    fits = ((px >= ext) & (px <= 2 * half - ext)).flatten(2).all(2)  # (B, K)
    fits[:, -1] = True  # no change fits wherever the picture has it
    first = fits.float().argmax(1)
    return cut[torch.arange(change.shape[0], device=change.device), first]


class SpriteNet(nn.Module):
    """caption embedding (B, D) -> sprite (B, 4, S, S): premultiplied RGB and alpha. c: a
    layered model's config (its width_dec, sprite and hidden)."""

    def __init__(self, c, text_dim: int):
        super().__init__()
        w, self.s0 = c.width_dec, c.sprite // 4
        self.inp = nn.Sequential(nn.Linear(text_dim, c.hidden), nn.SiLU(),
                                 nn.Linear(c.hidden, w * self.s0 * self.s0))
        self.up1 = nn.ConvTranspose2d(w + 2, w // 2, 4, 2, 1)
        self.conv1 = nn.Conv2d(w // 2 + 2, w // 2, 3, 1, 1)
        self.up2 = nn.ConvTranspose2d(w // 2 + 2, 4, 4, 2, 1)

    def forward(self, e):
        n = e.shape[0]
        x = F.silu(self.inp(e)).view(n, -1, self.s0, self.s0)
        x = F.silu(self.up1(torch.cat([x, coords(n, *x.shape[2:], e.device)], 1)))
        x = F.silu(self.conv1(torch.cat([x, coords(n, *x.shape[2:], e.device)], 1))) + x
        x = self.up2(torch.cat([x, coords(n, *x.shape[2:], e.device)], 1))
        alpha = torch.sigmoid(x[:, 3:])
        return torch.cat([torch.tanh(x[:, :3]) * alpha, alpha], 1)


class BackgroundHead(nn.Linear):
    """Caption embedding (B, D) -> background colour (B, 3) in [-1, 1]; starts at white, the
    world's background. (A Linear itself, so checkpoints keep the keys `background.weight`.)"""

    def __init__(self, dim: int):
        super().__init__(dim, 3)
        nn.init.zeros_(self.weight)
        nn.init.constant_(self.bias, 2.0)  # tanh(2) ~ white

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return torch.tanh(super().forward(e))


def sprite_extent(sprite: int, width: int) -> float:
    """A sprite's half side in frame coordinates at scale 1: sprite px are frame px then."""
    return (sprite / 2) / (width / 2)


def warp(sprite: torch.Tensor, pose: torch.Tensor, angle: torch.Tensor, height: int, width: int,
         extent: float) -> torch.Tensor:
    """Sprites (N, 4, S, S) warped to poses (N, 3) and angles (N,): layers (N, 4, H, W),
    premultiplied RGB and alpha, clear outside the sprite. extent: the sprite's half side in
    frame coordinates at scale 1."""
    n = sprite.shape[0]
    cx, cy = pose[:, 0], pose[:, 1]
    scale = pose[:, 2].clamp(-2, 2).exp() * extent
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # frame point p -> sprite point R(-angle) (p - centre) / scale
    theta = torch.stack([torch.stack([cos, sin, -(cos * cx + sin * cy)], -1),
                         torch.stack([-sin, cos, sin * cx - cos * cy], -1)], 1)
    grid = F.affine_grid(theta, (n, 4, height, width), align_corners=False)
    return F.grid_sample(sprite, grid, align_corners=False, padding_mode="zeros")


def render(sprite: torch.Tensor, pose: torch.Tensor, angle: torch.Tensor, bg: torch.Tensor,
           height: int, width: int, extent: float) -> torch.Tensor:
    """Warp sprites (N, 4, S, S) to poses (N, 3) and angles (N,) over colours bg (N, 3) or
    images bg (N, 3, H, W): frames (N, 3, H, W). extent: the sprite's half side in frame
    coordinates at scale 1."""
    layer = warp(sprite, pose, angle, height, width, extent)
    under = bg[:, :, None, None] if bg.dim() == 2 else bg
    return layer[:, :3] + (1 - layer[:, 3:]) * under


def move_layer(layer: torch.Tensor, centre: torch.Tensor, change: torch.Tensor, bg: torch.Tensor) -> torch.Tensor:
    """A picture's object layer (B, 4, H, W: premultiplied RGB and alpha, in frame coordinates)
    moved about its centre (B, 2) by pose changes (B, T, 4: shift x, y, log scale, turn) over
    colours bg (B, 3): frames (B, T, 3, H, W). No change draws the layer where it was, pixel
    for pixel (identity grid), so an animation's first frame is its picture."""
    b, t = change.shape[:2]
    h, w = layer.shape[-2:]
    at = centre[:, None] + change[..., :2]  # (B, T, 2) where the centre goes
    inv = (-change[..., 2]).exp()
    cos, sin = torch.cos(change[..., 3]) * inv, torch.sin(change[..., 3]) * inv
    # frame point q -> the layer's point centre + R(-turn) (q - at) / scale, as `render` turns
    theta = torch.stack([torch.stack([cos, sin, centre[:, None, 0] - (cos * at[..., 0] + sin * at[..., 1])], -1),
                         torch.stack([-sin, cos, centre[:, None, 1] - (-sin * at[..., 0] + cos * at[..., 1])], -1)], -2)
    grid = F.affine_grid(theta.reshape(b * t, 2, 3), (b * t, 4, h, w), align_corners=False)
    moved = F.grid_sample(layer.repeat_interleave(t, 0), grid, align_corners=False, padding_mode="zeros")
    frames = moved[:, :3] + (1 - moved[:, 3:]) * bg.repeat_interleave(t, 0)[:, :, None, None]
    return frames.view(b, t, 3, h, w)
