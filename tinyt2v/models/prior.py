"""The flow prior both main models share: a residual MLP with adaLN-Zero conditioning (DiT)
that predicts rectified-flow velocities for a vector given a caption embedding, and the
hyper-parameters that go with it."""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import nn

from .layers import fourier, run


@dataclass
class FlowPriorConfig:
    """Fields every caption -> vector flow model has; model configs extend it."""
    frames: int = 16
    height: int = 64
    width: int = 64
    prior_width: int = 384
    prior_depth: int = 4
    text: str = "gru"         # gru | minilm
    text_dim: int = 128
    lr: float = 2e-3
    batch_size: int = 32
    hidden: int = 256
    width_dec: int = 32
    dec_frames: int = 4       # frames rendered per clip per training step
    fg_weight: float = 10.0   # objects are ~2% of pixels: weight them up or they vanish
    flow_weight: float = 1.0
    cfg_drop: float = 0.1     # captions dropped for classifier-free guidance
    guidance: float = 2.0
    sample_steps: int = 10
    temperature: float = 1.0  # scale of the starting noise when sampling (below 1: fewer outliers)
    ema: float = 0.999


class PriorBlock(nn.Module):
    """Residual MLP block with adaLN-Zero conditioning (DiT): starts as the identity."""

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.SiLU(), nn.Linear(4 * width, width))
        self.ada = nn.Linear(width, 3 * width)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def forward(self, h, c):
        shift, scale, gate = self.ada(F.silu(c)).chunk(3, -1)
        return h + gate * self.mlp(self.norm(h) * (1 + scale) + shift)


class Prior(nn.Module):
    """Velocity net: (x (B, latent), t (B,), text (B, text_dim)) -> (B, latent)."""

    def __init__(self, c: FlowPriorConfig, text_dim: int):  # c.latent: the vector size
        super().__init__()
        w = c.prior_width
        self.inp = nn.Linear(c.latent, w)
        self.time = nn.Sequential(nn.Linear(33, w), nn.SiLU(), nn.Linear(w, w))
        self.text = nn.Sequential(nn.Linear(text_dim, w), nn.SiLU(), nn.Linear(w, w))
        self.blocks = nn.ModuleList(PriorBlock(w) for _ in range(c.prior_depth))
        self.norm = nn.LayerNorm(w, elementwise_affine=False)
        self.out = nn.Linear(w, c.latent)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.checkpointing = False

    def forward(self, x, t, text):
        c = self.time(fourier(t, 16)) + self.text(text)
        h = self.inp(x)
        for block in self.blocks:
            h = run(self, block, h, c)
        return self.out(self.norm(h))
