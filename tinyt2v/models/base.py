"""What every model family provides to the shared training loop and pipeline.

A System owns its networks and text encoder; the loop hands it batches and optimizers, the
pipeline asks it for videos. Videos are (B, T, 3, H, W) floats in [-1, 1].
"""
from __future__ import annotations

import contextlib
import math
from typing import Callable, Iterable

import torch
from torch import nn

# Averages the gradients of the parameters it is given across data-parallel ranks (the training
# loop passes distributed.average_gradients; one process needs nothing).
GradientSync = Callable[[Iterable[nn.Parameter]], None]


def no_sync(params: Iterable[nn.Parameter]) -> None:
    pass


def check_words(text_encoder: nn.Module, caption: str) -> list[str]:
    """For models with a learned word vocabulary: refuse a prompt with no known word (nothing
    to condition on), else return the unknown words that will be ignored."""
    from ..text.vocab import words

    vocab = getattr(text_encoder, "vocab", None)
    if vocab is None:  # a sentence encoder reads any text
        return []
    if not any(w in vocab.stoi for w in words(caption)):
        raise ValueError("no word of the prompt is known to this model; it knows words such as: "
                         + ", ".join(vocab.itos[2:14]))
    return vocab.unknown(caption)


Targets = dict[str, torch.Tensor]  # per-clip label targets by head name (world/labels.py)


def micro_batches(video: torch.Tensor, captions: list[str], targets: Targets | None, n: int):
    """Split a batch into n nearly equal consecutive parts: (video, captions, targets) each."""
    if not 1 <= n <= len(video):
        raise ValueError(f"cannot split a batch of {len(video)} clips into {n} micro-batches")
    edges = [round(i * len(video) / n) for i in range(n + 1)]
    for a, b in zip(edges, edges[1:]):
        yield video[a:b], captions[a:b], ({k: t[a:b] for k, t in targets.items()}
                                          if targets is not None else None)


class System(nn.Module):
    name = "system"
    uses_ema = False
    compile_targets: tuple[str, ...] = ()  # sub-networks (dotted paths) torch.compile may take,
                                        # tensors in and out

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Named optimizers; by default one AdamW over every parameter at the config's lr."""
        return {"all": torch.optim.AdamW(self.parameters(), lr=self.cfg.lr, weight_decay=0.0,
                                         betas=(0.9, getattr(self.cfg, "beta2", 0.999)))}

    def schedule(self, opt: torch.optim.Optimizer, progress: float) -> None:
        """Set each parameter group's lr for this point of the run (progress 0..1): a cosine
        over the whole run from the group's own lr down to `lr_final` of it, scaled by a linear
        warm-up over the config's `warmup` share. Models without those fields keep a constant lr."""
        warmup, final = getattr(self.cfg, "warmup", 0.0), getattr(self.cfg, "lr_final", 1.0)
        if warmup == 0.0 and final == 1.0:
            return
        p = min(max(progress, 0.0), 1.0)
        factor = final + (1 - final) * 0.5 * (1 + math.cos(math.pi * p))
        if p < warmup:
            factor *= p / warmup
        for group in opt.param_groups:
            group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor

    def losses(self, video: torch.Tensor, captions: list[str], progress: float,
               targets: Targets | None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """For models with one optimizer ("all"): the batch's mean loss and the terms to log.
        Such models get train_step, with gradient accumulation, from this class."""
        raise NotImplementedError

    def forward(self, video, captions, progress, targets):
        """losses(), as the module call that DistributedDataParallel wraps."""
        return self.losses(video, captions, progress, targets)

    @property
    def accumulates(self) -> bool:
        """Whether train_step can split a batch into micro-batches (accumulate > 1)."""
        return type(self).losses is not System.losses

    def stage_steps(self, step: int) -> int:
        """How many steps the weights being learned now have learned for: the EMA's warm-up
        counts from there. One stage by default; a model trained in stages restarts the count."""
        return step

    def clip_gradients(self) -> None:
        torch.nn.utils.clip_grad_norm_(self.parameters(), self.cfg.grad_clip)

    def train_step(self, video: torch.Tensor, captions: list[str],
                   opts: dict[str, torch.optim.Optimizer], progress: float = 0.0,
                   targets: Targets | None = None, accumulate: int = 1,
                   sync: GradientSync = no_sync, ddp: nn.Module | None = None) -> dict[str, float]:
        """One optimisation step on a batch; progress in [0, 1] is how far the run is (for
        schedules); targets are the clips' label targets when the data has labels. Returns the
        losses to log.

        accumulate > 1 runs the batch as that many micro-batches and sums their gradients
        before the one optimizer step: the same update (up to float rounding) in less memory.
        Under torchrun the clip acts on the global batch's gradient, as in a single process:
        `ddp` (this system inside torch's DistributedDataParallel) averages the gradients during
        the last micro-batch's backward pass, overlapped with it; without it, `sync` averages
        them after the backward passes. Either way before the clip."""
        opt = opts["all"]
        opt.zero_grad(set_to_none=True)
        logs: dict[str, float] = {}
        parts = list(micro_batches(video, captions, targets, accumulate))
        for i, (v, c, tg) in enumerate(parts):
            share = len(v) / len(video)  # weights make the sum the whole batch's mean loss
            quiet = ddp is not None and i < len(parts) - 1  # all-reduce once, on the last part
            with ddp.no_sync() if quiet else contextlib.nullcontext():
                loss, terms = (self if ddp is None else ddp)(v, c, progress, tg)
                (share * loss).backward()
            for k, x in terms.items():
                logs[k] = logs.get(k, 0.0) + share * float(x.detach())
        sync(self.parameters())
        self.clip_gradients()
        self.schedule(opt, progress)
        opt.step()
        return logs

    def set_gradient_checkpointing(self, on: bool = True) -> int:
        """Recompute the activations of the sub-networks that support it during the backward
        pass instead of keeping them (memory for compute, for large presets). Returns how many
        sub-networks it switched."""
        parts = [m for m in self.modules() if hasattr(m, "checkpointing")]
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

    def check_prompt(self, caption: str) -> list[str]:
        """Raise ValueError if the model cannot take the prompt; return words it will ignore.
        Every family reads captions with its text encoder `self.text`."""
        return check_words(self.text, caption)
