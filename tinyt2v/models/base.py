"""What every model family provides to the shared training loop and pipeline.

A System owns its networks and text encoder; the loop hands it batches and optimizers, the
pipeline asks it for videos. Videos are (B, T, 3, H, W) floats in [-1, 1].
"""
from __future__ import annotations

import torch
from torch import nn


def check_words(text_encoder: nn.Module, caption: str) -> list[str]:
    """For models with a learned word vocabulary: refuse a prompt with no known word (nothing
    to condition on), else return the unknown words that will be ignored."""
    from ..text.vocab import words

    vocab = getattr(text_encoder, "vocab", None)
    if vocab is None:  # a sentence encoder reads any text
        return []
    if not any(w in vocab.stoi for w in words(caption)):
        raise ValueError("no word of the prompt is known to this model; it was trained on "
                         "English prompts like 'a small red circle moving up-right'")
    return vocab.unknown(caption)


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
