"""Judge a checkpoint on every split, beside real clips' temporal consistency and variety
(start_px: spread of start positions; speed_cv: spread of speeds within a motion), and time
its sampling at batch 1 and batched. A scenes checkpoint is judged object by object on the
scenes splits (object count, objects right, binding errors) beside the real clips' reading.

    python benchmarks/eval_checkpoint.py [--checkpoint PATH] [--n 200]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from common import save

from tinyt2v.evaluate import evaluate
from tinyt2v.judge import read_clip, score
from tinyt2v.judge.scene import read_scene, score_scenes
from tinyt2v.pipeline import DEFAULT_CHECKPOINT, Pipeline
from tinyt2v.world import clip_batch


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.from_pretrained(args.checkpoint)
    real = clip_batch(pipe.world, "test", args.n, seed=1)
    scenes = pipe.world.objects > 1
    if scenes:
        real_report = score_scenes([(read_scene(v), lab) for v, lab in zip(real.video, real.labels)])
    else:
        real_report = score((read_clip(v), lab) for v, lab in zip(real.video, real.labels))
    one = []
    for k in range(20):
        t = time.perf_counter()
        pipe.generate([real.captions[k]], seed=k)
        one.append(time.perf_counter() - t)
    t = time.perf_counter()
    pipe.generate(real.captions[:64], seed=0)
    batched = 64 / (time.perf_counter() - t)
    train = pipe.config.get("train", {})
    rows = []
    splits = ("test", "binding", "heldout", "count", "paraphrase") if scenes else \
        ("test", "heldout", "freeform", "paraphrase")
    for split in splits:
        rep = evaluate(pipe, split, args.n, seed=1)
        row = dict(split=split, n=rep["n"], all_correct=rep["all_correct"],
                   shape=rep["accuracy"]["shape"], color=rep["accuracy"]["color"],
                   size=rep["accuracy"]["size"], motion=rep["accuracy"]["motion"], readable=rep["readable"])
        if scenes:
            row |= dict(count=rep["count_correct"], objects_right=rep["per_object"],
                        binding_errors=rep["binding_errors"], real_test_all_correct=real_report["all_correct"])
        else:
            row |= dict(temporal=rep["temporal"]["overall"], real_temporal=real_report["temporal"]["overall"],
                        start_px=rep["variety"]["start_px"], real_start_px=real_report["variety"]["start_px"],
                        speed_cv=rep["variety"]["speed_cv"], real_speed_cv=real_report["variety"]["speed_cv"])
        rows.append(row)
        print(rows[-1], flush=True)
    save("eval_" + pipe.config["model"] + "_" + pipe.config.get("preset", ""), rows,
         f"{pipe.config['model']} ({pipe.config.get('preset')}) judged on every split",
         f"python benchmarks/eval_checkpoint.py --checkpoint {args.checkpoint} --n {args.n}",
         notes=f"Trained {train.get('steps')} steps, {train.get('wall_seconds', 0) / 60:.1f} wall-minutes, "
               f"{train.get('cpu_seconds', 0) / 60:.1f} CPU-minutes on {train.get('threads')} threads. "
               f"Sampling: median {statistics.median(one):.3f} s per clip at batch 1 (20 clips), "
               f"{batched:.1f} clips/s at batch 64.")


if __name__ == "__main__":
    main()
