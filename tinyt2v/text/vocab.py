"""Vocabularies: word <-> id for the text encoders that learn word embeddings."""
from __future__ import annotations

from ..tokens import words

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1  # their ids in every Vocab


class Vocab:
    """Word <-> id. Id 0 is padding, 1 is unknown."""

    def __init__(self, tokens: list[str]):
        self.itos = [PAD, UNK] + [t for t in tokens if t not in (PAD, UNK)]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def unknown(self, text: str) -> list[str]:
        return list(dict.fromkeys(w for w in words(text) if w not in self.stoi))

    def encode(self, text: str) -> list[int]:
        return [self.stoi.get(w, UNK_ID) for w in words(text)]
