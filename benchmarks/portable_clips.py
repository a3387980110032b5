"""How far the shipped checkpoints' clips move with float rounding, and with a changed model.

    python benchmarks/portable_clips.py

tests/test_shipped_models.py compares the shipped checkpoints' clips with the recorded ones
(tests/data/shipped_clips.npz) by the share of pixels that differ by more than a few levels.
This measures that share for what must pass (the same code on 1 and 2 threads, on this
machine's best kernels and on ATEN_CPU_CAPABILITY=default) and for what must fail (every
weight moved by noise of 0.1%, 1% of its tensor's RMS, four noise seeds each), each condition
in a process of its own.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from common import save

TESTS = Path(__file__).parent.parent / "tests"
# (threads, ATEN_CPU_CAPABILITY or None, weight noise share, noise seed)
CONDITIONS = [(1, None, 0, 0), (2, None, 0, 0), (1, "default", 0, 0), (2, "default", 0, 0)] + \
    [(1, None, share, s) for share in (0.001, 0.01) for s in range(4)]


def one(threads: int, share: float, seed: int) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    sys.path.insert(0, str(TESTS))
    from shipped_clips import (LEVELS, MAX_SHARE, PROMPTS, checkpoint, differing_share, draw,
                               expected, perturbed, verdicts)
    from tinyt2v.pipeline import Pipeline

    row = dict(kernels=torch.backends.cpu.get_cpu_capability())
    for name in sorted(PROMPTS):
        system = perturbed(Pipeline.from_pretrained(checkpoint(name)).system, share, seed) if share else None
        got, (want, want_read) = draw(name, system), expected(name)
        row[f"{name}_share"] = round(differing_share(got, want), 5)
        row[f"{name}_max_levels"] = int(np.abs(got.astype(int) - want).max())
        row[f"{name}_same_verdicts"] = verdicts(got, name) == want_read
        row[f"{name}_passes"] = row[f"{name}_share"] <= MAX_SHARE and row[f"{name}_same_verdicts"]
    row.update(levels=LEVELS, max_share=MAX_SHARE)
    print(json.dumps(row))


def main():
    if sys.argv[1:2] == ["--one"]:
        return one(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    rows = []
    for threads, capability, share, seed in CONDITIONS:
        env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
        if capability:
            env["ATEN_CPU_CAPABILITY"] = capability
        r = subprocess.run([sys.executable, __file__, "--one", str(threads), str(share), str(seed)],
                           env=env, capture_output=True, text=True, check=True)
        rows.append(dict(threads=threads, weight_noise=share, noise_seed=seed,
                         **json.loads(r.stdout.strip().splitlines()[-1])))
        print(rows[-1], flush=True)
    save("portable_clips", rows, "Shipped clips against the recorded ones: float rounding and changed weights",
         "python benchmarks/portable_clips.py",
         notes="share: pixels (over clips and frames) where some channel differs from the recorded clip "
               "by more than `levels`; a check passes at share <= max_share with the judge reading "
               "every clip as recorded. weight_noise: Gaussian noise added to every weight, this share "
               "of its tensor's RMS (0: the checkpoint as shipped).")


if __name__ == "__main__":
    main()
