"""The training loop, shared by every model: stream -> step -> EMA -> log -> samples -> checkpoint.

The world is streamed, never stored: clip i of the train stream is a pure function of
(seed, i), so a resumed run restarts the stream at the first clip it has not used and
continues exactly. Under torchrun each rank takes every W-th batch of that one stream
(see distributed.py); real videos come from data.py.
"""
from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import checkpoint as ckpt
from . import distributed
from .models import build_model, config_from_dict, model_config
from .text import Vocab, training_words
from .visuals import frame_grid, loss_curve, save_samples
from .world import WorldConfig, clips, combos, generate, get_world
from .world.config import Speed


@dataclass
class TrainConfig:
    model: str = "sprite-flow"
    preset: str = "tiny"
    world: str = "default"
    out: str = "runs/sprite-flow-tiny"
    steps: int | None = None       # stop after this many steps ...
    minutes: float | None = None   # ... or this much wall time ...
    cpu_minutes: float | None = None  # ... or this much process CPU time (whichever comes first);
    # CPU time is the fair budget when other work shares the machine
    batch_size: int | None = None  # default: the model preset's
    seed: int = 0
    sample_every: int = 500
    ckpt_every: int = 500
    log_every: int = 10
    resume: bool = False
    threads: int | None = None
    tensorboard: bool = False      # also log metrics and sample grids to OUT/tensorboard
    data: str | None = None        # None: stream the procedural world; "videos:PATH": real clips
    workers: int = 0               # decoding processes for real videos
    device: str = "auto"           # auto (CUDA when visible) | cpu | cuda
    amp: str = "none"              # mixed precision for the training step: none | bf16
    grad_accum: int = 1            # micro-batches per step: the same update in 1/N the memory
    grad_checkpoint: bool = False  # recompute activations in backward (large presets on a GPU)
    compile: str | None = None     # torch.compile backend for the heavy sub-networks, e.g. inductor
    overrides: dict = field(default_factory=dict)  # model config fields to change


def to_tensor(video: np.ndarray) -> torch.Tensor:
    """(B, T, H, W, 3) uint8 -> (B, T, 3, H, W) float in [-1, 1]."""
    return torch.from_numpy(video).permute(0, 1, 4, 2, 3).float().div_(127.5).sub_(1.0)


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """(B, T, 3, H, W) in [-1, 1] -> (B, T, H, W, 3) uint8."""
    x = ((video.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 1, 3, 4, 2).cpu().numpy()


def world_to_dict(world: WorldConfig) -> dict:
    return asdict(world)


def world_from_dict(d: dict) -> WorldConfig:
    d = dict(d)
    if d.get("speed_override"):
        d["speed_override"] = Speed(**d["speed_override"])
    for k in ("background", "shapes", "colors", "sizes", "motions", "speeds"):
        d[k] = tuple(d[k])
    for k in ("prompts", "heldout_prompts"):
        d[k] = tuple(tuple(p) for p in d[k])
    return WorldConfig(**d)


def sample_prompts(world: WorldConfig, n: int = 6) -> list[str]:
    """Fixed prompts for sample grids: seen and (where the world has them) held-out ones."""
    if not combos(world, "heldout"):
        return generate(world, "test", n, seed=123).captions
    return generate(world, "test", n // 2, seed=123).captions + \
        generate(world, "heldout", n - n // 2, seed=123).captions


class EMA:
    """Exponential moving average of a model's parameters (buffers are copied)."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.model = copy.deepcopy(model).requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model: torch.nn.Module, step: int) -> None:
        # Warm-up: a short run must not sample from weights that are mostly the init.
        decay = min(self.decay, (1 + step) / (10 + step))
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.lerp_(p, 1 - decay)
        for e, b in zip(self.model.buffers(), model.buffers()):
            e.copy_(b)


def build(cfg: TrainConfig):
    """(world, model config, vocab, system) for a fresh run."""
    world = get_world(cfg.world)
    mcfg = model_config(cfg.model, cfg.preset, frames=world.frames, height=world.height,
                        width=world.width, **cfg.overrides)
    if cfg.batch_size:
        mcfg.batch_size = cfg.batch_size
    if cfg.data:
        from .data import vocabulary

        vocab = Vocab(vocabulary(cfg.data))
    else:
        vocab = Vocab(training_words(world))
    return world, mcfg, vocab, build_model(cfg.model, mcfg, vocab)


def train(cfg: TrainConfig, on_step: Callable[[int, dict], None] | None = None,
          on_end: Callable[[torch.nn.Module], None] | None = None) -> Path:
    """Train; returns the checkpoint folder. on_step(step, logs) is called after each step on
    rank 0; on_end(system) on every rank when training stops (the process group still up).
    Under torchrun every rank calls this; only rank 0 writes files."""
    if cfg.steps is None and cfg.minutes is None and cfg.cpu_minutes is None:
        raise ValueError("say how long to train: --steps, --minutes or --cpu-minutes")
    if cfg.amp not in AMP:
        raise ValueError(f"amp must be one of {', '.join(AMP)}, got {cfg.amp!r}")
    if cfg.grad_accum < 1:
        raise ValueError(f"grad_accum must be >= 1, got {cfg.grad_accum}")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    ctx = distributed.setup(cfg.device)
    try:
        return _train(cfg, ctx, on_step, on_end)
    finally:
        distributed.teardown(ctx)


def _train(cfg: TrainConfig, ctx: distributed.Context, on_step, on_end) -> Path:
    out = Path(cfg.out)
    ckdir = out / "checkpoint"
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    world, mcfg, vocab, system = build(cfg)
    step, cpu0, wall0, seen = 0, 0.0, 0.0, 0
    resumed = None
    if cfg.resume and (ckpt.recover(ckdir) / "train_state.json").exists():
        saved = ckpt.load_config(ckdir)
        if saved["model"] != cfg.model:
            raise ValueError(f"{ckdir} holds a {saved['model']} run, not {cfg.model}")
        mcfg = config_from_dict(cfg.model, saved["model_config"])
        if cfg.batch_size:
            mcfg.batch_size = cfg.batch_size
        world = world_from_dict(saved["world"])
        vocab = Vocab(saved["vocab"])
        system = build_model(cfg.model, mcfg, vocab)
        resumed = ckpt.load_train_state(ckdir)
        ckpt.load_into(system, resumed["raw"], str(ckdir / "train_state.safetensors"))
        step, cpu0, wall0 = resumed["step"], resumed["cpu_seconds"], resumed["wall_seconds"]
        # clips of the stream already used, whatever the batch size and world size were
        seen = resumed.get("clips_seen", step * saved["train"]["batch_size"])
    elif cfg.resume and ctx.main:
        print(f"note: no checkpoint in {ckdir} to resume from; starting fresh", file=sys.stderr)
    if cfg.grad_accum > 1 and not system.accumulates:
        raise ValueError(f"{cfg.model} steps its own optimizers; gradient accumulation is for "
                         "sprite-flow and latent-flow")
    if cfg.grad_accum > mcfg.batch_size:
        raise ValueError(f"grad_accum ({cfg.grad_accum}) is larger than the batch ({mcfg.batch_size})")
    system.to(ctx.device)
    if ctx.active:
        distributed.broadcast_module(system)
    if cfg.grad_checkpoint and not system.set_gradient_checkpointing(True):
        raise ValueError(f"{cfg.model} has no sub-network that supports gradient checkpointing")
    if cfg.compile:
        system.compile(backend=cfg.compile)
    opts = system.optimizers()
    ema = EMA(system, mcfg.ema) if system.uses_ema else None
    if resumed is not None:
        for name, o in opts.items():
            o.load_state_dict(resumed["optimizers"][name])
        if ema:
            ckpt.load_into(ema.model, ckpt.load_weights(ckdir), str(ckdir / "model.safetensors"))
        torch.set_rng_state(resumed["rng"])
    if ctx.active:
        for o in opts.values():
            distributed.sync_gradients(o, ctx)
        # different noise on each rank; rank 0 keeps the stream of a single-process run
        if ctx.rank:
            torch.manual_seed(cfg.seed + 7919 * ctx.rank + step)
    if ctx.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "samples").mkdir(exist_ok=True)

    if cfg.data:
        from .data import captions_of

        prompts = list(dict.fromkeys(captions_of(cfg.data)))[:6]
    else:
        prompts = sample_prompts(world)
    per_rank = mcfg.batch_size
    stream = data_stream(cfg, world, per_rank, seen, ctx)
    metrics_path = out / "metrics.jsonl"
    history = _read_history(metrics_path, step) if ctx.main else []
    board = _tensorboard(out) if (cfg.tensorboard and ctx.main) else None
    t_wall, t_cpu = time.time(), time.process_time()
    start_step = step
    autocast = _autocast(cfg.amp, ctx.device)

    def elapsed():
        return wall0 + time.time() - t_wall

    def cpu_elapsed():
        return cpu0 + time.process_time() - t_cpu

    def save_checkpoint():
        if not ctx.main:
            return
        config = dict(model=cfg.model, preset=cfg.preset, model_config=asdict(mcfg),
                      world=world_to_dict(world), vocab=vocab.itos[2:],
                      train=dict(steps=step, cpu_seconds=cpu_elapsed(),
                                 wall_seconds=elapsed(), threads=torch.get_num_threads(),
                                 command=" ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]),
                                 seed=cfg.seed, batch_size=mcfg.batch_size,
                                 world_size=ctx.world_size, data=cfg.data or "world",
                                 device=ctx.device.type, amp=cfg.amp, grad_accum=cfg.grad_accum))
        weights = (ema.model if ema else system).state_dict()
        state = dict(raw=system.state_dict(), optimizers={k: o.state_dict() for k, o in opts.items()},
                     rng=torch.get_rng_state(), step=step, clips_seen=seen,
                     cpu_seconds=config["train"]["cpu_seconds"], wall_seconds=elapsed())
        ckpt.save(ckdir, config, weights, state)

    def samples():
        if not ctx.main:
            return
        rng = torch.get_rng_state()  # sampling must not change the training noise
        g = torch.Generator().manual_seed(0)
        model = ema.model if ema else system
        model.eval()
        videos = to_uint8(model.generate(prompts, g))
        model.train()
        torch.set_rng_state(rng)
        save_samples(out / "samples", f"step_{step:06d}", videos)
        if board:
            board.add_image("samples", frame_grid(videos), step, dataformats="HWC")

    system.train()
    while True:
        budget = max(step / cfg.steps if cfg.steps else 0.0,
                     elapsed() / (cfg.minutes * 60) if cfg.minutes else 0.0,
                     cpu_elapsed() / (cfg.cpu_minutes * 60) if cfg.cpu_minutes else 0.0)
        (progress,) = distributed.agree(ctx, budget)  # rank 0's clock rules every rank
        if progress >= 1.0:
            break
        batch = next(stream)
        with autocast:
            logs = system.train_step(to_tensor(batch.video).to(ctx.device), batch.captions, opts,
                                     progress, batch.labels, accumulate=cfg.grad_accum)
        if ctx.active:
            distributed.average_buffers(system, ctx)
        if ema:
            ema.update(system, step)
        step += 1
        seen += per_rank * ctx.world_size
        last_step = cfg.steps is not None and step >= cfg.steps
        if ctx.main and (step % cfg.log_every == 0 or step == 1 or last_step):
            row = dict(step=step, wall_seconds=round(elapsed(), 2), **logs)
            if getattr(stream, "report", None):
                row.update(stream.report())
            history.append(row)
            with open(metrics_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            if board:
                for k, v in logs.items():
                    board.add_scalar(k, v, step)
        if on_step and ctx.main:
            on_step(step, logs)
        if step % cfg.sample_every == 0:
            samples()
            if ctx.main:
                _plot(out, history)
        if step % cfg.ckpt_every == 0:
            save_checkpoint()
    if ctx.main and (step > start_step or not (ckdir / "config.json").exists()):
        save_checkpoint()
        samples()
        _plot(out, history)
    if board:
        board.close()
    if on_end:
        on_end(system)
    if ctx.active:
        torch.distributed.barrier()  # nobody leaves before rank 0 has saved
    return ckdir


def data_stream(cfg: TrainConfig, world: WorldConfig, batch_size: int, seen: int,
                ctx: distributed.Context):
    """This rank's batches: the procedural world, or real videos with `data="videos:PATH"`.
    Rank r of W takes every W-th batch of one global stream that starts after the `seen`
    clips, so a run resumed on another number of ranks still continues the same stream."""
    if cfg.data:
        from .data import video_batches

        return video_batches(cfg.data, world, batch_size, seed=cfg.seed, start=seen,
                             rank=ctx.rank, world_size=ctx.world_size, workers=cfg.workers)
    stream = clips(world, "train", None, seed=cfg.seed, batch_size=batch_size, start=seen)
    return itertools.islice(stream, ctx.rank, None, ctx.world_size)


AMP = ("none", "bf16")  # fp16 would need a GradScaler inside every train_step


def _autocast(amp: str, device: torch.device):
    if amp == "none":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def _tensorboard(out: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(str(out / "tensorboard"))


def _read_history(path: Path, upto: int) -> list[dict]:
    """Metrics already logged, cut at the resume step (rows after it are redone)."""
    if not path.exists():
        return []
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    rows = [r for r in rows if r["step"] <= upto]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, path)
    return rows


def _plot(out: Path, history: list[dict]) -> None:
    if len(history) < 2:
        return
    keys = [k for k in history[-1] if k not in ("step", "wall_seconds")]
    loss_curve(out / "loss.png", [r["step"] for r in history],
               {k: [r.get(k, float("nan")) for r in history] for k in keys})
