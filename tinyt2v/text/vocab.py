"""Word tokens and vocabularies built from a world's training wordings."""
from __future__ import annotations

import re

from ..world.captions import vocabulary
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
        found = set(vocabulary(world.captions))
    if world.objects > 1:  # scenes also count, pluralise and join
        from ..world.scene_captions import scene_vocabulary

        found |= scene_vocabulary(world.captions)
    return sorted(found)


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
