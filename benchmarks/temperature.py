"""Sampling temperature (the scale of the flow's starting noise) against accuracy and variety:
judge all-correct and per-attribute accuracy on `test`, and how spread out start positions and
speeds are, beside the same numbers for real clips of the same prompts.

    python benchmarks/temperature.py [--checkpoint PATH] [--n 200] [--temperatures 1,0.8,0.7,0.6,0.5]
"""
from __future__ import annotations

import argparse

import torch
from common import save

from tinyt2v.evaluate import evaluate
from tinyt2v.judge import read_clip, score
from tinyt2v.pipeline import DEFAULT_CHECKPOINT, Pipeline
from tinyt2v.world import clip_batch


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--temperatures", default="1,0.8,0.7,0.6,0.5")
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.from_pretrained(args.checkpoint)
    real = clip_batch(pipe.world, "test", args.n, seed=1)  # the clips evaluate(seed=1) prompts with
    variety = score((read_clip(v), lab) for v, lab in zip(real.video, real.labels))["variety"]
    rows = []
    for tau in (float(t) for t in args.temperatures.split(",")):
        rep = evaluate(pipe, "test", args.n, seed=1, temperature=tau)
        rows.append(dict(temperature=tau, n=rep["n"], all_correct=rep["all_correct"],
                         **rep["accuracy"], start_px=rep["variety"]["start_px"],
                         real_start_px=variety["start_px"], speed_cv=rep["variety"]["speed_cv"],
                         real_speed_cv=variety["speed_cv"]))
        print(rows[-1], flush=True)
    save("temperature", rows, f"Sampling temperature: accuracy and variety on test ({pipe.config['model']})",
         f"python benchmarks/temperature.py --checkpoint {args.checkpoint} --n {args.n} "
         f"--temperatures {args.temperatures}")


if __name__ == "__main__":
    main()
