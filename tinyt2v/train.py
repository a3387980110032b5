"""The training loop, shared by every model: stream -> step -> EMA -> log -> samples -> checkpoint.

The world is streamed, never stored: clip i of the train stream is a pure function of
(seed, i), so a resumed run restarts the stream at the first clip it has not used and
continues exactly. Under torchrun each rank takes every W-th batch of that one stream
(see distributed.py); real videos come from data.py. A run's state and resume live in
run_state.py, its records in metrics.py, its options in train_config.py.
"""
from __future__ import annotations

import contextlib
import functools
import math
from pathlib import Path
from typing import Callable

import torch

from . import distributed
from .io import to_tensor
from .metrics import Metrics, write_samples
from .models import spec_of
from .models.base import GradientSync, System, Targets, no_sync
from .run_state import (
    Clock,
    fresh,
    make_room,
    resume,
    save_checkpoint,
    start,
    targets_of,
)
from .train_config import TrainConfig
from .world import WorldConfig, clip_batch, clips, combos


def sample_prompts(world: WorldConfig, n: int = 6) -> list[str]:
    """Fixed prompts for sample grids: seen and (where the world has them) held-out ones."""
    if not combos(world, "heldout"):
        return clip_batch(world, "test", n, seed=123).captions
    return clip_batch(world, "test", n // 2, seed=123).captions + \
        clip_batch(world, "heldout", n - n // 2, seed=123).captions


def train(cfg: TrainConfig, on_step: Callable[[int, dict], None] | None = None,
          on_end: Callable[[torch.nn.Module], None] | None = None) -> Path:
    """Train; returns the checkpoint folder. on_step(step, logs) is called after each step on
    rank 0; on_end(system) on every rank when training stops (the process group still up).
    Under torchrun every rank calls this; only rank 0 writes files."""
    cfg.validate()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    ctx = distributed.setup(cfg.device)
    try:
        return _train(cfg, ctx, on_step, on_end)
    finally:
        distributed.teardown(ctx)


def _train(cfg: TrainConfig, ctx: distributed.Context, on_step, on_end) -> Path:
    out = cfg.run_folder
    folder = out / "checkpoint"
    # -- the model, its optimizers and EMA: new, or exactly as the checkpoint left them
    if not cfg.resume:
        make_room(out, cfg, ctx)
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    state = resume(folder, cfg, ctx) if cfg.resume else fresh(cfg, ctx.device)
    start(state, cfg, ctx, folder)
    system, opts, ema = state.system, state.opts, state.ema
    # -- data, logs and the budget
    stream = data_stream(cfg, state.world, state.model_config.batch_size, state.clips_seen, ctx)
    metrics = Metrics(out, state.step, cfg.tensorboard) if ctx.main else None
    prompts = sample_prompts_for(cfg, state.world)
    # gradients averaged across ranks by DDP inside the backward pass, or else after it
    sync = no_sync if state.ddp else functools.partial(distributed.average_gradients, ctx=ctx)
    autocast = _autocast(cfg.amp, ctx.device)
    clock, first_step = Clock(state), state.step

    system.train()
    while True:
        (progress,) = distributed.agree(ctx, clock.progress(cfg, state.step))  # rank 0's clock rules
        if progress >= 1.0:
            break
        # -- one optimisation step on this rank's share of the next global batch
        batch = next(stream)
        video = to_tensor(batch.video).to(ctx.device)
        targets = targets_of(batch, cfg.model, state.model_config, state.world, ctx.device)
        with autocast:
            logs = training_step(system, video, batch.captions, opts, progress, targets, cfg.grad_accum,
                                 sync, state.ddp)
        if ctx.active:
            distributed.average_buffers(system, ctx)
        if ema:
            ema.update(system, system.stage_steps(state.step))
        state.step += 1
        state.clips_seen += state.model_config.batch_size * ctx.world_size
        # -- logs, samples and checkpoints (rank 0 writes)
        if metrics and (state.step % cfg.log_every == 0 or state.step == 1 or state.step == cfg.steps):
            metrics.log(state.step, clock.wall(), logs, stream.report if cfg.data else None)
        if on_step and ctx.main:
            on_step(state.step, logs)
        if metrics and cfg.sample_every and state.step % cfg.sample_every == 0:
            write_samples(out, state, prompts, metrics.board)
            metrics.plot()
        if cfg.ckpt_every and state.step % cfg.ckpt_every == 0:
            save_checkpoint(folder, state, cfg, ctx, clock)
    # -- the end: a last checkpoint and samples, unless this process trained no step of its own
    if metrics and (state.step > first_step or not (folder / "config.json").exists()):
        save_checkpoint(folder, state, cfg, ctx, clock)
        write_samples(out, state, prompts, metrics.board)
        metrics.plot()
    if metrics:
        metrics.close()
    if on_end:
        on_end(system)
    if ctx.active:
        torch.distributed.barrier()  # nobody leaves before rank 0 has saved
    return folder


def training_step(system: System, video: torch.Tensor, captions: list[str], opts: dict[str, torch.optim.Optimizer],
                  progress: float = 0.0, targets: Targets | None = None, accumulate: int = 1,
                  sync: GradientSync = no_sync, ddp: torch.nn.Module | None = None) -> dict[str, float]:
    """One step of any family on a batch: `optimisation_step` of its one optimizer, or the
    family's own `train_step` where its spec says own_step. Returns the losses to log."""
    if spec_of(system).own_step:
        return system.train_step(video, captions, opts, sync)
    return optimisation_step(system, video, captions, targets, opts["all"], progress, accumulate, sync, ddp)


def optimisation_step(system: System, video: torch.Tensor, captions: list[str], targets: Targets | None,
                      opt: torch.optim.Optimizer, progress: float, accumulate: int = 1,
                      sync: GradientSync = no_sync, ddp: torch.nn.Module | None = None) -> dict[str, float]:
    """One step of the system's one optimizer on a batch: the losses to log.

    accumulate > 1 runs the batch as that many micro-batches and sums their gradients before
    the one step: the same update (up to float rounding) in less memory. Under torchrun the
    clip acts on the global batch's gradient, as in a single process: `ddp` (the system inside
    torch's DistributedDataParallel) averages the gradients during the last micro-batch's
    backward pass, overlapped with it; without it, `sync` averages them after. Either way
    before the clip."""
    opt.zero_grad(set_to_none=True)
    logs: dict[str, float] = {}
    parts = list(micro_batches(video, captions, targets, accumulate))
    for i, (v, c, tg) in enumerate(parts):
        share = len(v) / len(video)  # weights make the sum the whole batch's mean loss
        quiet = ddp is not None and i < len(parts) - 1  # all-reduce once, on the last part
        with ddp.no_sync() if quiet else contextlib.nullcontext():
            loss, terms = (system if ddp is None else ddp)(v, c, progress, tg)
            (share * loss).backward()
        for k, x in terms.items():
            logs[k] = logs.get(k, 0.0) + share * float(x.detach())
    sync(system.parameters())
    system.clip_gradients()
    set_learning_rate(opt, system.cfg.warmup, system.cfg.lr_final, progress)
    opt.step()
    return logs


def micro_batches(video: torch.Tensor, captions: list[str], targets: Targets | None, n: int):
    """Split a batch into n nearly equal consecutive parts: (video, captions, targets) each."""
    if not 1 <= n <= len(video):
        raise ValueError(f"cannot split a batch of {len(video)} clips into {n} micro-batches")
    edges = [round(i * len(video) / n) for i in range(n + 1)]
    for a, b in zip(edges, edges[1:]):
        yield video[a:b], captions[a:b], ({k: t[a:b] for k, t in targets.items()}
                                          if targets is not None else None)


def set_learning_rate(opt: torch.optim.Optimizer, warmup: float, final: float, progress: float) -> None:
    """Each parameter group's lr for this point of the run (progress 0..1): a cosine over the
    whole run from the group's own lr down to `final` of it, scaled by a linear warm-up over the
    `warmup` share. warmup 0 and final 1: the lr stays as it is."""
    if warmup == 0.0 and final == 1.0:
        return
    p = min(max(progress, 0.0), 1.0)
    factor = final + (1 - final) * 0.5 * (1 + math.cos(math.pi * p))
    if p < warmup:
        factor *= p / warmup
    for group in opt.param_groups:
        group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor


def sample_prompts_for(cfg: TrainConfig, world: WorldConfig) -> list[str]:
    if cfg.data:
        from .data import captions_of

        return list(dict.fromkeys(captions_of(cfg.data)))[:6]
    return sample_prompts(world)


def data_stream(cfg: TrainConfig, world: WorldConfig, batch_size: int, seen: int,
                ctx: distributed.Context):
    """This rank's batches: the procedural world, or real videos with `data="videos:PATH"`.
    Rank r of W takes every W-th batch of one global stream that starts after the `seen`
    clips, so a run resumed on another number of ranks still continues the same stream."""
    if cfg.data:
        from .data import video_batches

        return video_batches(cfg.data, world, batch_size, seed=cfg.seed, start=seen,
                             rank=ctx.rank, world_size=ctx.world_size, workers=cfg.workers)
    # On a GPU the clips are drawn there (the CPU only lays them out, in `workers` processes).
    on_gpu = ctx.device.type == "cuda"
    return clips(world, "train", None, seed=cfg.seed, batch_size=batch_size, start=seen,
                 device=ctx.device if on_gpu else None, workers=cfg.workers if on_gpu else 1,
                 shard=(ctx.rank, ctx.world_size))


def _autocast(amp: str, device: torch.device):
    if amp == "none":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


