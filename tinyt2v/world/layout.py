"""What every stream of world clips is made of: per-clip containers and the background fill.

sample.py (one object per clip) and scenes.py (several) both lay clips out into these, so
neither needs the other's module to draw or batch.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .config import WorldConfig


class PerClip:
    """A dataclass whose every field holds one entry per clip (arrays along axis 0, or lists)."""

    def __len__(self) -> int:
        return len(self.captions)

    @classmethod
    def concat(cls, parts: list) -> Any:
        def join(xs):
            if xs[0] is None:  # e.g. real clips, which have no labels
                return None
            if isinstance(xs[0], list):
                return [x for part in xs for x in part]
            if isinstance(xs[0], np.ndarray):
                return np.concatenate(xs)
            import torch  # a batch drawn on a training device

            return torch.cat(xs)

        return cls(**{f.name: join([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def slice(self, start: int, stop: int) -> Any:
        part = {f.name: getattr(self, f.name) for f in fields(self)}
        return type(self)(**{k: v if v is None else v[start:stop] for k, v in part.items()})


@dataclass
class Batch(PerClip):
    """Clips and what they show. video (B, T, H, W, 3) uint8 (a numpy array, or a torch tensor
    when drawn on a device); one caption and label per clip."""

    video: Any
    captions: list[str]
    labels: list[dict]


def fill_backgrounds(world: WorldConfig, rng: np.random.Generator, n: int) -> np.ndarray:
    """n backgrounds (N, H, W, 3) uint8: the world's colour, with uniform per-pixel noise of
    +-`texture` (a share of 255) when the world has texture."""
    background = np.empty((n, world.height, world.width, 3), np.uint8)
    background[:] = np.array(world.background, np.uint8)
    if world.texture > 0:
        noise = rng.uniform(-world.texture, world.texture, background.shape) * 255
        background = np.clip(background + noise, 0, 255).astype(np.uint8)
    return background
