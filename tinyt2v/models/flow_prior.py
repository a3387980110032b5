"""The flow prior the vector flow families share: a text-conditioned rectified-flow model of
one vector per clip (sprite-flow's and scene-flow's pose tracks, latent-flow's clip latent).

`FlowPrior` is a `ConditionalFlow` (null caption, caption dropout, standardisation, guided
sampling) around a residual MLP with adaLN-Zero conditioning, as in DiT. A model's loss reads
`reconstruction + flow_weight * prior.loss(z, text)` and its sampler `prior.sample(text, ...)`.
`FlowPriorConfig` holds the fields every such model's config shares.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import nn

from .conditional_flow import ConditionalFlow
from .config import ModelConfig
from .layers import Recomputable, TimeEmbedding, maybe_checkpoint, mlp


@dataclass
class FlowPriorConfig(ModelConfig):
    """Fields every caption -> vector flow model has; model configs extend it."""
    prior_width: int = 384    # the velocity MLP's width ...
    prior_depth: int = 4      # ... and number of residual blocks
    text: str = "gru"         # gru | subword | mean | bag | minilm (tinyt2v.text)
    text_dim: int = 128
    hidden: int = 256         # MLP width of the model's own networks
    width_dec: int = 32       # decoder / sprite-net channels
    dec_frames: int = 4       # frames rendered per clip per training step
    fg_weight: float = 10.0   # objects are ~2% of pixels: weight them up or they vanish
    flow_weight: float = 1.0  # weight of the prior's loss beside the reconstruction
    caption_drop: float = 0.1  # share of captions replaced by the null text (for guidance)
    guidance: float = 2.0     # classifier-free guidance scale when sampling
    sample_steps: int = 10    # Heun steps when sampling
    temperature: float = 1.0  # scale of the starting noise when sampling (below 1: fewer outliers)


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


class VelocityNet(Recomputable, nn.Module):
    """(x (B, dim), t (B,), text (B, text_dim)) -> velocity (B, dim)."""

    def __init__(self, c: FlowPriorConfig, dim: int, text_dim: int):
        super().__init__()
        w = c.prior_width
        self.inp = nn.Linear(dim, w)
        self.time = TimeEmbedding(w)
        self.text = mlp(text_dim, w)
        self.blocks = nn.ModuleList(PriorBlock(w) for _ in range(c.prior_depth))
        self.norm = nn.LayerNorm(w, elementwise_affine=False)
        self.out = nn.Linear(w, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, t, text):
        c = self.time(t) + self.text(text)
        h = self.inp(x)
        for block in self.blocks:
            h = maybe_checkpoint(self, block, h, c)
        return self.out(self.norm(h))


class FlowPrior(ConditionalFlow):
    """p(z | text) for a vector z (B, dim), learned by rectified flow."""

    def __init__(self, c: FlowPriorConfig, dim: int, text_dim: int):
        super().__init__(VelocityNet(c, dim, text_dim), c, (dim,), text_dim)

    @property
    def dim(self) -> int:
        return self.shape[0]
