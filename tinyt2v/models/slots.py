"""Words bound to objects: slot attention over a caption's words, so that each object of a
several-object clip reads its own words ("the red K moving left" and "a blue 3 growing")."""
from __future__ import annotations

from itertools import permutations

import torch
from torch import nn


def assignments(slots: int) -> torch.Tensor:
    """Every one-to-one assignment of `slots` slots to as many objects (slots!, slots): row p
    gives each slot's object. Matching tries them all at once (DETR's Hungarian matching, for
    the few objects a clip holds)."""
    return torch.tensor(list(permutations(range(slots))))


def cheapest(cost: torch.Tensor, orders: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each clip's cheapest assignment (B, K) of slots to objects under `cost` (B, slot, object),
    from `orders` (`assignments`), and its total cost (B,)."""
    totals = cost[:, torch.arange(cost.shape[1], device=cost.device), orders].sum(-1)  # (B, orders)
    best = totals.detach().argmin(-1)
    return orders[best], totals.gather(1, best[:, None])[:, 0]


class SlotReader(nn.Module):
    """Per-word states (B, L, D) and their mask (B, L) -> each slot's state (B, K, D), each word's
    split over the slots (B, L, K; padding 0) and the weights (B, L, K) each slot's last update
    averaged the words with (each slot's column sums to 1).

    Slot attention (Locatello et al., 2020) over words: the softmax runs over the slots, so slots
    compete for words and each word goes to one object. The weights then gather any encoder's
    word states into the same slots (`gather`). Slots start from learned vectors, which lets
    the first slot learn to take the first object named, and so on. With `positions`, each
    word's place in its caption (0 first, 1 last; a one-word caption's word 0; padding after the
    words) is added to its state before the keys: a slot that takes the first words named then
    needs no more than a query's direction, where one run's slots, reading the states alone,
    split some captions by word ("the" apart from the rest) instead (docs/results.md)."""

    def __init__(self, slots: int, iterations: int, dim: int, positions: bool = False):
        super().__init__()
        self.start = nn.Parameter(torch.randn(slots, dim))
        self.iterations = iterations
        self.norm = nn.LayerNorm(dim)
        self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.query = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim))
        self.update = nn.GRUCell(dim, dim)
        self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * dim), nn.SiLU(), nn.Linear(2 * dim, dim))
        self.place = nn.Linear(1, dim) if positions else None  # a word's place in its caption

    def forward(self, words, mask):
        b, n, d = words.shape
        x = self.norm(words)
        if self.place is not None:
            last = (mask.sum(1, keepdim=True) - 1).clamp(min=1)  # (B, 1)
            x = x + self.place((torch.arange(n, device=words.device) / last)[..., None])
        k, v = self.key(x), self.value(x)
        slots = self.start.expand(b, -1, -1)
        for _ in range(self.iterations):
            logits = torch.einsum("bld,bkd->blk", k, self.query(slots)) / d ** 0.5
            share = logits.softmax(-1) * mask[..., None]  # (B, L, K): each word split over slots
            weights = share / share.sum(1, keepdim=True).clamp(min=1e-6)
            slots = self.update(torch.einsum("blk,bld->bkd", weights, v).reshape(-1, d),
                                slots.reshape(-1, d)).view(b, -1, d)
            slots = slots + self.mlp(slots)
        return slots, share, weights


SPAN_SHARPNESS = 10.0  # how sharply a word's place along the spans picks its slot: a word a third
                      # of the way between two slots' places goes 96% to the nearer


class SpanReader(nn.Module):
    """Per-word states (B, L, D) and their mask (B, L) -> as `SlotReader`: each slot's state
    (B, K, D), each word's split over the slots (B, L, K; padding 0) and the weights (B, L, K)
    each slot averages the words with (each slot's column sums to 1).

    Each slot holds one run of consecutive words, in order: slot 0 the first thing named, as
    captions name things one after another ("the red B moving right and a blue S standing
    still"). Each word after the first reads from its state how likely a new thing starts at it;
    a word's count of starts so far, as a share of its caption's, places it along the slots (0
    first, K - 1 last) and it goes to the nearest. Untrained, every word is as likely a start
    and a caption splits into K even runs; trained, the starts gather where the things' words
    meet. Slot attention may give one thing's words to two slots (a motion word to the other
    thing's slot, docs/results.md); runs cannot."""

    def __init__(self, slots: int, dim: int):
        super().__init__()
        self.slots = slots
        self.norm = nn.LayerNorm(dim)
        self.start = nn.Linear(dim, 1)  # a word's state -> how likely a new thing starts at it
        nn.init.zeros_(self.start.weight)  # every word as likely at first: even runs
        nn.init.zeros_(self.start.bias)

    def forward(self, words, mask):
        after_first = torch.arange(words.shape[1], device=words.device) > 0
        start = torch.sigmoid(self.start(self.norm(words)))[..., 0] * mask * after_first  # (B, L)
        count = start.cumsum(1)
        place = (self.slots - 1) * count / count.amax(1, keepdim=True).clamp(min=1e-6)  # (B, L) in [0, K - 1]
        slot = torch.arange(self.slots, device=words.device)
        share = (-SPAN_SHARPNESS * (place[..., None] - slot).square()).softmax(-1) * mask[..., None]
        weights = share / share.sum(1, keepdim=True).clamp(min=1e-6)
        return torch.einsum("blk,bld->bkd", weights, words), share, weights


def gather(share: torch.Tensor, weights: torch.Tensor, words: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each slot's words pooled as the one-object encoder pools a caption: (weighted mean
    (B, K, D), peak (B, K, D): the maximum over the words the slot holds at least an even share
    of: all of them for a one-object caption, and the shared words of a counted group ("two
    green stars") for each of its slots)."""
    held = share >= 1 / share.shape[-1]  # (B, L, K); padding has no share
    peak = words[:, :, None].masked_fill(~held[..., None], -1e4).amax(1)
    peak = torch.where(held.any(1)[..., None], peak, torch.zeros_like(peak))
    return torch.einsum("blk,bld->bkd", weights, words), peak
