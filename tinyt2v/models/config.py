"""What every model family's config holds: the clip shape (set by the data) and how it trains.

Each family's config dataclass extends `ModelConfig`, re-declaring a default where it trains
otherwise. The training loop reads these fields and nothing else of a model's config.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ModelConfig:
    frames: int = 16          # frames per clip: set from the data, not by hand
    height: int = 64          # frame height in px: set from the data
    width: int = 64           # frame width in px: set from the data
    lr: float = 2e-3          # AdamW's learning rate
    warmup: float = 0.0       # share of the run over which the lr rises from 0 to lr
    lr_final: float = 1.0     # lr at the end of the run, as a share of lr (cosine decay; 1: constant)
    beta2: float = 0.999      # AdamW's second-moment decay (lower: quicker to shrink a step
                              # after a gradient burst)
    batch_size: int = 32      # clips per step
    gpu_batch_size: int | None = None  # clips per step when training on a GPU and no batch size
                                       # is given (None: batch_size); a GPU is idle at 32
    ema: float = 0.999        # decay of the weights' moving average that samples (models that keep one)
    grad_clip: float = 5.0    # max gradient norm per step (after the all-reduce under torchrun)
    guidance: float | None = None  # classifier-free guidance scale when sampling (None: none)

    @property
    def objects(self) -> int | None:
        """The most objects one clip it draws holds: a model built around objects says how
        many; None: as many as the clips it learned from."""
        return None
