"""The training runs behind every test that trains a model and asserts how well it learned.

Each run takes a folder, a training seed and a thread count and returns what it measured and
the bar it must clear. The tests call each run with seed 0 on one thread; the benchmark
`benchmarks/training_tests.py` calls the same runs with training seeds 0-3, with 2 threads and
on another kernel path (ATEN_CPU_CAPABILITY=default), because another machine's float rounding
is, to a run, no different from another seed: a bar must hold in all of them, with a margin.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from conftest import all_correct_rate, overfit_bar
from tinyt2v.world import clip_batch, get_world

# 2 colours x 4 directions of a large fast circle, one plain wording each: 8 prompts where
# shape and size come for free, so one attribute at chance (colour guessed) reads 1/2
CIRCLES = replace(get_world("default"), name="overfit", captions="plain", shapes=("circle",),
                  colors=("red", "blue"), sizes=("large",), motions=("up", "down", "left", "right"),
                  speeds=("fast",), heldout_fraction=0.0)


@dataclass
class Measured:
    value: float  # what the run measured (an all-correct share, or a ratio for a loss)
    bar: float    # what value must reach (at least, or at most when lower_is_better)
    lower_is_better: bool = False

    @property
    def holds(self) -> bool:
        return self.value <= self.bar if self.lower_is_better else self.value >= self.bar

    @property
    def margin(self) -> float:
        """How far inside the bar the value lies (negative: outside)."""
        return self.bar - self.value if self.lower_is_better else self.value - self.bar


@contextlib.contextmanager
def threads_set_to(n: int):
    """Run with n torch threads, then give the caller's count back (tests share a process)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def trained(folder: Path, world, model: str, seed: int, threads: int, **train_kw) -> Path:
    from tinyt2v.train import TrainConfig, train

    return train(TrainConfig(model=model, preset="tiny", world=world, out=str(folder / "run"),
                             sample_every=None, ckpt_every=None, seed=seed, threads=threads,
                             **train_kw))


def judged_on_own_prompts(ck: Path, world, n: int) -> float:
    """All-correct share of n clips drawn for prompts of the world the model trained on."""
    from tinyt2v.pipeline import Pipeline

    batch = clip_batch(world, "train", n, seed=7)
    return all_correct_rate(Pipeline.from_pretrained(ck).generate(batch.captions, seed=1), batch.labels)


def sprite_flow_learns_16_prompts(folder: Path, seed: int = 0, threads: int = 1) -> Measured:
    """1,200 steps (the preset's batch) on 16 prompts (2 shapes x 2 colours x 4 directions): all-correct
    halfway from one attribute at chance (shape or colour guessed: 1/2) to all correct."""
    world = replace(get_world("default"), name="overfit-sf", shapes=("square", "triangle"),
                    colors=("red", "blue"), sizes=("large",), motions=("up", "down", "left", "right"),
                    speeds=("fast",), heldout_fraction=0.0)
    with threads_set_to(threads):
        ck = trained(folder, world, "sprite-flow", seed, threads, steps=1200)
        return Measured(judged_on_own_prompts(ck, world, 64), overfit_bar(world))


def latent_flow_learns_8_prompts(folder: Path, seed: int = 0, threads: int = 1) -> Measured:
    """800 steps of 16 clips on the 8 circle prompts, the encoder frozen for the last 40%."""
    with threads_set_to(threads):
        ck = trained(folder, CIRCLES, "latent-flow", seed, threads, steps=800, batch_size=16,
                     overrides={"freeze_encoder_at": 0.6})
        return Measured(judged_on_own_prompts(ck, CIRCLES, 48), overfit_bar(CIRCLES))


def scene_flow_learns_two_object_prompts(folder: Path, seed: int = 0, threads: int = 1) -> Measured:
    """Red and blue circles and squares going left or right, up to two per scene, 8 frames of
    32x32 (about forty plain prompts), 1,200 steps of 16 clips: its two-object prompts read
    all-correct halfway from one attribute at chance (which is also what drawing the right
    objects with their colours swapped scores) to all correct."""
    from tinyt2v.judge.scene import read_scene, score_scenes
    from tinyt2v.pipeline import Pipeline

    world = replace(get_world("scenes"), name="overfit-scenes", captions="plain", frames=8, height=32,
                    width=32, shapes=("circle", "square"), colors=("red", "blue"), sizes=("large",),
                    motions=("left", "right"), speeds=("fast",), heldout_fraction=0.0, objects=2)
    with threads_set_to(threads):
        ck = trained(folder, world, "scene-flow", seed, threads, steps=1200, batch_size=16,
                     overrides=dict(hidden=64, width_dec=16, prior_width=128, prior_depth=2, text_dim=32))
        batch = clip_batch(world, "train", 96, seed=7)
        two = [i for i, lab in enumerate(batch.labels) if len(lab["objects"]) == 2]
        videos = Pipeline.from_pretrained(ck).generate([batch.captions[i] for i in two], seed=1)
    report = score_scenes([(read_scene(v), batch.labels[i]) for v, i in zip(videos, two)])
    return Measured(report["all_correct"], overfit_bar(world))


# latent-dit's overfit run: 8 frames of 32x32, 396 autoencoder steps then 4,004 transformer
# steps of 16 clips with a token per latent frame (the preset's 4-frame tubelets read far less)
DIT_WORLD = replace(CIRCLES, frames=8, height=32, width=32)
DIT_RUN = dict(steps=4400, batch_size=16, overrides=dict(ae_share=0.09, dit_width=64, dit_depth=2,
                                                         heads=2, text_dim=32, time_patch=1))


def latent_dit_learns_8_prompts(folder: Path, seed: int = 0, threads: int = 1) -> Measured:
    """The whole model's samples of the 8 circle prompts, all-correct against the overfit bar.
    Measured, not tested: it swings with the seed (docs/results.md#tests-on-any-machine)."""
    with threads_set_to(threads):
        ck = trained(folder, DIT_WORLD, "latent-dit", seed, threads, **DIT_RUN)
        return Measured(judged_on_own_prompts(ck, DIT_WORLD, 48), overfit_bar(DIT_WORLD))


def latent_dit_autoencoder_learns_8_prompts(folder: Path, seed: int = 0, threads: int = 1) -> Measured:
    """The autoencoder stage of the same run alone (396 steps): its copies of 48 clips of the 8
    prompts read all-correct by the judge."""
    from tinyt2v.io import to_tensor, to_uint8
    from tinyt2v.pipeline import Pipeline

    ae_steps = round(DIT_RUN["steps"] * DIT_RUN["overrides"]["ae_share"])
    with threads_set_to(threads):
        ck = trained(folder, DIT_WORLD, "latent-dit", seed, threads, steps=ae_steps, batch_size=16,
                     overrides={**DIT_RUN["overrides"], "ae_share": 1.0})
        batch = clip_batch(DIT_WORLD, "train", 48, seed=7)
        with torch.no_grad():
            copies = to_uint8(Pipeline.from_pretrained(ck).system.reconstruct(to_tensor(batch.video)))
    return Measured(all_correct_rate(copies, batch.labels), 0.95)


def latent_flow_loss_halves_in_30_steps(folder: Path, seed: int = 0, threads: int = 1) -> Measured:
    """The distributed test's run in one process (a tiny latent-flow, 30 steps of 8 clips): the
    reconstruction loss of the last 5 steps over that of the first 5."""
    from conftest import TINY

    with threads_set_to(threads):
        trained(folder, get_world("default"), "latent-flow", seed, threads, steps=30, batch_size=8,
                overrides=TINY, log_every=1)
    rows = [json.loads(x) for x in (folder / "run" / "metrics.jsonl").read_text().splitlines()]
    logs = [r["recon"] for r in rows]
    return Measured(float(np.mean(logs[-5:]) / np.mean(logs[:5])), 0.8, lower_is_better=True)


RUNS = {f.__name__: f for f in (sprite_flow_learns_16_prompts, latent_flow_learns_8_prompts,
                                scene_flow_learns_two_object_prompts, latent_dit_learns_8_prompts,
                                latent_dit_autoencoder_learns_8_prompts,
                                latent_flow_loss_halves_in_30_steps)}
