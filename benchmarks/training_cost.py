"""What a training clip costs each model: parameters, FLOPs per training clip (torch's
FlopCounterMode on one real step, forward + backward), CPU clips/s at the preset's batch, and the
GPU clips/s that benchmarks/gpu.py measured, where it measured that model.

    python benchmarks/training_cost.py [--models latent-dit:tiny,latent-flow:tiny,sprite-flow:tiny]

latent-dit trains in two stages, so it gets a row per stage: the autoencoder's step, then the
transformer's (which also runs the frozen encoder).
"""
from __future__ import annotations

import argparse
import json
import statistics

import torch
from common import RESULTS, save, step_cost

from tinyt2v.io import to_tensor
from tinyt2v.models import build_model, model_config
from tinyt2v.run_state import shaped_by, targets_of
from tinyt2v.text import Vocab
from tinyt2v.world import training_words
from tinyt2v.train import training_step
from tinyt2v.world import clip_batch, get_world

# the progress at which each stage's step is taken: latent-dit trains its autoencoder first
STAGES = {"latent-dit": (("autoencoder", 0.0), ("transformer", 0.99))}


def gpu_rates(spec: str) -> str:
    """The fastest training clips/s benchmarks/gpu.py measured for model:preset, with its card."""
    found = []
    for path in RESULTS.glob("gpu_*.json"):
        d = json.loads(path.read_text())
        for r in d.get("sections", {}).get("speed", {}).get("rows", []):
            if r.get("model") == spec and r.get("step_clips_per_s"):
                found.append((r["step_clips_per_s"], f"{r['step_clips_per_s']:,} ({d['card']}, batch {r['batch']}, {r['amp']})"))
    return max(found)[1] if found else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="latent-dit:tiny,latent-dit:large,latent-flow:tiny,sprite-flow:tiny")
    ap.add_argument("--steps", type=int, default=5, help="timed steps per row (the median is kept)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    world = get_world("default")
    rows = []
    for spec in args.models.split(","):
        name, preset = spec.split(":")
        torch.manual_seed(0)
        cfg = model_config(name, preset, **shaped_by(world, name))
        system = build_model(name, cfg, Vocab(training_words(world)))
        opts = system.optimizers()
        batch = clip_batch(world, "train", cfg.batch_size, seed=0)
        video, targets = to_tensor(batch.video), targets_of(batch, name, cfg, world)
        for stage, progress in STAGES.get(name, (("all", 0.0),)):
            training_step(system, video, batch.captions, opts, progress, targets)  # warm-up, stage switch
            flops, times = step_cost(system, video, batch.captions, opts, progress, targets, args.steps)
            rows.append(dict(model=name, preset=preset, stage=stage,
                             params_M=round(sum(p.numel() for p in system.parameters()) / 1e6, 3),
                             train_gflop_per_clip=round(flops / cfg.batch_size / 1e9, 3),
                             batch=cfg.batch_size,
                             cpu_clips_per_s=round(cfg.batch_size / statistics.median(times), 1),
                             gpu_clips_per_s=gpu_rates(spec) if stage == "all" else ""))
            print(rows[-1], flush=True)
    save("training_cost", rows, "Training cost per clip, per model and stage",
         "python benchmarks/training_cost.py " + " ".join(f"--{k} {v}" for k, v in vars(args).items()),
         notes=f"FLOPs: torch.utils.flop_counter on one training step at the preset's batch "
               f"(matmuls and convolutions, forward + backward). CPU clips/s: median of {args.steps} "
               f"steps on {args.threads} threads, synthetic world clips already in memory. GPU "
               f"clips/s: the fastest benchmarks/gpu.py row for that model and preset, where one "
               f"was measured (latent-dit's per-stage GPU rates are in its latent_dit_* results).")


if __name__ == "__main__":
    main()
