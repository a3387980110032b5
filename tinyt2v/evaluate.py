"""Generate one clip per prompt of a split and score it with the judge."""
from __future__ import annotations

import time
from typing import Callable

from .judge import read_clip, score
from .pipeline import Pipeline
from .world import clips


def evaluate(pipe: Pipeline, split: str, n: int, seed: int = 0, batch_size: int = 32,
             progress: Callable[[int], None] | None = None) -> dict:
    """Judge report (as `tinyt2v judge --json`) plus seconds_per_clip of generation."""
    pairs, gen_seconds = [], 0.0
    for i, batch in enumerate(clips(pipe.world, split, n, seed=seed, batch_size=batch_size)):
        t = time.perf_counter()
        videos = pipe.generate(batch.captions, seed=seed * 100003 + i)
        gen_seconds += time.perf_counter() - t
        pairs += [(read_clip(v), lab) for v, lab in zip(videos, batch.labels)]
        if progress:
            progress(len(batch))
    report = score(pairs)
    report["seconds_per_clip"] = gen_seconds / report["n"]
    report["split"] = split
    report["checkpoint"] = pipe.source
    report["model"] = pipe.config["model"]
    return report
