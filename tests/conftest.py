import os

import numpy as np
import pytest
import torch
from scipy import ndimage

from tinyt2v.world import get_world

if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):  # workers side by side: each its share of the cores
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

# The files of the learning tests (minutes each, the rest seconds) are handed to the workers
# first (pyproject: --no-loadscope-reorder keeps this order): started last, one of them ran
# alone on one worker for the suite's final ten minutes while the other worker sat idle.
RUN_FIRST = ("test_latent_flow.py", "test_sprite_flow.py", "test_scene_flow.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in RUN_FIRST)  # stable: the rest keep their order

# latent-flow at a size that trains a step in milliseconds
TINY = dict(width_enc=4, width_dec=8, hidden=32, prior_width=32, prior_depth=1, text_dim=16,
            latent=8, enc_frames=2, dec_frames=1)
# Every registered model at such a size, as TrainConfig fields (the seed GANs are small already).
SMALL = {"latent-flow": dict(model="latent-flow", overrides=TINY),
         "sprite-flow": dict(model="sprite-flow", overrides=dict(
             hidden=32, width_dec=8, prior_width=32, prior_depth=1, text_dim=16, dec_frames=1)),
         # ae_share 0.2: a 2-step and a 4-step run switch to the transformer at the same step
         # (the switch follows the planned budget), so the resume test compares like with like
         "latent-dit": dict(model="latent-dit", overrides=dict(
             ae_width=8, latent_channels=4, dit_width=32, dit_depth=1, heads=2, text_dim=16,
             ae_share=0.2)),
         # no lr schedule: it follows the planned budget, and the resume test plans 2 steps,
         # then 4 (the schedule itself: test_model_contract)
         "scene-flow": dict(model="scene-flow", world="scenes", overrides=dict(
             hidden=32, width_dec=8, prior_width=32, prior_depth=1, text_dim=16, dec_frames=1,
             slot_iterations=2, warmup=0.0, lr_final=1.0)),
         "layer-flow": dict(model="layer-flow", overrides=dict(
             atlases=4, atlas_side=32, window_sizes=3, prior_width=32, prior_depth=1, text_dim=16,
             dec_frames=1)),
         "seed-gan": dict(model="seed-gan", preset="seed", world="seed", overrides={}),
         "seed-cgan": dict(model="seed-cgan", preset="seed", world="seed", overrides={})}


def small_model(name: str):
    """(world, untrained model) for a registered model at its SMALL size, shaped by its world."""
    from tinyt2v.models import build_model, model_config
    from tinyt2v.run_state import shaped_by
    from tinyt2v.text import Vocab
    from tinyt2v.world import training_words

    kw = SMALL[name]
    world = get_world(kw.get("world", "default"))
    cfg = model_config(name, kw.get("preset", "tiny"), **shaped_by(world, name), **kw["overrides"])
    return world, build_model(name, cfg, Vocab(training_words(world)))


@pytest.fixture(scope="session")
def world():
    return get_world("default")


def degrade(video: np.ndarray, sigma: float = 0.1, seed: int = 0) -> np.ndarray:
    """A 3x3 blur then additive Gaussian noise, as generated videos are imperfect."""
    rng = np.random.default_rng(seed)
    x = ndimage.uniform_filter(video.astype(np.float32) / 255, size=(1, 3, 3, 1))
    x = x + rng.normal(0, sigma, x.shape)
    return (np.clip(x, 0, 1) * 255).round().astype(np.uint8)


def all_correct_rate(videos: np.ndarray, labels: list[dict]) -> float:
    """Share of clips whose shape, colour, size and motion the judge reads as labelled."""
    from tinyt2v.judge import read_clip

    ok = [all(getattr(read_clip(v), k) == lab[k] for k in ("shape", "color", "size", "motion"))
          for v, lab in zip(videos, labels)]
    return float(np.mean(ok))


def one_attribute_at_chance(world) -> float:
    """The best all-correct rate a model can reach that gets one judged attribute right only by
    chance (guessing among the world's own values) and every other one right: the bar an
    overfit test must be well above."""
    counts = [len(getattr(world, f)) for f in ("shapes", "colors", "sizes", "motions")]
    return max(1 / k for k in counts if k > 1)


def overfit_bar(world) -> float:
    """Halfway from one attribute at chance to all correct."""
    chance = one_attribute_at_chance(world)
    return chance + (1 - chance) / 2
