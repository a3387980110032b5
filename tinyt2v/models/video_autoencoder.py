"""A convolutional video autoencoder with a space-time latent grid (the first stage of latent
video diffusion: Latent Diffusion, Latte, Open-Sora).

A clip (B, T, 3, H, W) becomes a grid (B, C, T/time_down, H/space_down, W/space_down) and back.
Each halving is one strided convolution that doubles the channels, followed by a residual
block; the decoder mirrors it with nearest-neighbour upsampling + convolution (no transposed
convolutions, whose uneven overlaps draw checkerboards). Unlike latent-flow's one vector per
clip, the grid keeps *where*: a cell describes its own patch of the clip, so small objects,
several objects and textured footage all have room.

time_down=1 makes it an image autoencoder applied frame by frame (2D convolutions; Latte and
Open-Sora 1.0 use Stable Diffusion's image VAE this way): time is then left to the transformer,
and each frame is a training example of its own, so it learns outlines from far fewer clips.
"""
from __future__ import annotations

import math

import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .layers import Recomputable, maybe_checkpoint

GROUPS = 8  # GroupNorm groups (channels are multiples of 8)


def conv(dims: int, c_in: int, c_out: int, kernel, stride=1, padding=0) -> nn.Module:
    """A 2D (per frame) or 3D (space-time) convolution; kernel, stride, padding as 3D tuples
    or ints, the time entry dropped in 2D."""
    if dims == 2:
        kernel, stride, padding = (x[1:] if isinstance(x, tuple) else x for x in (kernel, stride, padding))
        return nn.Conv2d(c_in, c_out, kernel, stride, padding)
    return nn.Conv3d(c_in, c_out, kernel, stride, padding)


class ResBlock(nn.Module):
    """x + conv(silu(norm(conv(silu(norm(x)))))), shape kept; the last conv starts at zero, so
    the block starts as the identity."""

    def __init__(self, dims: int, ch: int):
        super().__init__()
        self.norm1, self.norm2 = nn.GroupNorm(GROUPS, ch), nn.GroupNorm(GROUPS, ch)
        self.conv1, self.conv2 = conv(dims, ch, ch, 3, padding=1), conv(dims, ch, ch, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x):
        return x + self.conv2(F.silu(self.norm2(self.conv1(F.silu(self.norm1(x))))))


def levels(time_down: int, space_down: int) -> list[tuple[int, int]]:
    """(time stride, space stride) of each halving level: space halves at every level, time at
    the first log2(time_down) of them."""
    n_space, n_time = int(math.log2(space_down)), int(math.log2(time_down))
    if 2 ** n_space != space_down or 2 ** n_time != time_down or n_time > n_space:
        raise ValueError(f"space_down must be a power of 2 and time_down a power of 2 no larger, "
                         f"got time_down={time_down}, space_down={space_down}")
    return [(2 if i < n_time else 1, 2) for i in range(n_space)]


class VideoEncoder(Recomputable, nn.Module):
    """video (B, T, 3, H, W) in [-1, 1] -> latent grid (B, C, T', H', W')."""

    def __init__(self, width: int, latent_channels: int, time_down: int, space_down: int):
        super().__init__()
        strides = levels(time_down, space_down)
        self.dims = 2 if time_down == 1 else 3
        ch = [width * 2 ** i for i in range(len(strides) + 1)]
        self.conv_in = conv(self.dims, 3, width, 3, padding=1)
        self.downs = nn.ModuleList(
            conv(self.dims, ch[i], ch[i + 1], (4 if st == 2 else 3, 4, 4), (st, 2, 2), 1)
            for i, (st, _) in enumerate(strides))
        self.blocks = nn.ModuleList(ResBlock(self.dims, c) for c in ch[1:])
        self.norm_out = nn.GroupNorm(GROUPS, ch[-1])
        self.conv_out = conv(self.dims, ch[-1], latent_channels, 1)

    def forward(self, video):
        return maybe_checkpoint(self, self._encode, video)

    def _encode(self, video):
        b = len(video)
        x = (rearrange(video, "b t c h w -> (b t) c h w") if self.dims == 2
             else rearrange(video, "b t c h w -> b c t h w"))
        x = self.conv_in(x)
        for down, block in zip(self.downs, self.blocks):
            x = block(down(F.silu(x)))
        z = self.conv_out(F.silu(self.norm_out(x)))
        return rearrange(z, "(b t) c h w -> b c t h w", b=b) if self.dims == 2 else z


class VideoDecoder(Recomputable, nn.Module):
    """latent grid (B, C, T', H', W') -> video (B, T, 3, H, W) (not clamped)."""

    def __init__(self, width: int, latent_channels: int, time_down: int, space_down: int):
        super().__init__()
        self.strides = levels(time_down, space_down)[::-1]
        self.dims = 2 if time_down == 1 else 3
        ch = [width * 2 ** i for i in range(len(self.strides) + 1)][::-1]
        self.conv_in = conv(self.dims, latent_channels, ch[0], 3, padding=1)
        self.block_in = ResBlock(self.dims, ch[0])
        self.ups = nn.ModuleList(conv(self.dims, ch[i], ch[i + 1], 3, padding=1) for i in range(len(self.strides)))
        # No block at full resolution: it would cost more than the rest of the decoder together.
        self.blocks = nn.ModuleList(ResBlock(self.dims, c) for c in ch[1:-1])
        self.norm_out = nn.GroupNorm(GROUPS, ch[-1])
        self.conv_out = conv(self.dims, ch[-1], 3, 3, padding=1)

    def forward(self, z):
        return maybe_checkpoint(self, self._decode, z)

    def _decode(self, z):
        b = len(z)
        x = rearrange(z, "b c t h w -> (b t) c h w") if self.dims == 2 else z
        x = self.block_in(self.conv_in(x))
        for i, ((st, ss), up) in enumerate(zip(self.strides, self.ups)):
            scale = (ss, ss) if self.dims == 2 else (st, ss, ss)
            x = up(F.interpolate(F.silu(x), scale_factor=scale, mode="nearest"))
            if i < len(self.blocks):
                x = self.blocks[i](x)
        x = self.conv_out(F.silu(self.norm_out(x)))
        if self.dims == 2:
            return rearrange(x, "(b t) c h w -> b t c h w", b=b)
        return rearrange(x, "b c t h w -> b t c h w")
