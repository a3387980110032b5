"""World labels as numbers a network can predict, for models that learn from them.

A model that can use labels (latent-flow's auxiliary heads) is told only how many outputs each
head has (`label_heads`) and gets the targets as arrays (`label_targets`); it never sees the
world's names, so it trains unchanged on footage that has no labels at all.
"""
from __future__ import annotations

import numpy as np

from .attributes import COLORS, MOTIONS, SHAPES, SIZES, SPEEDS
from .config import WorldConfig

# Categorical labels and their classes (the whole vocabulary, so every world has the same heads).
CLASSES = {"shape": SHAPES, "color": tuple(COLORS), "size": tuple(SIZES), "motion": MOTIONS,
           "speed": tuple(SPEEDS)}
SCALARS = ("start_x", "start_y", "radius")  # regression labels, under the head "scalars"
RADIUS_SCALE = 10.0  # radius in px / this is ~1, as start_x / width is


def label_heads() -> dict[str, int]:
    """Outputs per head: classes per categorical label, then the scalars."""
    return {**{k: len(v) for k, v in CLASSES.items()}, "scalars": len(SCALARS)}


def label_targets(labels: list[dict], world: WorldConfig) -> dict[str, np.ndarray]:
    """Per head: class indices (N,) int64, or the scalars (N, 3) float32 scaled to ~[0, 1]."""
    out = {k: np.array([names.index(lab[k]) for lab in labels], np.int64)
           for k, names in CLASSES.items()}
    scale = np.array([world.width, world.height, RADIUS_SCALE], np.float32)
    out["scalars"] = np.array([[lab[k] for k in SCALARS] for lab in labels], np.float32) / scale
    return out
