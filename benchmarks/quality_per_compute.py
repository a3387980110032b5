"""Judge accuracy per training CPU-minute: the main model against the baselines, side by side in
one run on the same world and the same threads (budgets in process CPU time), plus a grid of
samples for fixed prompts.

    python benchmarks/quality_per_compute.py [--minutes 15] [--n 200]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import RESULTS, save, train_and_eval

from tinyt2v.pipeline import Pipeline
from tinyt2v.visuals import frame_grid, save_png

PROMPTS = ["a small red circle moving up-right", "a large blue square rotating clockwise",
           "a medium green star bouncing vertically", "a small yellow triangle moving left",
           "crimson ball sliding toward the upper right", "a big black cross shrinking"]


def accepts(pipe, prompt: str) -> bool:
    """The tutorial's encoder refuses words it never saw (the paraphrase prompt)."""
    try:
        pipe.system.check_prompt(prompt)
        return True
    except ValueError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", default="15", help="cumulative CPU-minutes of training to judge at")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--models", default="sprite-flow:tiny,latent-flow:tiny,seed-cgan:default,seed-gan:default")
    ap.add_argument("--out", default="runs/bench-qpc-cpu")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    minutes = [float(m) for m in args.minutes.split(",")]
    rows, grids = [], []
    for spec in args.models.split(","):
        model, preset = spec.split(":")
        run = Path(args.out) / f"{model}-{preset}"
        rows += train_and_eval(model, preset, "default", minutes, ["test", "heldout", "paraphrase"],
                               args.n, run, threads=args.threads)
        pipe = Pipeline.from_pretrained(run / "checkpoint")
        accepted = [p for p in PROMPTS if accepts(pipe, p)]
        if accepted:
            grids.append(pipe.generate(accepted, seed=0))
    width = max(g.shape[0] for g in grids)  # pad refused rows so the grids stack
    grids = [np.concatenate([g, np.full((width - len(g),) + g.shape[1:], 128, np.uint8)])
             for g in grids]
    save_png(RESULTS / "quality_per_compute_samples.png",
             np.concatenate([frame_grid(g) for g in grids], axis=0))
    save("quality_per_compute", rows, "Judge accuracy per training CPU-minute (default world)",
         f"python benchmarks/quality_per_compute.py --minutes {args.minutes} --n {args.n} "
         f"--models {args.models} --threads {args.threads}",
         notes="Sample grid: quality_per_compute_samples.png (rows: " + ", ".join(PROMPTS) + ").")


if __name__ == "__main__":
    main()
