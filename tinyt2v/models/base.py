"""What every model family provides to the shared training loop and pipeline.

A System owns its networks and text encoder; the loop hands it batches and optimizers, the
pipeline asks it for videos. Videos are (B, T, 3, H, W) floats in [-1, 1].
"""
from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import nn

from .config import ModelConfig
from .layers import Recomputable

# Averages the gradients of the parameters it is given across data-parallel ranks (the training
# loop passes distributed.average_gradients; one process needs nothing).
GradientSync = Callable[[Iterable[nn.Parameter]], None]


def no_sync(params: Iterable[nn.Parameter]) -> None:
    pass


def check_words(text_encoder: nn.Module, caption: str) -> list[str]:
    """For models with a learned word vocabulary: refuse a prompt with no known word (nothing
    to condition on), else return the unknown words that will be ignored."""
    from ..text.vocab import words

    vocab = text_encoder.vocab
    if vocab is None:  # a sentence encoder reads any text
        return []
    if not any(w in vocab.stoi for w in words(caption)):
        raise ValueError("no word of the prompt is known to this model; it knows words such as: "
                         + ", ".join(vocab.itos[2:14]))
    return vocab.unknown(caption)


Targets = dict[str, torch.Tensor]  # per-clip label targets by head name (world/labels.py)


class System(nn.Module):
    """A model family's networks and text encoder. The training loop (train.py) asks it for
    its optimizers and its loss on a batch, then runs backward, clipping and the optimizer step
    itself; a family whose registry spec says own_step (a GAN's two optimizers in turn) steps
    them in `train_step` instead."""
    cfg: ModelConfig
    compile_targets: tuple[str, ...] = ()  # sub-networks (dotted paths) torch.compile may take,
                                            # tensors in and out

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Named optimizers; by default one AdamW over every parameter at the config's lr."""
        return {"all": torch.optim.AdamW(self.parameters(), lr=self.cfg.lr, weight_decay=0.0,
                                         betas=(0.9, self.cfg.beta2))}

    def losses(self, video: torch.Tensor, captions: list[str], progress: float,
               targets: Targets | None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The batch's mean loss and the terms to log; progress in [0, 1] is how far the run is
        (for losses that change over it); targets: the clips' label targets, when it has labels."""
        raise NotImplementedError

    def forward(self, video, captions, progress, targets):
        """losses(), as the module call that DistributedDataParallel wraps."""
        return self.losses(video, captions, progress, targets)

    def train_step(self, video: torch.Tensor, captions: list[str], opts: dict[str, torch.optim.Optimizer],
                   sync: GradientSync = no_sync) -> dict[str, float]:
        """For own_step families only: one optimisation step of every optimizer on a batch,
        gradients averaged across ranks by `sync`; returns the losses to log."""
        raise NotImplementedError

    def stage_steps(self, step: int) -> int:
        """How many steps the weights being learned now have learned for: the EMA's warm-up
        counts from there. One stage by default; a model trained in stages restarts the count."""
        return step

    def clip_gradients(self) -> None:
        torch.nn.utils.clip_grad_norm_(self.parameters(), self.cfg.grad_clip)

    def set_gradient_checkpointing(self, on: bool = True) -> int:
        """Recompute the activations of the sub-networks that support it during the backward
        pass instead of keeping them (memory for compute, for large presets). Returns how many
        sub-networks it switched."""
        parts = [m for m in self.modules() if isinstance(m, Recomputable)]
        for m in parts:
            m.checkpointing = on
        return len(parts)

    def compile(self, **kwargs) -> None:  # noqa: A003 - nn.Module.compile, per sub-network
        """torch.compile the compute-heavy sub-networks in place (state_dict keys unchanged);
        the text encoders take Python strings and stay eager."""
        for name in self.compile_targets:
            self.get_submodule(name).compile(**kwargs)

    def generate(self, captions: list[str], generator: torch.Generator, frames: int | None = None,
                 guidance: float | None = None, temperature: float | None = None) -> torch.Tensor:
        """Videos (B, T, 3, H, W) in [-1, 1] for the captions; guidance and temperature (None:
        the config's) are for the flow models."""
        raise NotImplementedError

    animates = False  # whether `animate` moves a given picture (the layered models: a layer of it)

    def animate(self, stills: torch.Tensor, captions: list[str], generator: torch.Generator,
                frames: int | None = None, guidance: float | None = None,
                temperature: float | None = None) -> torch.Tensor:
        """Videos (B, T, 3, H, W) in [-1, 1] that start on stills (B, 3, H, W) and move as the
        captions say."""
        raise NotImplementedError(f"{type(self).__name__} cannot animate a picture")

    def check_prompt(self, caption: str) -> list[str]:
        """Raise ValueError if the model cannot take the prompt; return words it will ignore.
        Every family reads captions with its text encoder `self.text`."""
        return check_words(self.text, caption)
