"""What a training run is asked to do: `TrainConfig` (the CLI's train options as data), checked
before any work starts, and the model settings a run may change (--set)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import checkpoint as ckpt
from .devices import check_device
from .models import config_fields, model_config
from .world import WorldConfig, get_world

WORLD_MODEL = "sprite-flow"   # what trains on the world when no --model is given
FOOTAGE_MODEL = "layer-flow"  # ... and on people's own clips (--data videos:): a canvas seen by a
                              # measured camera track learns glyphs and handwriting over a plain
                              # colour as well as photographs filmed by a moving camera
                              # (docs/results.md#what---data-videos-trains)
AMP = ("none", "bf16")  # fp16 would need a GradScaler inside every step
DATA_FIELDS = ("frames", "height", "width", "label_heads")  # model config fields the data sets


@dataclass
class TrainConfig:
    model: str | None = None       # a name in models.MODELS; None: the run's own when resuming or
                                   # with --init, else FOOTAGE_MODEL on --data and WORLD_MODEL on the world
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
    init: str | None = None        # start from this checkpoint's weights and model settings (a
                                   # fine-tune on this run's data); words new to it start untrained
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

    def __post_init__(self):
        if self.model is None:
            self.model = self._default_model()

    def _default_model(self) -> str:
        """The checkpoint's model for --init, or --resume with --out (without --out the run folder is
        named after the model); else the data's default."""
        saved = Path(self.init) if self.init else Path(self.out) / "checkpoint" if self.resume and self.out else None
        if saved is not None and (saved.is_dir() or ckpt.before_save(saved).is_dir()):
            return ckpt.load_config(saved)["model"]
        return FOOTAGE_MODEL if self.data else WORLD_MODEL

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
        if self.run_folder.is_file():
            raise ValueError(f"--out {self.run_folder} is a file; a run needs a folder")
        if self.init is not None:
            if self.resume:
                raise ValueError("--init starts a new run from a checkpoint's weights; --resume "
                                 "continues a run: give one of them")
            if not (Path(self.init) / "config.json").is_file():
                raise ValueError(f"--init {self.init}: no checkpoint there (no config.json)")
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


