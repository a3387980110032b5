"""Small pieces the model families share."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

TIME_FREQUENCIES = 16  # fourier features of the flow time: 2 * 16 + 1 inputs to its MLP


def coords(b: int, h: int, w: int, device) -> torch.Tensor:
    """(b, 2, h, w) pixel-centre coordinates in [-1, 1]: lets convolutions know where they are."""
    ys = torch.linspace(-1, 1, h, device=device).view(1, 1, h, 1).expand(b, 1, h, w)
    xs = torch.linspace(-1, 1, w, device=device).view(1, 1, 1, w).expand(b, 1, h, w)
    return torch.cat([xs, ys], 1)


def fourier(t: torch.Tensor, n: int) -> torch.Tensor:
    """(B,) in [0, 1] -> (B, 2n + 1) sin/cos features at frequencies 1..n (and t itself)."""
    k = torch.arange(1, n + 1, device=t.device, dtype=t.dtype) * math.pi
    return torch.cat([t[:, None], torch.sin(t[:, None] * k), torch.cos(t[:, None] * k)], -1)


def mlp(d_in: int, width: int) -> nn.Sequential:
    """Linear, SiLU, Linear: how a condition (the flow time's features, a caption vector)
    becomes the width of the network it steers."""
    return nn.Sequential(nn.Linear(d_in, width), nn.SiLU(), nn.Linear(width, width))


class TimeEmbedding(nn.Sequential):
    """Flow time (B,) in [0, 1] -> (B, width): its fourier features through an `mlp`."""

    def __init__(self, width: int):
        super().__init__(*mlp(2 * TIME_FREQUENCIES + 1, width))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return super().forward(fourier(t, TIME_FREQUENCIES))


class Recomputable:
    """A sub-network that can recompute its activations in the backward pass instead of keeping
    them (`maybe_checkpoint`); System.set_gradient_checkpointing switches every one."""
    checkpointing = False


def maybe_checkpoint(module: torch.nn.Module, fn, *args):
    """fn(*args), recomputed in the backward pass when `module.checkpointing` is on (gradient
    checkpointing: activations are not kept, which is what limits batch size on a GPU)."""
    if module.checkpointing and module.training and torch.is_grad_enabled():
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)


def pick_frames(video: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n distinct random frames of each clip of video (B, T, 3, H, W): their indices (B, n) and
    the frames (B, n, 3, H, W). A per-frame decoder learns as much from a few frames of many
    clips as from every frame of a few, for a fraction of the cost."""
    b, t = video.shape[:2]
    fi = torch.stack([torch.randperm(t)[:n] for _ in range(b)]).to(video.device)
    return fi, video[torch.arange(b, device=video.device)[:, None], fi]


def foreground_weight(target: torch.Tensor, background: torch.Tensor, fg_weight: float) -> torch.Tensor:
    """Per-pixel loss weight (..., 1, H, W) for frames (..., 3, H, W) over their background
    colours (..., 3, 1, 1): 1 on the background, up to 1 + fg_weight on the object, so that an
    object covering ~2% of the pixels is not drawn away as background."""
    return 1 + fg_weight * (target - background).abs().sum(-3, keepdim=True).clamp(max=1)


def foreground_error(frames: torch.Tensor, target: torch.Tensor, background: torch.Tensor,
                     fg_weight: float, loss: str = "l1") -> torch.Tensor:
    """Mean per-pixel error ("l1" or "l2") of frames against target (..., 3, H, W), weighted
    towards what differs from the background colours (..., 3, 1, 1) (`foreground_weight`)."""
    err = (frames - target).abs() if loss == "l1" else (frames - target) ** 2
    return (foreground_weight(target, background, fg_weight) * err).mean()
