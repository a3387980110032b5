"""Rectified flow (flow matching) math, apart from any network.

x_t = (1 - t) * noise + t * data, and the network predicts the velocity data - noise
(Liu et al. 2022; Lipman et al. 2022). Sampling integrates dx/dt = v from noise at t = 0 to
data at t = 1 with Heun's method, which at ~10 steps matches Euler at ~40 on a small latent;
classifier-free guidance mixes conditional and unconditional velocities (Ho & Salimans 2022).
"""
from __future__ import annotations

from typing import Callable

import torch

Cond = torch.Tensor | tuple[torch.Tensor, ...]  # a batch's condition: one tensor or several,
                                                # each with the batch first
Velocity = Callable[[torch.Tensor, torch.Tensor, Cond], torch.Tensor]


def flow_loss(net: Velocity, data: torch.Tensor, cond: Cond, noise: torch.Tensor | None = None,
              t: torch.Tensor | None = None, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared velocity error at a random time per sample. data (B, ...): a vector or a
    latent grid per sample; cond as the network takes it. noise and t (B,) may be given (a
    held-out loss measured at fixed ones); by default they are drawn. weight, broadcast against
    data, weighs each number's error (None: all alike)."""
    noise = torch.randn_like(data) if noise is None else noise
    # Logit-normal times put more weight mid-way, where the velocity is hardest (SD3).
    t = torch.sigmoid(torch.randn(data.shape[0], device=data.device)) if t is None else t
    tb = t.view(-1, *[1] * (data.dim() - 1))
    x = (1 - tb) * noise + tb * data
    error = (net(x, t, cond) - (data - noise)) ** 2
    return (error if weight is None else weight * error).mean()


def _pair(cond: Cond, null: Cond) -> Cond:
    """The conditional and the unconditional batch in one (null broadcast over the batch)."""
    if isinstance(cond, tuple):
        return tuple(_pair(c, n) for c, n in zip(cond, null))
    return torch.cat([cond, null.expand_as(cond)])


@torch.no_grad()
def sample(net: Velocity, noise: torch.Tensor, cond: Cond, null: Cond,
           steps: int = 10, guidance: float = 1.0) -> torch.Tensor:
    """Integrate from noise (B, ...) to data with Heun steps; guidance 1 = no guidance. null is
    the unconditional condition, shaped as cond (a batch of one is broadcast)."""
    both_cond = _pair(cond, null) if guidance != 1.0 else None

    def v(x, t):
        tt = torch.full((x.shape[0],), t, device=x.device)
        if guidance == 1.0:
            return net(x, tt, cond)
        both = net(torch.cat([x, x]), torch.cat([tt, tt]), both_cond)
        c, u = both.chunk(2)
        return u + guidance * (c - u)

    x = noise
    ts = torch.linspace(0, 1, steps + 1).tolist()
    for t0, t1 in zip(ts[:-1], ts[1:]):
        d0 = v(x, t0)
        x1 = x + (t1 - t0) * d0
        x = x + (t1 - t0) * 0.5 * (d0 + v(x1, t1)) if t1 < 1 else x1
    return x


def sample_latents(net: Velocity, cond: Cond, null: Cond, shape: int | tuple[int, ...],
                   generator: torch.Generator, steps: int, guidance: float,
                   temperature: float | torch.Tensor = 1.0) -> torch.Tensor:
    """(B, *shape) samples for a batch of conditions: seeded noise (drawn on the CPU, so a seed
    gives the same clip on every device) times `temperature` (one, or (B, 1): one per sample of
    a flat latent), then `sample`. A temperature below 1
    starts from nearer the middle of the noise, trading the tails of the learned distribution
    (where a small model is least accurate) for variety (reduced-temperature sampling, Glow).
    A tensor null is one condition (C,) for the whole batch; a tuple null is already batched."""
    first = cond[0] if isinstance(cond, tuple) else cond
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    noise = temperature * torch.randn(first.shape[0], *shape, generator=generator).to(first.device)
    return sample(net, noise, cond, null if isinstance(null, tuple) else null[None], steps, guidance)
