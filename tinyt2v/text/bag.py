"""The tutorial's text encoder: the mean of 10-d word embeddings (order-blind)."""
from __future__ import annotations

import torch
from torch import nn

from .vocab import Vocab


class UnknownWordError(ValueError):
    """The prompt uses words this model never saw; `.words` lists them."""

    def __init__(self, words: list[str], vocab: Vocab):
        known = ", ".join(vocab.itos[2:40])
        super().__init__(f"word(s) not in this model's vocabulary: {', '.join(words)} "
                         f"(it knows: {known}{', ...' if len(vocab) > 42 else ''})")
        self.words = words


class MeanWordEmbedding(nn.Module):
    """captions -> (B, dim): the average embedding of each caption's words."""

    def __init__(self, vocab: Vocab, dim: int = 10):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(len(vocab), dim)
        self.dim = dim

    def forward(self, captions: list[str]) -> torch.Tensor:
        out = []
        for c in captions:
            unknown = self.vocab.unknown(c)
            if unknown:  # the tutorial raised KeyError here
                raise UnknownWordError(unknown, self.vocab)
            ids = torch.tensor(self.vocab.encode(c), dtype=torch.long, device=self.embed.weight.device)
            out.append(self.embed(ids).mean(0))
        return torch.stack(out)
