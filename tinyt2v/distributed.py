"""Data-parallel training on torch.distributed, launched by torchrun.

    torchrun --nproc_per_node 2 -m tinyt2v train ...

Every rank builds the same model from the same seed (and rank 0's weights are broadcast to
make sure), trains on its own shard of the stream, and averages gradients before the clip, so
the clip sees the global batch's gradient. A model with one optimizer (the flow models) runs
inside torch's DistributedDataParallel (`data_parallel`), whose bucketed all-reduces overlap
the backward pass. The seed GANs step two optimizers in turn with their own train_step, which
DDP cannot wrap: they call `average_gradients` (one all-reduce per optimizer, after the
backward pass), the same arithmetic: gradients summed across ranks, divided by the world size. Buffers (running statistics) are averaged after each step,
and rank 0 decides when to stop, so no rank waits forever on a collective that another rank
skipped.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

import torch
import torch.distributed as dist

from .devices import resolve_device


@dataclass
class Context:
    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1


def setup(device: str = "auto") -> Context:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1); pick the device."""
    chosen = resolve_device(device)
    use_cuda = chosen.type == "cuda"
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Context(device=chosen)
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return Context(dist.get_rank(), dist.get_world_size(),
                   torch.device(f"cuda:{local}" if use_cuda else "cpu"))


def teardown(ctx: Context) -> None:
    if ctx.active and dist.is_initialized():
        dist.destroy_process_group()


def _average(tensors: list[torch.Tensor], world_size: int) -> None:
    """In-place mean across ranks, one all-reduce for the whole list."""
    if not tensors:
        return
    flat = torch.cat([t.flatten() for t in tensors])
    dist.all_reduce(flat)
    flat /= world_size
    for t, avg in zip(tensors, flat.split([t.numel() for t in tensors])):
        t.copy_(avg.view_as(t))


@torch.no_grad()
def average_gradients(params: Iterable[torch.nn.Parameter], ctx: Context) -> None:
    """Mean of these parameters' gradients across ranks (nothing to do in one process)."""
    if ctx.active:
        _average([p.grad for p in params if p.grad is not None], ctx.world_size)


def data_parallel(system: torch.nn.Module, ctx: Context) -> torch.nn.Module:
    """The system in torch's DistributedDataParallel: bucketed all-reduces of the gradients,
    overlapped with the backward pass. Buffers (running statistics) are averaged after the step
    instead of broadcast from rank 0 (`average_buffers`); parameters a step does not use (a
    frozen encoder, label heads without labels) are found each step."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(system, device_ids=ids, broadcast_buffers=False,
                                   find_unused_parameters=True)


@torch.no_grad()
def broadcast_module(module: torch.nn.Module) -> None:
    for t in list(module.parameters()) + list(module.buffers()):
        dist.broadcast(t.data, src=0)


@torch.no_grad()
def average_buffers(module: torch.nn.Module, ctx: Context) -> None:
    _average([b for b in module.buffers() if b.is_floating_point()], ctx.world_size)


def agree(ctx: Context, *values: float) -> list[float]:
    """Rank 0's values on every rank (stop flags, schedule progress measured by the clock)."""
    if not ctx.active:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=ctx.device)
    dist.broadcast(t, src=0)
    return t.tolist()
