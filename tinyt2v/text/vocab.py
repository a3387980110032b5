"""Word tokens and vocabularies built from a world's training wordings."""
from __future__ import annotations

import re
import string

from ..world.captions import (COLOR_WORDS, MOTION_WORDS, SHAPE_WORDS, SIZE_WORDS, SPEED_WORDS,
                              TEMPLATES)
from ..world.config import WorldConfig

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1  # their ids in every Vocab


def words(text: str) -> list[str]:
    """Lower-case word tokens (any script); hyphens, punctuation and emoji separate words."""
    return re.findall(r"[^\W_]+", text.lower())


def training_words(world: WorldConfig) -> list[str]:
    """Every word the world's train split can say (never the paraphrase-only ones)."""
    if world.prompts:
        found = {w for p, _ in world.prompts for w in words(p)}
    else:
        found = set()
        for t in TEMPLATES["train"]:
            found |= set(words(string.Formatter().vformat(t, (), _Blank())))
        found |= {"an"}
        for table in (SHAPE_WORDS, COLOR_WORDS, SIZE_WORDS, MOTION_WORDS, SPEED_WORDS):
            for train_words, _ in table.values():
                for phrase in train_words:
                    found |= set(words(phrase))
    return sorted(found)


class _Blank(dict):
    def __getitem__(self, key):
        return ""


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
