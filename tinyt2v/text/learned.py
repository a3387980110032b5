"""A small learned, order-aware text encoder: word embeddings -> bidirectional GRU -> pooling.

Order matters ("up then right" vs "right then up"; which word a colour modifies), and a word
it never saw maps to <unk> instead of crashing.
"""
from __future__ import annotations

import torch
from torch import nn

from .vocab import UNK_ID, Vocab


class GRUTextEncoder(nn.Module):
    word_states = True  # `states` gives each word's state, for cross-attention and slots
    """captions -> (B, dim); `states` also gives the per-token states."""

    def __init__(self, vocab: Vocab, dim: int = 128, embed: int = 64, n_tokens: int | None = None):
        super().__init__()
        self.vocab = vocab
        self.dim = dim
        self.embed = nn.Embedding(n_tokens or len(vocab), embed, padding_idx=0)
        self.gru = nn.GRU(embed, dim // 2, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * dim, dim)

    def token_ids(self, caption: str) -> list[int]:
        return self.vocab.encode(caption)

    def forward(self, captions: list[str]) -> torch.Tensor:
        return self.states(captions)[2]

    def states(self, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-token states (B, L, dim), their mask (B, L) (True: a token, False: padding) and
        the pooled caption (B, dim): a model that cross-attends to the words takes all three."""
        ids = [self.token_ids(c) or [UNK_ID] for c in captions]
        n = max(len(i) for i in ids)
        dev = self.embed.weight.device
        tokens = torch.tensor([i + [0] * (n - len(i)) for i in ids], device=dev)  # (B, L)
        mask = (tokens != 0).unsqueeze(-1).float()
        h, _ = self.gru(self.embed(tokens))  # (B, L, dim)
        mean = (h * mask).sum(1) / mask.sum(1)
        peak = h.masked_fill(mask == 0, -1e4).max(1).values
        return h, tokens != 0, self.out(torch.cat([mean, peak], -1))
