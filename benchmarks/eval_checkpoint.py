"""Judge a checkpoint on every split, beside real clips' temporal consistency and variety
(start_px: spread of start positions; speed_cv: spread of speeds within a motion), and time
its sampling at batch 1 and batched. A scenes checkpoint is judged object by object on the
scenes splits (object count, objects right, relations right, binding errors) beside the judge's
reading of each split's real clips.

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
from tinyt2v.world.splits import splits_of


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--save-as", default=None, help="results name (default: eval_MODEL_PRESET)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.from_pretrained(args.checkpoint)
    scenes = pipe.world.objects > 1
    splits = [split for split in splits_of(pipe.world) if split != "train"]
    real = clip_batch(pipe.world, "test", args.n, seed=1)
    if scenes:  # the judge's own check, on each split's real clips
        real_reports = {split: score_scenes([(read_scene(v), lab) for v, lab in zip(b.video, b.labels)])
                        for split in splits for b in [clip_batch(pipe.world, split, args.n, seed=1)]}
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
    for split in splits:
        rep = evaluate(pipe, split, args.n, seed=1)
        row = dict(split=split, n=rep["n"], all_correct=rep["all_correct"],
                   shape=rep["accuracy"]["shape"], color=rep["accuracy"]["color"],
                   size=rep["accuracy"]["size"], motion=rep["accuracy"]["motion"], readable=rep["readable"])
        if scenes:
            row |= dict(count=rep["count_correct"], objects_right=rep["per_object"],
                        relation=rep["relation"], relations=rep["relations"],
                        binding_errors=rep["binding_errors"], real_all_correct=real_reports[split]["all_correct"])
        else:
            row |= dict(temporal=rep["temporal"]["overall"], real_temporal=real_report["temporal"]["overall"],
                        start_px=rep["variety"]["start_px"], real_start_px=real_report["variety"]["start_px"],
                        speed_cv=rep["variety"]["speed_cv"], real_speed_cv=real_report["variety"]["speed_cv"])
        rows.append(row)
        print(rows[-1], flush=True)
    init = train.get("init")
    began = (f" Fine-tuned from {init['checkpoint']}, which had trained {init['steps']} steps, "
             f"{init['cpu_seconds'] / 60:.1f} CPU-minutes.") if init else ""
    save(args.save_as or "eval_" + pipe.config["model"] + "_" + pipe.config.get("preset", ""), rows,
         f"{pipe.config['model']} ({pipe.config.get('preset')}) judged on every split",
         f"python benchmarks/eval_checkpoint.py --checkpoint {args.checkpoint} --n {args.n}"
         + (f" --save-as {args.save_as}" if args.save_as else ""),
         notes=f"Trained {train.get('steps')} steps, {train.get('wall_seconds', 0) / 60:.1f} wall-minutes, "
               f"{train.get('cpu_seconds', 0) / 60:.1f} CPU-minutes on {train.get('threads')} threads.{began} "
               f"Sampling: median {statistics.median(one):.3f} s per clip at batch 1 (20 clips), "
               f"{batched:.1f} clips/s at batch 64.")


if __name__ == "__main__":
    main()
