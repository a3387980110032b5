"""Model families by name (DiT-style registry): one `ModelSpec` line each, declaring its config,
its system, its named presets and what it can do, so that nothing else has to ask the model.

Adding a family is one file (a config extending `ModelConfig`, a `System`, its `PRESETS`) and
one `register` call, here or from the new file's own module.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable

import torch

from ..text import Vocab
from .base import System
from .config import ModelConfig
from .latent_dit import PRESETS as LATENT_DIT_PRESETS
from .latent_dit import LatentDiT, LatentDiTConfig
from .latent_flow import PRESETS as LATENT_FLOW_PRESETS
from .latent_flow import LatentFlow, LatentFlowConfig
from .layer_flow import PRESETS as LAYER_FLOW_PRESETS
from .layer_flow import LayerFlow, LayerFlowConfig, settings_from_clips
from .scene_flow import PRESETS as SCENE_FLOW_PRESETS
from .scene_flow import SceneFlow, SceneFlowConfig
from .seed_gan import PRESETS as SEED_GAN_PRESETS
from .seed_gan import SeedGAN, SeedGANConfig
from .sprite_flow import PRESETS as SPRITE_FLOW_PRESETS
from .sprite_flow import SpriteFlow, SpriteFlowConfig


@dataclass(frozen=True)
class ModelSpec:
    config: type                # the family's config dataclass (extends ModelConfig)
    system: type                # its System: built as system(config, vocab)
    presets: dict               # preset name -> config; every family has "tiny"
    about: str = ""             # one line for the CLI's help and the docs
    fixed: dict = field(default_factory=dict)  # config fields every preset of this entry sets
    ema: bool = True            # samples come from a moving average of the weights
    reconstructs: bool = False  # has reconstruct(video): an autoencoder eval --data measures
    labels: bool = False        # learns label heads from one-object world clips' labels
    own_step: bool = False      # steps its own optimizers (train_step); else the loop steps it
    strict_words: bool = False  # refuses a prompt with a word it never saw (the tutorial's way)
    from_clips: Callable[[torch.Tensor, Any], dict] | None = None  # settings a new run reads off a
                                # sample of its training clips (B, T, 3, H, W) in [-1, 1] given its
                                # config (preset and --set), where --set does not give them
    retired: frozenset = frozenset()  # config fields the family has dropped: an older checkpoint's
                                # are left out on load (what they set is no longer there)


MODELS: dict[str, ModelSpec] = {}


def register(name: str, spec: ModelSpec) -> None:
    """Make a family trainable, loadable and listed under `name`."""
    if "tiny" not in spec.presets:
        raise ValueError(f"model {name} needs a 'tiny' preset (the CLI's default)")
    MODELS[name] = spec


register("sprite-flow", ModelSpec(SpriteFlowConfig, SpriteFlow, SPRITE_FLOW_PRESETS,
                                  "one object per clip: a sprite on a measured track (shipped)"))
register("scene-flow", ModelSpec(SceneFlowConfig, SceneFlow, SCENE_FLOW_PRESETS,
                                 "several objects per clip, each bound to its words (shipped)"))
register("layer-flow", ModelSpec(LayerFlowConfig, LayerFlow, LAYER_FLOW_PRESETS,
                                 "footage: a canvas from the caption, seen by a measured camera track",
                                 from_clips=settings_from_clips,
                                 retired=frozenset({"sprite", "sprites", "sprite_match_weight", "ref_radius"})))
                                 # (the object layer's sprite bank, until its coverage became a clip of its own)
register("latent-flow", ModelSpec(LatentFlowConfig, LatentFlow, LATENT_FLOW_PRESETS,
                                  "a clip latent and a flow prior, for any footage", reconstructs=True, labels=True))
register("latent-dit", ModelSpec(LatentDiTConfig, LatentDiT, LATENT_DIT_PRESETS,
                                 "a video autoencoder and a space-time flow transformer", reconstructs=True))
register("seed-gan", ModelSpec(SeedGANConfig, SeedGAN, SEED_GAN_PRESETS, "the tutorial's DCGAN, unconditional",
                               fixed={"conditional": False}, ema=False, own_step=True, strict_words=True))
register("seed-cgan", ModelSpec(SeedGANConfig, SeedGAN, SEED_GAN_PRESETS, "the tutorial's DCGAN with its text",
                                fixed={"conditional": True}, ema=False, own_step=True, strict_words=True))


def spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    return MODELS[name]


def spec_of(system: System) -> ModelSpec:
    """The spec of a built system (families that share a class declare alike)."""
    return next(s for s in MODELS.values() if type(system) is s.system)


def model_config(name: str, preset: str, **overrides):
    s = spec(name)
    if preset not in s.presets:
        raise ValueError(f"model {name} has no preset {preset!r}; choose from {', '.join(s.presets)}")
    return replace(s.presets[preset], **s.fixed, **overrides)


def config_fields(name: str) -> set[str]:
    """The field names of a model's config."""
    return {f.name for f in fields(spec(name).config)}


def build_model(name: str, cfg, vocab: Vocab) -> System:
    return spec(name).system(cfg, vocab)


def config_from_dict(name: str, d: dict):
    d = {k: v for k, v in d.items() if k not in spec(name).retired}
    unknown = set(d) - config_fields(name)
    if unknown:
        raise ValueError(f"config has fields model {name} does not know: {sorted(unknown)}")
    d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    return spec(name).config(**d)


def listing() -> str:
    """Every family with its presets and what it is for, one line each (CLI help, docs)."""
    return "\n".join(f"{name} ({' | '.join(s.presets)}): {s.about}" for name, s in MODELS.items())


__all__ = ["MODELS", "ModelSpec", "ModelConfig", "System", "register", "spec", "spec_of", "model_config",
           "config_fields", "build_model", "config_from_dict", "listing", "asdict"]
