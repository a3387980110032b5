"""The words a world's training captions can say: what a model trained on it knows."""
from __future__ import annotations

from ..tokens import words
from .captions import vocabulary
from .config import WorldConfig
from .relations import RELATIONS, wordings
from .scene_captions import scene_vocabulary


def training_words(world: WorldConfig) -> list[str]:
    """Every word the world's train split can say (never the paraphrase-only ones)."""
    if world.prompts:
        found = {w for p, _ in world.prompts for w in words(p)}
    else:
        found = set(vocabulary(world.captions))
    if world.objects > 1:  # scenes also count, pluralise and join
        found |= scene_vocabulary(world.captions)
    if world.relations:  # and a relation's training wordings (never the held-out ones)
        found |= {w for r in RELATIONS for phrase in wordings(r, held_out=False) for w in words(phrase)}
    return sorted(found)
