"""A run's state from step to step, and what carries it across processes: a fresh start, an
exact resume from a checkpoint, the checkpoint itself, the EMA and the run's clocks."""
from __future__ import annotations

import copy
import json
import shlex
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from . import checkpoint as ckpt
from . import distributed
from .io import to_tensor
from .models import System, build_model, config_from_dict, model_config, spec
from .text import Vocab
from .world import training_words
from .train_config import TrainConfig
from .world import WorldConfig, clips, get_world, label_heads, label_targets

RANK_SEED_STRIDE = 7919  # rank r > 0 draws its training noise from seed + r * this + step


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


def shaped_by(world: WorldConfig, model: str, labelled: bool = True) -> dict:
    """The model config fields that come from the data: clip size, and label heads for a model
    that has them when the clips are one-object world clips (whose labels the heads predict)."""
    fields = dict(frames=world.frames, height=world.height, width=world.width)
    if labelled and world.objects == 1 and spec(model).labels:
        fields["label_heads"] = label_heads()
    return fields


SURVEYED = 32  # training clips a new run reads settings off (`ModelSpec.from_clips`)


def first_clips(cfg: TrainConfig, world: WorldConfig) -> torch.Tensor:
    """The first SURVEYED clips (B, T, 3, H, W) in [-1, 1] of the run's data (its seed's order).
    torch's random state is left as it was (a data loader draws from it), so the weights a seed
    gives do not depend on whether the family reads its clips."""
    with torch.random.fork_rng(devices=[]):
        if cfg.data:
            from .data import video_batches

            batch = next(video_batches(cfg.data, world, SURVEYED, seed=cfg.seed, quiet=True))  # training reports skips
        else:
            batch = next(clips(world, "train", SURVEYED, seed=cfg.seed, batch_size=SURVEYED))
    return to_tensor(batch.video)


def fresh(cfg: TrainConfig, device: torch.device = torch.device("cpu")) -> TrainState:
    """A new run: the world, model config (with the settings its family reads off the first
    clips, `ModelSpec.from_clips`, where --set does not give them), vocabulary and untrained
    model of cfg (the batch size: cfg's, else the preset's GPU batch size on a GPU, else the
    preset's)."""
    world = cfg.world if isinstance(cfg.world, WorldConfig) else get_world(cfg.world)
    start = ckpt.load_config(cfg.init) if cfg.init else None
    if start and start["model"] != cfg.model:
        raise ValueError(f"--init {cfg.init} holds a {start['model']} model, not {cfg.model}")
    if start:  # a fine-tune keeps the checkpoint's settings, except those --set changes
        mcfg = config_from_dict(cfg.model, {**start["model_config"], **cfg.overrides})
    else:
        mcfg = model_config(cfg.model, cfg.preset, **shaped_by(world, cfg.model, labelled=not cfg.data),
                            **cfg.overrides)
        read_off = spec(cfg.model).from_clips
        if read_off:
            taken = {k: v for k, v in read_off(first_clips(cfg, world), mcfg).items() if k not in cfg.overrides}
            mcfg = replace(mcfg, **taken)
    most = mcfg.objects  # a model built around a number of objects
    if most is not None and not cfg.data and world.objects > most:
        raise ValueError(f"world {world.name!r} has up to {world.objects} objects per clip, and {cfg.model} "
                         f"draws {'one' if most == 1 else f'at most {most}'}; use scene-flow (with "
                         "enough slots) or a one-object world")
    if cfg.batch_size:
        mcfg.batch_size = cfg.batch_size
    elif device.type == "cuda" and mcfg.gpu_batch_size:
        mcfg.batch_size = mcfg.gpu_batch_size
    if cfg.data:
        from .data import vocabulary

        vocab = Vocab(vocabulary(cfg.data))
    else:
        vocab = Vocab(training_words(world))
    system = build_model(cfg.model, mcfg, vocab)
    if start:
        new = init_from(system, vocab, Vocab(start["vocab"]), ckpt.load_weights(cfg.init), cfg.init)
        if new:
            print(f"note: {cfg.init} has no weights for {', '.join(new)}: they start untrained", file=sys.stderr)
    return TrainState(world, mcfg, vocab, system)


def init_from(system: System, vocab: Vocab, saved_vocab: Vocab, weights: dict[str, torch.Tensor],
              source: str) -> list[str]:
    """Load a checkpoint's weights into a model whose vocabulary may differ: a word-embedding
    table (one row per word of the saved vocabulary) keeps the rows of the words both know,
    and words new to the model keep their fresh rows. A part the checkpoint's model did not
    have (a head a --set turned on) keeps its fresh weights: returns their names."""
    own = system.state_dict()
    weights = dict(weights)
    new = sorted(set(own) - set(weights))
    weights |= {k: own[k] for k in new}
    for name, table in weights.items():
        mine = own.get(name)
        if mine is None or mine.shape == table.shape or table.shape[0] != len(saved_vocab) \
                or mine.shape[0] != len(vocab) or mine.shape[1:] != table.shape[1:]:
            continue
        rows = mine.clone()
        for word, i in vocab.stoi.items():
            if word in saved_vocab.stoi:
                rows[i] = table[saved_vocab.stoi[word]]
        weights[name] = rows
    ckpt.load_into(system, weights, source)
    return new


def targets_of(batch, model: str, model_config, world: WorldConfig, device="cpu") -> dict[str, torch.Tensor] | None:
    """The batch's label targets on the device, for a model with label heads; else None."""
    if not batch.labels or not spec(model).labels or not model_config.label_heads:
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
    system, mcfg, family = state.system, state.model_config, spec(cfg.model)
    if cfg.grad_accum > 1 and family.own_step:
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
    if ctx.active and not family.own_step:  # one optimizer: torch's DDP; else the hook
        state.ddp = distributed.data_parallel(system, ctx)
    state.opts = system.optimizers()
    state.ema = EMA(system, mcfg.ema) if family.ema else None
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
    start = ckpt.load_config(cfg.init) if cfg.init else None  # a fine-tune's preset is its start's
    config = dict(model=cfg.model, preset=start["preset"] if start else cfg.preset,
                  model_config=asdict(state.model_config),
                  world=state.world.to_dict(), vocab=state.vocab.itos[2:],
                  train=dict(steps=state.step, cpu_seconds=cpu_seconds, wall_seconds=wall_seconds,
                             threads=torch.get_num_threads(), command=command, seed=cfg.seed,
                             batch_size=state.model_config.batch_size, world_size=ctx.world_size,
                             data=cfg.data or "world", device=ctx.device.type, amp=cfg.amp,
                             grad_accum=cfg.grad_accum))
    if start:  # where the weights began, and what training they had had
        config["train"]["init"] = dict(checkpoint=cfg.init, **{k: start["train"].get(k) for k in (
            "steps", "cpu_seconds", "wall_seconds", "command", "init")})
    record = dict(raw=state.system.state_dict(),
                  optimizers={k: o.state_dict() for k, o in state.opts.items()},
                  rng=torch.get_rng_state(), step=state.step, clips_seen=state.clips_seen,
                  cpu_seconds=cpu_seconds, wall_seconds=wall_seconds)
    ckpt.save(folder, config, state.sampler.state_dict(), record)


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


