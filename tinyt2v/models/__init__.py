"""Model families by name, each with named presets (DiT-style registry)."""
from __future__ import annotations

from dataclasses import asdict, fields, replace

from ..text import Vocab
from .base import System
from .latent_dit import PRESETS as LATENT_DIT_PRESETS
from .latent_dit import LatentDiT, LatentDiTConfig
from .latent_flow import PRESETS as LATENT_FLOW_PRESETS
from .latent_flow import LatentFlow, LatentFlowConfig
from .scene_flow import PRESETS as SCENE_FLOW_PRESETS
from .scene_flow import SceneFlow, SceneFlowConfig
from .seed_gan import SeedGAN, SeedGANConfig
from .sprite_flow import PRESETS as SPRITE_FLOW_PRESETS
from .sprite_flow import SpriteFlow, SpriteFlowConfig

# name -> (config class, system class, presets, fixed overrides)
MODELS = {
    "latent-flow": (LatentFlowConfig, LatentFlow, LATENT_FLOW_PRESETS, {}),
    "latent-dit": (LatentDiTConfig, LatentDiT, LATENT_DIT_PRESETS, {}),
    "sprite-flow": (SpriteFlowConfig, SpriteFlow, SPRITE_FLOW_PRESETS, {}),
    "scene-flow": (SceneFlowConfig, SceneFlow, SCENE_FLOW_PRESETS, {}),
    "seed-gan": (SeedGANConfig, SeedGAN, {"seed": SeedGANConfig(), "default": SeedGANConfig(frames=16)},
                 {"conditional": False}),
    "seed-cgan": (SeedGANConfig, SeedGAN, {"seed": SeedGANConfig(), "default": SeedGANConfig(frames=16)},
                  {"conditional": True}),
}


def model_config(name: str, preset: str, **overrides):
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    cfg_cls, _, presets, fixed = MODELS[name]
    if preset not in presets:
        raise ValueError(f"model {name} has no preset {preset!r}; choose from {', '.join(presets)}")
    return replace(presets[preset], **fixed, **overrides)


def config_fields(name: str) -> set[str]:
    """The field names of a model's config."""
    return {f.name for f in fields(MODELS[name][0])}


def build_model(name: str, cfg, vocab: Vocab) -> System:
    return MODELS[name][1](cfg, vocab)


def config_from_dict(name: str, d: dict):
    cfg_cls = MODELS[name][0]
    unknown = set(d) - config_fields(name)
    if unknown:
        raise ValueError(f"config has fields model {name} does not know: {sorted(unknown)}")
    d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    return cfg_cls(**d)


__all__ = ["MODELS", "System", "model_config", "config_fields", "build_model", "config_from_dict",
           "asdict"]
