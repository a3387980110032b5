"""Generate one clip per prompt of a split and score it with the judge."""
from __future__ import annotations

import time
from typing import Callable

from .judge import Reading, read_clip, score
from .judge.scene import SceneReading, read_scene, score_scenes
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
