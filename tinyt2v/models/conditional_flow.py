"""A caption-conditioned rectified flow around any velocity network: what classifier-free
guidance and a well-scaled target need, written once for the MLP prior and the DiT alike.

`ConditionalFlow` owns, beside the network: the learned null caption that caption dropout
swaps in during training and guidance mixes in when sampling (Ho & Salimans 2022), and running
statistics that standardise the data so the flow sees ~N(0, 1) numbers (one mean and std per
index of the data's first axis after the batch: a vector's entries, a latent grid's channels).
The flow maths (loss, Heun sampler) lives in diffusion/flow.py; the network knows nothing of it.

A condition is one of two forms, as the text encoders give them:
- a caption vector (B, D): the network is called net(x, t, vector);
- the caption's words (B, L, D), their mask (B, L) and its vector (B, D): net(x, t, words,
  mask, vector), for networks that read words by cross-attention.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..diffusion.flow import Cond, flow_loss, sample_latents


class ConditionalFlow(nn.Module):
    """p(data | caption) for data (B, *shape) by rectified flow. cfg gives caption_drop,
    sample_steps, guidance and temperature; words: whether conditions carry words; std_floor
    is added to each running std, so that an entry that never varies divides by no 0."""

    def __init__(self, velocity: nn.Module, cfg, shape: tuple[int, ...], text_dim: int, words: bool = False,
                 std_floor: float = 1e-3):
        super().__init__()
        self.cfg, self.shape, self.words, self.std_floor = cfg, tuple(shape), words, std_floor
        self.velocity = velocity
        self.null_text = nn.Parameter(torch.zeros(text_dim))  # the caption vector of no caption
        if words:
            self.null_words = nn.Parameter(torch.zeros(text_dim))  # ... and its one word
        self.register_buffer("mean", torch.zeros(self.shape[0]))
        self.register_buffer("std", torch.ones(self.shape[0]))

    def _net(self, x: torch.Tensor, t: torch.Tensor, cond: Cond) -> torch.Tensor:
        return self.velocity(x, t, *cond) if self.words else self.velocity(x, t, cond)

    def _per_entry(self, stat: torch.Tensor) -> torch.Tensor:
        return stat.view(-1, *[1] * (len(self.shape) - 1))  # broadcast over the data's other axes

    def standardise(self, data: torch.Tensor) -> torch.Tensor:
        return (data - self._per_entry(self.mean)) / self._per_entry(self.std)

    @torch.no_grad()
    def track_statistics(self, data: torch.Tensor, rate: float) -> None:
        """Move the running mean and std `rate` of the way to this batch's (rate 1: set them).
        A batch with one number per entry has no spread and leaves them."""
        per_entry = data.float().transpose(0, 1).flatten(1)  # (entries, numbers); bf16 under autocast
        if per_entry.shape[1] > 1:
            self.mean.lerp_(per_entry.mean(1), rate)
            self.std.lerp_(per_entry.std(1) + self.std_floor, rate)

    def drop_captions(self, cond: Cond) -> Cond:
        """cond with a random `caption_drop` share of its captions replaced by the null caption."""
        vector = cond[-1] if self.words else cond
        drop = torch.rand(vector.shape[0], device=vector.device) < self.cfg.caption_drop
        vector = torch.where(drop[:, None], self.null_text.to(vector.dtype), vector)
        if not self.words:
            return vector
        words, mask, _ = cond
        return torch.where(drop[:, None, None], self.null_words.to(words.dtype), words), mask, vector

    def null(self, cond: Cond) -> Cond:
        """The null caption, as one condition for a whole batch shaped like cond."""
        if not self.words:
            return self.null_text
        mask = torch.ones(1, 1, dtype=torch.bool, device=cond[1].device)
        return self.null_words.view(1, 1, -1), mask, self.null_text.view(1, -1)

    def loss(self, data: torch.Tensor, cond: Cond, stats_rate: float = 0.01,
             weigh: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        """Flow-matching loss of data (B, *shape) given cond, after moving the statistics
        `stats_rate` towards this batch's. weigh: standardised data -> each number's weight."""
        self.track_statistics(data, stats_rate)
        x = self.standardise(data)
        return flow_loss(self._net, x, self.drop_captions(cond), weight=None if weigh is None else weigh(x))

    @torch.no_grad()
    def sample(self, cond: Cond, generator: torch.Generator, steps: int | None = None,
               guidance: float | None = None, temperature: float | torch.Tensor | None = None) -> torch.Tensor:
        """Data (B, *shape) for the conditions; None: the config's setting."""
        c = self.cfg
        x = sample_latents(self._net, cond, self.null(cond), self.shape, generator,
                           c.sample_steps if steps is None else steps,
                           c.guidance if guidance is None else guidance,
                           c.temperature if temperature is None else temperature)
        return x * self._per_entry(self.std) + self._per_entry(self.mean)
