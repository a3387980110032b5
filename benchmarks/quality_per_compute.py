"""Judge accuracy per training CPU-minute (or GPU-minute): the main model against the baselines,
side by side in one run on the same world and the same threads (budgets in process CPU time; on a
GPU in wall minutes of training), plus a grid of samples for fixed prompts.

    python benchmarks/quality_per_compute.py [--minutes 15] [--n 200]
    python benchmarks/quality_per_compute.py --world scenes   # scene-flow beside the baselines
    python benchmarks/quality_per_compute.py --world scenes --models scene-flow:tiny --seed 1
                                            # another training seed (results/..._seed1.*)
    python benchmarks/quality_per_compute.py --world scenes --models scene-flow:tiny,latent-dit:tiny \
        --name quality_per_compute_scenes_latent_dit    # the general transformer beside scene-flow
    python benchmarks/quality_per_compute.py --models sprite-flow:tiny,latent-flow:tiny,latent-dit:tiny \
        --minutes 5,15,30 --marks latent-flow=15,30,60 --marks latent-dit=60,120 \
        --name quality_per_compute_curves   # accuracy curves of the three flow models, each over its range
    python benchmarks/quality_per_compute.py --device cuda --amp bf16 --workers 12 \
        --models sprite-flow:default,latent-flow:large,latent-dit:large --minutes 0.5,1 \
        --marks latent-dit=5 --name quality_per_compute_curves_gpu    # curves in GPU-minutes

A model's marks default to --minutes; --marks gives one model its own. latent-dit's autoencoder
learns for `ae_share` of its first leg only (a resumed run keeps it frozen), so its first mark sets
the autoencoder's time: 60 gives it 6 CPU-minutes, as in the CPU-bar runs.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import torch
from common import RESULTS, copy_weights, save, train_and_eval

from tinyt2v.pipeline import Pipeline
from tinyt2v.visuals import frame_grid, save_png

PROMPTS = ["a small red circle moving up-right", "a large blue square rotating clockwise",
           "a medium green star bouncing vertically", "a small yellow triangle moving left",
           "crimson ball sliding toward the upper right", "a big black cross shrinking"]
SCENE_PROMPTS = ["a red circle moving left and a blue square moving down",
                 "two green stars falling", "a big purple cross spinning clockwise, a yellow triangle going right",
                 "a small orange diamond moving up while a large black circle shrinks",
                 "three blue triangles moving right", "a red square bouncing vertically"]
# per world: (default models, splits judged, prompts of the sample grid)
WORLDS = {"default": ("sprite-flow:tiny,latent-flow:tiny,seed-cgan:default,seed-gan:default",
                      ["test", "heldout", "paraphrase"], PROMPTS),
          "scenes": ("scene-flow:tiny,latent-flow:tiny,seed-cgan:default",
                     ["test", "binding", "heldout", "count"], SCENE_PROMPTS)}


def accepts(pipe, prompt: str) -> bool:
    """The tutorial's encoder refuses words it never saw (the paraphrase prompt)."""
    try:
        pipe.system.check_prompt(prompt)
        return True
    except ValueError:
        return False


def parse_minutes(text: str) -> list[float]:
    return [float(m) for m in text.split(",")]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", default="15", help="cumulative minutes of training to judge at: "
                    "process CPU-minutes on the CPU, wall minutes of training on a GPU")
    ap.add_argument("--marks", action="append", default=[], metavar="MODEL=M,M",
                    help="one model's own cumulative marks (repeatable)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--world", default="default", choices=list(WORLDS))
    ap.add_argument("--models", default=None, help="model:preset,... (default: the world's)")
    ap.add_argument("--out", default=None, help="runs folder (default: runs/bench-qpc-WORLD[-seedS][-cuda])")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="cuda: train and judge on the GPU, marks in GPU-minutes")
    ap.add_argument("--amp", default="none", help="mixed precision on a GPU: none | bf16")
    ap.add_argument("--workers", type=int, default=0, help="data processes (world layout on a GPU)")
    ap.add_argument("--seed", type=int, default=0, help="training seed (the judged prompts stay the same)")
    ap.add_argument("--name", help="results file name (default: quality_per_compute[_WORLD][_seedS][_cuda])")
    ap.add_argument("--copy-to", help="also write the results here (a device machine's $OUT)")
    ap.add_argument("--copy-weights", action="append", default=[], metavar="MODEL",
                    help="with --copy-to: also that model's last checkpoint, weights in parts (repeatable)")
    args = ap.parse_args()
    models, splits, prompts = WORLDS[args.world]
    args.models = args.models or models
    # what sets this run apart, named once for the runs folder and the results file
    seed, device = (f"seed{args.seed}" if args.seed else ""), ("" if args.device == "cpu" else args.device)
    tag = "".join(f"_{p}" for p in ("" if args.world == "default" else args.world, seed, device) if p)
    out = Path(args.out or "runs/bench-qpc-" + "-".join(p for p in (args.world, seed, device) if p))
    try:
        minutes = {"": parse_minutes(args.minutes)}
        for spec in args.marks:
            model, _, marks = spec.partition("=")
            minutes[model] = parse_minutes(marks)
    except ValueError as e:
        ap.error(f"marks are minutes separated by commas, as in 15,30,60 ({e})")
    named = {spec.split(":")[0] for spec in args.models.split(",")}
    unknown = (set(minutes) - {""} - named) | (set(args.copy_weights) - named)
    if unknown:
        ap.error(f"--marks or --copy-weights names a model not in --models: {', '.join(sorted(unknown))}")
    if args.copy_weights and not args.copy_to:
        ap.error("--copy-weights needs --copy-to")
    rows, grids = [], []
    for spec in args.models.split(","):
        model, preset = spec.split(":")
        run = out / f"{model}-{preset}"
        rows += train_and_eval(model, preset, args.world, minutes.get(model, minutes[""]), splits, args.n,
                               run, seed=args.seed, threads=args.threads, device=args.device,
                               amp=args.amp, workers=args.workers)
        if model in args.copy_weights:  # before judging the grid: a failure must not lose them
            copy_weights(run / "checkpoint", Path(args.copy_to) / f"{model}-{preset}")
        pipe = Pipeline.from_pretrained(run / "checkpoint", args.device)
        accepted = [p for p in prompts if accepts(pipe, p)]
        if accepted:
            grids.append(pipe.generate(accepted, seed=0))
    width = max(g.shape[0] for g in grids)  # pad refused rows so the grids stack
    grids = [np.concatenate([g, np.full((width - len(g),) + g.shape[1:], 128, np.uint8)])
             for g in grids]
    name = args.name or "quality_per_compute" + tag
    save_png(RESULTS / f"{name}_samples.png", np.concatenate([frame_grid(g) for g in grids], axis=0))
    clock = "CPU-minute" if args.device == "cpu" else f"GPU-minute ({torch.cuda.get_device_name()})"
    save(name, rows, f"Judge accuracy per training {clock} ({args.world} world)",
         f"python benchmarks/quality_per_compute.py --world {args.world} --minutes {args.minutes} "
         f"--n {args.n} --models {args.models} --threads {args.threads} --seed {args.seed}"
         + "".join(f" --marks {m}" for m in args.marks)
         + ("" if args.device == "cpu" else f" --device {args.device} --amp {args.amp} --workers {args.workers}")
         + (f" --name {args.name}" if args.name else ""),
         notes=f"Sample grid: {name}_samples.png (one row per model, in the order above; columns: "
               + "; ".join(prompts) + ").")
    if args.copy_to:
        for suffix in (".md", ".json", "_samples.png"):
            shutil.copy(RESULTS / f"{name}{suffix}", args.copy_to)


if __name__ == "__main__":
    main()
