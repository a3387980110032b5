"""The tutorial's text encoder: the mean of word embeddings (order-blind).

Strict, as the tutorial's (`bag`): a word it never saw is an error. Lenient (`mean`): unknown
words are dropped, and a prompt with none it knows reads as <unk>. Order-blind is no loss on
one-object captions, and its embeddings learn from the first step (a GRU's come slower)."""
from __future__ import annotations

import torch
from torch import nn

from .vocab import UNK_ID, Vocab


class UnknownWordError(ValueError):
    """The prompt uses words this model never saw; `.words` lists them."""

    def __init__(self, words: list[str], vocab: Vocab):
        known = ", ".join(vocab.itos[2:40])
        super().__init__(f"word(s) not in this model's vocabulary: {', '.join(words)} "
                         f"(it knows: {known}{', ...' if len(vocab) > 42 else ''})")
        self.words = words


class MeanWordEmbedding(nn.Module):
    word_states = False  # one vector per caption, no per-word states
    """captions -> (B, dim): the average embedding of each caption's words."""

    def __init__(self, vocab: Vocab, dim: int = 10, strict: bool = True):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(len(vocab), dim)
        self.dim = dim
        self.strict = strict

    def forward(self, captions: list[str]) -> torch.Tensor:
        out = []
        for c in captions:
            unknown = self.vocab.unknown(c)
            if unknown and self.strict:  # the tutorial raised KeyError here
                raise UnknownWordError(unknown, self.vocab)
            ids = [i for i in self.vocab.encode(c) if i != UNK_ID] or [UNK_ID]
            ids = torch.tensor(ids, dtype=torch.long, device=self.embed.weight.device)
            out.append(self.embed(ids).mean(0))
        return torch.stack(out)
