"""What every model family provides to the shared training loop and pipeline.

A System owns its networks and text encoder; the loop hands it batches and optimizers, the
pipeline asks it for videos. Videos are (B, T, 3, H, W) floats in [-1, 1].
"""
from __future__ import annotations

import torch
from torch import nn


class System(nn.Module):
    name = "system"
    uses_ema = False

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def train_step(self, video: torch.Tensor, captions: list[str],
                   opts: dict[str, torch.optim.Optimizer], progress: float = 0.0,
                   labels: list[dict] | None = None) -> dict[str, float]:
        """One optimisation step on a batch; progress in [0, 1] is how far the run is (for
        schedules); labels are the world's per-clip labels when known. Returns losses to log."""
        raise NotImplementedError

    def generate(self, captions: list[str], generator: torch.Generator, frames: int | None = None,
                 guidance: float | None = None) -> torch.Tensor:
        """Videos (B, T, 3, H, W) in [-1, 1] for the captions."""
        raise NotImplementedError

    def check_prompt(self, caption: str) -> list[str]:
        """Raise ValueError if the model cannot take the prompt; return words it will ignore."""
        return []
