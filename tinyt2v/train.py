"""The training loop, shared by every model: stream -> step -> EMA -> log -> samples -> checkpoint.

The world is streamed, never stored: clip i of the train stream is a pure function of
(seed, i), so resuming at step s restarts the stream at clip s * batch and continues exactly.
"""
from __future__ import annotations

import copy
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
from .models import build_model, config_from_dict, model_config
from .text import Vocab, training_words
from .visuals import frame_grid, loss_curve, save_samples
from .world import WorldConfig, clips, combos, generate, get_world
from .world.config import Speed


@dataclass
class TrainConfig:
    model: str = "latent-flow"
    preset: str = "tiny"
    world: str = "default"
    out: str = "runs/latent-flow-tiny"
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
    vocab = Vocab(training_words(world))
    return world, mcfg, vocab, build_model(cfg.model, mcfg, vocab)


def train(cfg: TrainConfig, on_step: Callable[[int, dict], None] | None = None) -> Path:
    """Train; returns the checkpoint folder. on_step(step, logs) is called after each step."""
    if cfg.steps is None and cfg.minutes is None and cfg.cpu_minutes is None:
        raise ValueError("say how long to train: --steps, --minutes or --cpu-minutes")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    ckdir = out / "checkpoint"
    torch.manual_seed(cfg.seed)
    world, mcfg, vocab, system = build(cfg)
    opts = system.optimizers()
    ema = EMA(system, mcfg.ema) if system.uses_ema else None
    step, cpu0, wall0 = 0, 0.0, 0.0
    if cfg.resume and (ckpt.recover(ckdir) / "train_state.json").exists():
        saved = ckpt.load_config(ckdir)
        if saved["model"] != cfg.model:
            raise ValueError(f"{ckdir} holds a {saved['model']} run, not {cfg.model}")
        mcfg = config_from_dict(cfg.model, saved["model_config"])
        world = world_from_dict(saved["world"])
        vocab = Vocab(saved["vocab"])
        system = build_model(cfg.model, mcfg, vocab)
        state = ckpt.load_train_state(ckdir)
        ckpt.load_into(system, state["raw"], str(ckdir / "train_state.safetensors"))
        opts = system.optimizers()
        for name, o in opts.items():
            o.load_state_dict(state["optimizers"][name])
        if system.uses_ema:
            ema = EMA(system, mcfg.ema)
            ckpt.load_into(ema.model, ckpt.load_weights(ckdir), str(ckdir / "model.safetensors"))
        torch.set_rng_state(state["rng"])
        step, cpu0, wall0 = state["step"], state["cpu_seconds"], state["wall_seconds"]
    elif cfg.resume:
        print(f"note: no checkpoint in {ckdir} to resume from; starting fresh", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    (out / "samples").mkdir(exist_ok=True)

    prompts = sample_prompts(world)
    stream = clips(world, "train", None, seed=cfg.seed, batch_size=mcfg.batch_size,
                   start=step * mcfg.batch_size)
    metrics_path = out / "metrics.jsonl"
    board = _tensorboard(out) if cfg.tensorboard else None
    history = _read_history(metrics_path, step)
    t_wall, t_cpu = time.time(), time.process_time()
    start_step = step

    def elapsed():
        return wall0 + time.time() - t_wall

    def cpu_elapsed():
        return cpu0 + time.process_time() - t_cpu

    def save_checkpoint():
        config = dict(model=cfg.model, preset=cfg.preset, model_config=asdict(mcfg),
                      world=world_to_dict(world), vocab=vocab.itos[2:],
                      train=dict(steps=step, cpu_seconds=cpu_elapsed(),
                                 wall_seconds=elapsed(), threads=torch.get_num_threads(),
                                 command=" ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]),
                                 seed=cfg.seed, batch_size=mcfg.batch_size))
        weights = (ema.model if ema else system).state_dict()
        state = dict(raw=system.state_dict(), optimizers={k: o.state_dict() for k, o in opts.items()},
                     rng=torch.get_rng_state(), step=step,
                     cpu_seconds=config["train"]["cpu_seconds"], wall_seconds=elapsed())
        ckpt.save(ckdir, config, weights, state)

    def samples():
        g = torch.Generator().manual_seed(0)
        model = ema.model if ema else system
        model.eval()
        videos = to_uint8(model.generate(prompts, g))
        model.train()
        save_samples(out / "samples", f"step_{step:06d}", videos)
        if board:
            board.add_image("samples", frame_grid(videos), step, dataformats="HWC")

    system.train()
    while True:
        if cfg.steps is not None and step >= cfg.steps:
            break
        if cfg.minutes is not None and elapsed() >= cfg.minutes * 60:
            break
        if cfg.cpu_minutes is not None and cpu_elapsed() >= cfg.cpu_minutes * 60:
            break
        batch = next(stream)
        progress = max(step / cfg.steps if cfg.steps else 0.0,
                       elapsed() / (cfg.minutes * 60) if cfg.minutes else 0.0,
                       cpu_elapsed() / (cfg.cpu_minutes * 60) if cfg.cpu_minutes else 0.0)
        logs = system.train_step(to_tensor(batch.video), batch.captions, opts, progress,
                                 batch.labels)
        if ema:
            ema.update(system, step)
        step += 1
        last_step = cfg.steps is not None and step >= cfg.steps
        if step % cfg.log_every == 0 or step == 1 or last_step:
            row = dict(step=step, wall_seconds=round(elapsed(), 2), **logs)
            history.append(row)
            with open(metrics_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            if board:
                for k, v in logs.items():
                    board.add_scalar(k, v, step)
        if on_step:
            on_step(step, logs)
        if step % cfg.sample_every == 0:
            samples()
            _plot(out, history)
        if step % cfg.ckpt_every == 0:
            save_checkpoint()
    if step > start_step or not (ckdir / "config.json").exists():
        save_checkpoint()
        samples()
        _plot(out, history)
    if board:
        board.close()
    return ckdir


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
