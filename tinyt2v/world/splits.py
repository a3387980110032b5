"""Fixed, documented splits of the world's attribute combinations.

- train:      combinations outside the held-out sets, train wordings
- test:       the same combinations, new clips (another random stream)
- heldout:    clips whose (shape, motion) or (colour, shape) pair is never in train,
              "circle moving up-right" (the tutorial's own test) among them
- freeform:   train combinations, worded with training words in frames and orders training
              never uses
- paraphrase: train combinations, worded only with paraphrase templates and synonyms
The held-out pairs are drawn once with a fixed seed, so every checkout agrees on them.
"""
from __future__ import annotations

import math
from functools import cache

import numpy as np

from .attributes import valid_combo
from .config import WorldConfig

SPLITS = ("train", "test", "heldout", "freeform", "paraphrase")
SCENE_SPLITS = ("train", "test", "binding", "heldout", "count", "paraphrase")  # world/scenes.py
RELATION_SPLITS = ("relation", "relation_wording")  # a scenes world with relations adds these
STREAMS = SPLITS + ("binding", "count") + RELATION_SPLITS  # each split's place seeds its random stream


def splits_of(world: WorldConfig) -> tuple[str, ...]:
    """The splits a world draws: a scenes world's (with relations, theirs too), or the
    one-object world's."""
    if world.objects == 1:
        return SPLITS
    return SCENE_SPLITS + (RELATION_SPLITS if world.relations else ())
HELDOUT_SEED = 20241
ALWAYS_HELDOUT = (("circle", "up_right"),)


def _draw_pairs(rng, pairs, n, always=()):
    """n pairs, `always` first, each first and each second element held out at most
    ceil(n / distinct) times, so every shape, colour and motion is still trained on."""
    chosen = [p for p in always if p in pairs]
    cap_a = math.ceil(n / len({a for a, _ in pairs}))
    cap_b = math.ceil(n / len({b for _, b in pairs}))
    for i in rng.permutation(len(pairs)):
        if len(chosen) >= n:
            break
        a, b = pairs[i]
        if (a, b) in chosen:
            continue
        if sum(x == a for x, _ in chosen) < cap_a and sum(y == b for _, y in chosen) < cap_b:
            chosen.append((a, b))
    return frozenset(chosen)


@cache
def heldout_pairs(world: WorldConfig) -> tuple[frozenset, frozenset]:
    """((shape, motion) pairs, (colour, shape) pairs) never shown in training."""
    rng = np.random.default_rng(HELDOUT_SEED)
    sm = [(s, m) for s in world.shapes for m in world.motions if valid_combo(s, m)]
    cs = [(c, s) for c in world.colors for s in world.shapes]
    if world.heldout_fraction <= 0:
        return frozenset(), frozenset()
    n_sm = math.ceil(world.heldout_fraction * len(sm)) if len(sm) > 1 else 0
    n_cs = math.ceil(world.heldout_fraction * len(cs)) if len(cs) > 1 else 0
    return _draw_pairs(rng, sm, n_sm, ALWAYS_HELDOUT), _draw_pairs(rng, cs, n_cs)


@cache
def combos(world: WorldConfig, split: str) -> tuple[tuple[str, str, str, str], ...]:
    """All (shape, colour, size, motion) combinations a split draws from."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    if world.prompts:  # a fixed prompt list: the held-out prompts are the held-out split
        rows = world.heldout_prompts if split == "heldout" else world.prompts
        return tuple((world.shapes[0], world.colors[0], world.sizes[0], m) for _, m in rows)
    held_sm, held_cs = heldout_pairs(world)
    out = []
    for s in world.shapes:
        for c in world.colors:
            for z in world.sizes:
                for m in world.motions:
                    if not valid_combo(s, m):
                        continue
                    held = (s, m) in held_sm or (c, s) in held_cs
                    if held == (split == "heldout"):
                        out.append((s, c, z, m))
    return tuple(out)
