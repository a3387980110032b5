"""The flow prior both flow families share: a text-conditioned rectified-flow model of one
vector per clip (sprite-flow's pose track, latent-flow's clip latent).

`FlowPrior` owns everything about that vector's distribution: the velocity network (a residual
MLP with adaLN-Zero conditioning, as in DiT), the learned null text and caption dropout that
classifier-free guidance needs, and running statistics that standardise the vector so the flow
sees ~N(0, 1) data. The flow maths itself lives in diffusion/flow.py. A model's loss reads
`reconstruction + flow_weight * prior.loss(z, text)` and its sampler `prior.sample(text, ...)`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..diffusion.flow import flow_loss, sample_latents
from .layers import fourier, maybe_checkpoint

TIME_FREQUENCIES = 16  # fourier features of the flow time: 2 * 16 + 1 inputs to the time MLP


@dataclass
class FlowPriorConfig:
    """Fields every caption -> vector flow model has; model configs extend it."""
    frames: int = 16
    height: int = 64
    width: int = 64
    prior_width: int = 384    # the velocity MLP's width ...
    prior_depth: int = 4      # ... and number of residual blocks
    text: str = "gru"         # gru | subword | mean | bag | minilm (tinyt2v.text)
    text_dim: int = 128
    lr: float = 2e-3
    warmup: float = 0.0       # share of the run over which the lr rises from 0 to lr
    lr_final: float = 1.0     # lr at the end of the run, as a share of lr (cosine decay; 1: constant)
    beta2: float = 0.999      # AdamW's second-moment decay (lower: quicker to shrink a step
                              # after a gradient burst)
    batch_size: int = 32
    gpu_batch_size: int | None = None  # clips per step when training on a GPU and no batch size
                                       # is given (None: batch_size); a GPU is idle at 32
    hidden: int = 256         # MLP width of the model's own networks
    width_dec: int = 32       # decoder / sprite-net channels
    dec_frames: int = 4       # frames rendered per clip per training step
    fg_weight: float = 10.0   # objects are ~2% of pixels: weight them up or they vanish
    flow_weight: float = 1.0  # weight of the prior's loss beside the reconstruction
    caption_drop: float = 0.1  # share of captions replaced by the null text (for guidance)
    guidance: float = 2.0     # classifier-free guidance scale when sampling
    sample_steps: int = 10    # Heun steps when sampling
    temperature: float = 1.0  # scale of the starting noise when sampling (below 1: fewer outliers)
    ema: float = 0.999        # decay of the weights' moving average that samples
    grad_clip: float = 5.0    # max gradient norm per step (after the all-reduce under torchrun)


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


class VelocityNet(nn.Module):
    """(x (B, dim), t (B,), text (B, text_dim)) -> velocity (B, dim)."""

    def __init__(self, c: FlowPriorConfig, dim: int, text_dim: int):
        super().__init__()
        w = c.prior_width
        self.inp = nn.Linear(dim, w)
        self.time = nn.Sequential(nn.Linear(2 * TIME_FREQUENCIES + 1, w), nn.SiLU(), nn.Linear(w, w))
        self.text = nn.Sequential(nn.Linear(text_dim, w), nn.SiLU(), nn.Linear(w, w))
        self.blocks = nn.ModuleList(PriorBlock(w) for _ in range(c.prior_depth))
        self.norm = nn.LayerNorm(w, elementwise_affine=False)
        self.out = nn.Linear(w, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.checkpointing = False

    def forward(self, x, t, text):
        c = self.time(fourier(t, TIME_FREQUENCIES)) + self.text(text)
        h = self.inp(x)
        for block in self.blocks:
            h = maybe_checkpoint(self, block, h, c)
        return self.out(self.norm(h))


class FlowPrior(nn.Module):
    """p(z | text) for a vector z (B, dim), learned by rectified flow."""

    def __init__(self, c: FlowPriorConfig, dim: int, text_dim: int):
        super().__init__()
        self.cfg, self.dim = c, dim
        self.velocity = VelocityNet(c, dim, text_dim)
        self.null_text = nn.Parameter(torch.zeros(text_dim))
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def loss(self, z: torch.Tensor, text: torch.Tensor, stats_rate: float = 0.01) -> torch.Tensor:
        """Flow-matching loss of data z (B, dim) given caption embeddings (B, text_dim). Moves
        the running statistics `stats_rate` of the way to this batch's first (a batch of one
        clip has no std, and leaves them)."""
        b = z.shape[0]
        if b > 1:
            with torch.no_grad():
                stats = z.float()  # bf16 under autocast; the buffers stay float32
                self.mean.lerp_(stats.mean(0), stats_rate)
                self.std.lerp_(stats.std(0) + 1e-3, stats_rate)
        drop = torch.rand(b, device=z.device) < self.cfg.caption_drop
        cond = torch.where(drop[:, None], self.null_text.expand_as(text), text)
        return flow_loss(self.velocity, (z - self.mean) / self.std, cond)

    @torch.no_grad()
    def sample(self, text: torch.Tensor, generator: torch.Generator, steps: int | None = None,
               guidance: float | None = None, temperature: float | None = None) -> torch.Tensor:
        """z (B, dim) for caption embeddings (B, text_dim); None: the config's setting."""
        c = self.cfg
        x = sample_latents(self.velocity, text, self.null_text, self.dim, generator,
                           c.sample_steps if steps is None else steps,
                           c.guidance if guidance is None else guidance,
                           c.temperature if temperature is None else temperature)
        return x * self.std + self.mean
