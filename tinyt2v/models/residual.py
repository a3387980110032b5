"""The residual layer: what a clip's layers leave, drawn from the layers themselves.

A layered model explains a clip as a still canvas seen through a camera with objects over it.
Footage outside that class (the light changing, a surface that ripples) is then drawn as its
nearest layers and the rest is lost. The residual layer is a small convolutional network that
takes a frame drawn from the layers, its time in the clip and the caption's condition, and
draws the difference between that frame and the real one (Wang & Adelson's layers leave such a
residual too). It learns from frames drawn from the layers measured in real clips, with the
layers held fixed (the layers learn from their own loss, so a residual never stands in for
them), and its last convolution starts at zero: an untrained residual changes nothing.
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import TIME_FREQUENCIES, fourier, mlp


class ResidualLayer(nn.Module):
    """Frames drawn from the layers (B, F, 3, H, W), their times in the clip (B, F) in [0, 1] and
    the caption's condition (B, D) -> what to add to them (B, F, 3, H, W).

    Three 3x3 convolutions; between the first two, each channel is scaled and shifted by the
    caption and the frame's time read together (FiLM through an MLP), so "the light fading"
    can darken late frames and not early ones."""

    def __init__(self, text_dim: int, width: int):
        super().__init__()
        self.inp = nn.Conv2d(3, width, 3, padding=1)
        self.film = mlp(text_dim + 2 * TIME_FREQUENCIES + 1, 2 * width)  # (caption, time) -> scale, shift
        self.mid = nn.Conv2d(width, width, 3, padding=1)
        self.out = nn.Conv2d(width, 3, 3, padding=1)
        for layer in (self.film[-1], self.out):  # the identity at first: no scale change, no residual
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.act = nn.SiLU()

    def forward(self, frames: torch.Tensor, times: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        f = frames.shape[1]
        x = self.act(self.inp(frames.flatten(0, 1)))
        when = fourier(times.flatten().to(frames.dtype), TIME_FREQUENCIES)
        scale, shift = self.film(torch.cat([cond.repeat_interleave(f, 0), when], 1)).chunk(2, 1)
        x = x * (1 + scale[..., None, None]) + shift[..., None, None]
        x = self.out(self.act(self.mid(x)))
        return x.view_as(frames)
