"""Generate one clip per prompt of a split and score it with the judge; for a model trained on
real clips, what can be measured without a judge (evaluate_footage)."""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .judge import Reading, read_clip, score
from .judge.scene import SceneReading, read_scene, score_scenes
from .models import MODELS
from .pipeline import Pipeline
from .world import clips

BATCH_SEED_STRIDE = 100003  # batch i of a run with seed s samples with seed s * this + i


def evaluate(pipe: Pipeline, split: str, n: int, seed: int = 0, batch_size: int = 32,
             progress: Callable[[int], None] | None = None, temperature: float | None = None) -> dict:
    """Judge report (as `tinyt2v judge --json`) plus seconds_per_clip of generation; temperature
    as for Pipeline.generate (None: the model's own)."""
    pairs, gen_seconds = [], 0.0
    scenes = pipe.world.objects > 1  # several objects per clip: read and score each object
    read = read_scene if scenes else read_clip
    for i, batch in enumerate(clips(pipe.world, split, n, seed=seed, batch_size=batch_size)):
        # A prompt the model refuses (the tutorial's encoder and unknown words) is a failure,
        # scored as an unreadable clip, not a crash.
        refused = {}
        for k, caption in enumerate(batch.captions):
            try:
                pipe.system.check_prompt(pipe.understand(caption).text)
            except ValueError as e:
                refused[k] = (SceneReading if scenes else Reading)(False, why=f"prompt refused: {e}")
        ok = [k for k in range(len(batch)) if k not in refused]
        t = time.perf_counter()
        videos = pipe.generate([batch.captions[k] for k in ok], seed=seed * BATCH_SEED_STRIDE + i,
                               temperature=temperature) if ok else []
        gen_seconds += time.perf_counter() - t
        readings = dict(refused) | {k: read(v) for k, v in zip(ok, videos)}
        pairs += [(readings[k], lab) for k, lab in enumerate(batch.labels)]
        if progress:
            progress(len(batch))
    report = (score_scenes if scenes else score)(pairs)
    report["seconds_per_clip"] = gen_seconds / report["n"]
    report["split"] = split
    report["checkpoint"] = pipe.source
    report["model"] = pipe.config["model"]
    return report


def psnr_db(mean_squared_error: float) -> float:
    """Peak signal-to-noise ratio of clips in [0, 1] with this mean squared error."""
    return 10 * math.log10(1 / max(mean_squared_error, 1e-12))


def evaluate_footage(pipe: Pipeline, spec: str, n: int, seed: int = 0, batch_size: int = 32) -> dict:
    """A model trained on real clips, on up to n clips of `videos:PATH` (clips it did not train on
    tell the truth): the PSNR of its autoencoder's copies where it has one, and one sample per
    clip's caption, beside that clip. No world judge: nothing here reads what a clip shows."""
    from .data import SkipClip, list_items, load_clip, parse_source
    from .io import to_tensor

    world, real, captions, skipped = pipe.world, [], [], 0
    for item in list_items(parse_source(spec)).items:
        if len(real) == n:
            break
        try:
            real.append(load_clip(item.path, world.frames, world.height, world.width))
            captions.append(item.text)
        except SkipClip:
            skipped += 1
    if not real:
        raise ValueError(f"{spec}: no clip could be read ({skipped} skipped)")
    report = dict(data=spec, n=len(real), skipped=skipped, captions=captions, checkpoint=pipe.source,
                  model=pipe.config["model"], psnr_db=None)
    real = np.stack(real)
    if MODELS[pipe.config["model"]].reconstructs:
        squared = 0.0
        for i in range(0, len(real), batch_size):
            video = to_tensor(real[i:i + batch_size]).to(pipe.device)
            squared += float(((pipe.system.reconstruct(video) - video) / 2).pow(2).mean((1, 2, 3, 4)).sum())
        report["psnr_db"] = psnr_db(squared / len(real))
    t = time.perf_counter()
    report["samples"] = pipe.generate(captions, seed=seed)
    report["seconds_per_clip"] = (time.perf_counter() - t) / len(real)
    report["real"] = real
    return report
