"""The training loop, shared by every model: stream -> step -> EMA -> log -> samples -> checkpoint.

The world is streamed, never stored: clip i of the train stream is a pure function of
(seed, i), so a resumed run restarts the stream at the first clip it has not used and
continues exactly. Under torchrun each rank takes every W-th batch of that one stream
(see distributed.py); real videos come from data.py.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import shlex
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from . import checkpoint as ckpt
from . import distributed
from .devices import check_device
from .io import to_tensor, to_uint8
from .models import System, build_model, config_fields, config_from_dict, model_config
from .models.base import no_sync
from .text import Vocab, training_words
from .visuals import frame_grid, loss_curve, save_samples
from .world import WorldConfig, clips, combos, get_world, label_heads, label_targets
from .world import clip_batch


@dataclass
class TrainConfig:
    model: str = "sprite-flow"     # a name in models.MODELS
    preset: str = "tiny"           # one of that model's presets
    world: str | WorldConfig = "default"  # a world preset's name, or a world itself
    out: str | None = None         # run folder (None: runs/MODEL-PRESET)
    steps: int | None = None       # stop after this many steps ...
    minutes: float | None = None   # ... or this much wall time ...
    cpu_minutes: float | None = None  # ... or this much process CPU time (whichever comes first);
    # CPU time is the fair budget when other work shares the machine
    batch_size: int | None = None  # default: the model preset's
    seed: int = 0                  # weights, training noise and the data stream
    sample_every: int | None = 500  # write a sample grid every N steps (None: only at the end)
    ckpt_every: int | None = 500    # save a checkpoint every N steps (None: only at the end)
    log_every: int = 10            # append a row to metrics.jsonl every N steps
    resume: bool = False           # continue exactly from OUT/checkpoint when there is one
    overwrite: bool = False        # a fresh run may replace the run already in OUT (else refused)
    threads: int | None = None     # torch CPU threads (None: torch's default)
    tensorboard: bool = False      # also log metrics and sample grids to OUT/tensorboard
    data: str | None = None        # None: stream the procedural world; "videos:PATH": real clips
    workers: int = 0               # data processes: decoding real videos, or laying out world
                                   # clips that a GPU draws (0: in the training process)
    device: str = "auto"           # auto (CUDA when visible) | cpu | cuda
    amp: str = "none"              # mixed precision for the training step: none | bf16
    grad_accum: int = 1            # micro-batches per step: the same update in 1/N the memory
    grad_checkpoint: bool = False  # recompute activations in backward (large presets on a GPU)
    compile: str | None = None     # torch.compile backend for the heavy sub-networks, e.g. inductor
    overrides: dict = field(default_factory=dict)  # model config fields to change

    @property
    def run_folder(self) -> Path:
        return Path(self.out) if self.out else Path("runs") / f"{self.model}-{self.preset}"

    def validate(self) -> None:
        """Raise ValueError naming the first argument that cannot work (before any work starts)."""
        if self.steps is None and self.minutes is None and self.cpu_minutes is None:
            raise ValueError("say how long to train: --minutes M, --cpu-minutes M or --steps S")
        for name, value in (("minutes", self.minutes), ("cpu-minutes", self.cpu_minutes)):
            if value is not None and not value > 0:
                raise ValueError(f"--{name} must be > 0, got {value}")
        for name, value, least in (("steps", self.steps, 1), ("workers", self.workers, 0),
                                   ("grad-accum", self.grad_accum, 1), ("log-every", self.log_every, 1),
                                   ("sample-every", self.sample_every, 1),
                                   ("ckpt-every", self.ckpt_every, 1), ("threads", self.threads, 1),
                                   ("batch-size", self.batch_size, 1)):
            if value is not None and value < least:
                raise ValueError(f"--{name} must be >= {least}, got {value}")
        check_device(self.device)
        if self.amp not in AMP:
            raise ValueError(f"--amp must be one of {', '.join(AMP)}, got {self.amp!r}")
        check_settings(self.model, model_config(self.model, self.preset), self.overrides)
        if not isinstance(self.world, WorldConfig):
            get_world(self.world)


def parse_settings(items: list[str]) -> dict:
    """FIELD=VALUE texts (the train command's --set) -> {field: value}. A value is read as JSON
    (2, 1e-3, true, null) and otherwise kept as text, so --set attention=factorised needs no quotes."""
    settings = {}
    for item in items:
        name, eq, text = item.partition("=")
        if not eq or not name:
            raise ValueError(f"--set takes FIELD=VALUE, got {item!r}")
        try:
            settings[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            settings[name.strip()] = text
    return settings


def check_settings(model: str, preset_config, settings: dict) -> None:
    """Raise ValueError for a setting the model does not have, or a value of the wrong kind."""
    known = config_fields(model)
    for name, value in settings.items():
        if name in DATA_FIELDS:
            raise ValueError(f"{name} comes from the data (the world or --data), not from --set")
        if name not in known:
            raise ValueError(f"{model} has no setting {name!r}; its settings: "
                             f"{', '.join(sorted(known - set(DATA_FIELDS)))}")
        default = getattr(preset_config, name)
        kinds = (int, float) if type(default) is float else (type(default),)
        if default is not None and value is not None and (type(value) not in kinds):
            raise ValueError(f"{model}'s {name} takes {type(default).__name__} values (the preset's is "
                             f"{default!r}), got {value!r}")


AMP = ("none", "bf16")  # fp16 would need a GradScaler inside every train_step
RANK_SEED_STRIDE = 7919  # rank r > 0 draws its training noise from seed + r * this + step


def sample_prompts(world: WorldConfig, n: int = 6) -> list[str]:
    """Fixed prompts for sample grids: seen and (where the world has them) held-out ones."""
    if not combos(world, "heldout"):
        return clip_batch(world, "test", n, seed=123).captions
    return clip_batch(world, "test", n // 2, seed=123).captions + \
        clip_batch(world, "heldout", n - n // 2, seed=123).captions


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


@dataclass
class TrainState:
    """Everything a run carries from step to step, and what a checkpoint restores."""
    world: WorldConfig
    model_config: object
    vocab: Vocab
    system: System
    step: int = 0
    clips_seen: int = 0           # position in the global data stream, whatever the world size
    cpu_seconds: float = 0.0      # spent before this process started (a resumed run)
    wall_seconds: float = 0.0
    opts: dict = field(default_factory=dict)
    ema: EMA | None = None
    ddp: torch.nn.Module | None = None  # the system in DistributedDataParallel (torchrun, one optimizer)
    resumed_from: dict | None = None  # the checkpoint's training record, until `start` uses it

    @property
    def sampler(self) -> System:
        """The weights to sample with: the EMA's when the model keeps one."""
        return self.ema.model if self.ema else self.system


DATA_FIELDS = ("frames", "height", "width", "label_heads")  # model config fields the data sets


def shaped_by(world: WorldConfig, model: str, labelled: bool = True) -> dict:
    """The model config fields that come from the data: clip size, and label heads for a model
    that has them when the clips are one-object world clips (whose labels the heads predict)."""
    fields = dict(frames=world.frames, height=world.height, width=world.width)
    if labelled and world.objects == 1 and "label_heads" in config_fields(model):
        fields["label_heads"] = label_heads()
    return fields


def fresh(cfg: TrainConfig, device: torch.device = torch.device("cpu")) -> TrainState:
    """A new run: the world, model config, vocabulary and untrained model of cfg (the batch
    size: cfg's, else the preset's GPU batch size on a GPU, else the preset's)."""
    world = cfg.world if isinstance(cfg.world, WorldConfig) else get_world(cfg.world)
    mcfg = model_config(cfg.model, cfg.preset, **shaped_by(world, cfg.model, labelled=not cfg.data),
                        **cfg.overrides)
    most = getattr(mcfg, "objects", None)  # a model built around a number of objects
    if most is not None and not cfg.data and world.objects > most:
        raise ValueError(f"world {world.name!r} has up to {world.objects} objects per clip, and {cfg.model} "
                         f"draws {'one' if most == 1 else f'at most {most}'}; use scene-flow (with "
                         "enough slots) or a one-object world")
    if cfg.batch_size:
        mcfg.batch_size = cfg.batch_size
    elif device.type == "cuda" and getattr(mcfg, "gpu_batch_size", None):
        mcfg.batch_size = mcfg.gpu_batch_size
    if cfg.data:
        from .data import vocabulary

        vocab = Vocab(vocabulary(cfg.data))
    else:
        vocab = Vocab(training_words(world))
    return TrainState(world, mcfg, vocab, build_model(cfg.model, mcfg, vocab))


def targets_of(batch, model_config, world: WorldConfig, device="cpu") -> dict[str, torch.Tensor] | None:
    """The batch's label targets on the device, for a model with label heads; else None."""
    if not batch.labels or not getattr(model_config, "label_heads", None):
        return None
    return {k: torch.from_numpy(a).to(device) for k, a in label_targets(batch.labels, world).items()}


def resume(folder: Path, cfg: TrainConfig, ctx: distributed.Context) -> TrainState:
    """The run saved in folder, as it was after its last step (a fresh run if there is none);
    optimizers, EMA and RNG are restored by `start`, once they exist."""
    if not (ckpt.recover(folder) / "train_state.json").exists():
        if ctx.main:
            print(f"note: no checkpoint in {folder} to resume from; starting fresh", file=sys.stderr)
        return fresh(cfg, ctx.device)
    saved = ckpt.load_config(folder)
    if saved["model"] != cfg.model:
        raise ValueError(f"{folder} holds a {saved['model']} run, not {cfg.model}")
    # an exact continuation goes on with the same data: another source is a new run
    trained_on, asked = saved["train"].get("data", "world"), cfg.data or "world"
    if trained_on != asked:
        raise ValueError(f"{folder} was trained on {_data_words(trained_on)}, not {_data_words(asked)}; "
                         f"a resumed run keeps its data (pass {_data_flag(trained_on)}, or start a new --out)")
    world = cfg.world.name if isinstance(cfg.world, WorldConfig) else cfg.world
    if not cfg.data and saved["world"]["name"] != world:
        raise ValueError(f"{folder} was trained on the {saved['world']['name']!r} world, not {world!r}; "
                         f"a resumed run keeps its world (pass --world {saved['world']['name']}, or start a new --out)")
    mcfg = config_from_dict(cfg.model, saved["model_config"])
    for name, value in cfg.overrides.items():  # the model is built: its settings cannot change
        if json.loads(json.dumps(value)) != saved["model_config"].get(name):
            raise ValueError(f"{folder} was trained with {name}={getattr(mcfg, name)!r}; a resumed "
                             f"run keeps its settings (drop --set {name}, or start a new --out)")
    if cfg.batch_size:
        mcfg.batch_size = cfg.batch_size
    vocab = Vocab(saved["vocab"])
    state = TrainState(WorldConfig.from_dict(saved["world"]), mcfg, vocab,
                       build_model(cfg.model, mcfg, vocab))
    record = ckpt.load_train_state(folder)
    ckpt.load_into(state.system, record["raw"], str(folder / "train_state.safetensors"))
    state.step, state.cpu_seconds, state.wall_seconds = (
        record["step"], record["cpu_seconds"], record["wall_seconds"])
    # clips of the stream already used, whatever the batch size and world size were
    state.clips_seen = record.get("clips_seen", state.step * saved["train"]["batch_size"])
    state.resumed_from = record
    return state


def _data_words(data: str) -> str:
    return "the procedural world" if data == "world" else data


def _data_flag(data: str) -> str:
    return "no --data" if data == "world" else f"--data {data}"


RUN_FILES = ("checkpoint", "checkpoint.old", "samples", "metrics.jsonl", "loss.png", "tensorboard")


def make_room(out: Path, cfg: TrainConfig, ctx: distributed.Context) -> None:
    """A fresh run never mixes with an earlier run's files in its folder: refused unless
    cfg.overwrite, which deletes them first (rank 0; the others only check)."""
    held = [out / name for name in RUN_FILES if (out / name).exists()]
    if not held:
        return
    if not cfg.overwrite:
        try:
            saved = ckpt.load_config(out / "checkpoint")
            what = f"a {saved['model']} run of {saved['train']['steps']} steps"
        except Exception:  # a run killed before its first checkpoint, or one that cannot be read
            what = "a training run"
        raise ValueError(f"{out} already holds {what}; --resume continues it, --overwrite replaces "
                         "it, or give another --out")
    if ctx.main:
        for path in held:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def start(state: TrainState, cfg: TrainConfig, ctx: distributed.Context, folder: Path) -> None:
    """Check what the model cannot do, put it on the device, make its optimizers and EMA, and
    restore those (and the RNG) when resuming."""
    system, mcfg = state.system, state.model_config
    if cfg.grad_accum > 1 and not system.accumulates:
        raise ValueError(f"{cfg.model} steps its own optimizers; gradient accumulation is for "
                         "sprite-flow, latent-flow and latent-dit")
    if cfg.grad_accum > mcfg.batch_size:
        raise ValueError(f"grad_accum ({cfg.grad_accum}) is larger than the batch ({mcfg.batch_size})")
    system.to(ctx.device)
    if ctx.active:
        distributed.broadcast_module(system)
    if cfg.grad_checkpoint and not system.set_gradient_checkpointing(True):
        raise ValueError(f"{cfg.model} has no sub-network that supports gradient checkpointing")
    if cfg.compile:
        system.compile(backend=cfg.compile)
    if ctx.active and system.accumulates:  # one optimizer: torch's DDP; else the hook
        state.ddp = distributed.data_parallel(system, ctx)
    state.opts = system.optimizers()
    state.ema = EMA(system, mcfg.ema) if system.uses_ema else None
    record, state.resumed_from = state.resumed_from, None
    if record is not None:
        for name, o in state.opts.items():
            o.load_state_dict(record["optimizers"][name])
        if state.ema:
            ckpt.load_into(state.ema.model, ckpt.load_weights(folder), str(folder / "model.safetensors"))
        torch.set_rng_state(record["rng"])
    if ctx.rank:  # different noise on each rank; rank 0 keeps the stream of a single-process run
        torch.manual_seed(cfg.seed + RANK_SEED_STRIDE * ctx.rank + state.step)


def save_checkpoint(folder: Path, state: TrainState, cfg: TrainConfig, ctx: distributed.Context,
                    clock: "Clock") -> None:
    """Weights to sample with, the config to rebuild them, and all that an exact resume needs."""
    if not ctx.main:
        return
    cpu_seconds, wall_seconds = clock.cpu(), clock.wall()
    command = " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]])
    config = dict(model=cfg.model, preset=cfg.preset, model_config=asdict(state.model_config),
                  world=state.world.to_dict(), vocab=state.vocab.itos[2:],
                  train=dict(steps=state.step, cpu_seconds=cpu_seconds, wall_seconds=wall_seconds,
                             threads=torch.get_num_threads(), command=command, seed=cfg.seed,
                             batch_size=state.model_config.batch_size, world_size=ctx.world_size,
                             data=cfg.data or "world", device=ctx.device.type, amp=cfg.amp,
                             grad_accum=cfg.grad_accum))
    record = dict(raw=state.system.state_dict(),
                  optimizers={k: o.state_dict() for k, o in state.opts.items()},
                  rng=torch.get_rng_state(), step=state.step, clips_seen=state.clips_seen,
                  cpu_seconds=cpu_seconds, wall_seconds=wall_seconds)
    ckpt.save(folder, config, state.sampler.state_dict(), record)


def write_samples(out: Path, state: TrainState, prompts: list[str], board) -> None:
    """A grid of the sampling weights' clips for fixed prompts and noise, as PNG + GIF."""
    rng = torch.get_rng_state()  # sampling must not change the training noise
    model = state.sampler
    model.eval()
    videos = to_uint8(model.generate(prompts, torch.Generator().manual_seed(0)))
    model.train()
    torch.set_rng_state(rng)
    save_samples(out / "samples", f"step_{state.step:06d}", videos, captions=prompts)
    if board:
        board.add_image("samples", frame_grid(videos), state.step, dataformats="HWC")


class Clock:
    """Wall and process CPU seconds of the run, counting those spent before a resume."""

    def __init__(self, state: TrainState):
        self.wall0, self.cpu0 = state.wall_seconds, state.cpu_seconds
        self.t_wall, self.t_cpu = time.time(), time.process_time()

    def wall(self) -> float:
        return self.wall0 + time.time() - self.t_wall

    def cpu(self) -> float:
        return self.cpu0 + time.process_time() - self.t_cpu

    def progress(self, cfg: TrainConfig, step: int) -> float:
        """How much of the budget is spent, 0..1+: the largest share of steps, minutes, CPU minutes."""
        return max(step / cfg.steps if cfg.steps else 0.0,
                   self.wall() / (cfg.minutes * 60) if cfg.minutes else 0.0,
                   self.cpu() / (cfg.cpu_minutes * 60) if cfg.cpu_minutes else 0.0)


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
    if out.is_file():
        raise ValueError(f"--out {out} is a file; a run needs a folder")
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
        with autocast:
            logs = system.train_step(to_tensor(batch.video).to(ctx.device), batch.captions, opts,
                                     progress, targets_of(batch, state.model_config, state.world, ctx.device),
                                     accumulate=cfg.grad_accum, sync=sync, ddp=state.ddp)
        if ctx.active:
            distributed.average_buffers(system, ctx)
        if ema:
            ema.update(system, system.stage_steps(state.step))
        state.step += 1
        state.clips_seen += state.model_config.batch_size * ctx.world_size
        # -- logs, samples and checkpoints (rank 0 writes)
        if metrics and (state.step % cfg.log_every == 0 or state.step == 1 or state.step == cfg.steps):
            metrics.log(state.step, clock.wall(), logs, getattr(stream, "report", None))
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


class Metrics:
    """Rank 0's record of a run: metrics.jsonl, loss.png and, when asked, TensorBoard.
    metrics.jsonl is append-only, one JSON line per write; a resume cuts it at the resumed step
    (the rows after it are redone) and drops a torn last line left by a kill mid-write."""

    def __init__(self, out: Path, step: int, tensorboard: bool):
        (out / "samples").mkdir(parents=True, exist_ok=True)
        self.out, self.path = out, out / "metrics.jsonl"
        self.history = _read_history(self.path, step)
        self.board = _tensorboard(out) if tensorboard else None

    def log(self, step: int, wall_seconds: float, logs: dict, report: Callable[[], dict] | None):
        row = dict(step=step, wall_seconds=round(wall_seconds, 2), **logs)
        if report:  # the real-video loader's skip counts
            row.update(report())
        self.history.append(row)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        if self.board:
            for k, v in logs.items():
                self.board.add_scalar(k, v, step)

    def plot(self) -> None:
        if len(self.history) < 2:
            return
        keys = [k for k in self.history[-1] if k not in ("step", "wall_seconds")]
        loss_curve(self.out / "loss.png", [r["step"] for r in self.history],
                   {k: [r.get(k, float("nan")) for r in self.history] for k in keys})

    def close(self) -> None:
        if self.board:
            self.board.close()


def _tensorboard(out: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(str(out / "tensorboard"))


def _read_history(path: Path, upto: int) -> list[dict]:
    """Metrics already logged, cut at the resume step (rows after it are redone). The file is
    appended a line at a time, so a run killed mid-write leaves a torn last line: it is dropped."""
    if not path.exists():
        return []
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    rows = [json.loads(x) for x in lines[:-1]]
    try:
        rows += [json.loads(x) for x in lines[-1:]]
    except json.JSONDecodeError:
        pass
    rows = [r for r in rows if r["step"] <= upto]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, path)
    return rows
