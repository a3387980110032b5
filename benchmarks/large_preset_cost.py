"""What the `large` latent-flow preset costs: parameters, FLOPs per training clip (counted by
torch's FlopCounterMode on one real training step), measured seconds per clip on this machine,
and from those an estimate of wall time for a run on 8 GPUs.

    python benchmarks/large_preset_cost.py [--batch 4] [--steps 3] [--clips 10_000_000]

The GPU estimate is arithmetic, not a measurement: FLOPs per clip x clips / (GPUs x sustained
FLOP/s), with the sustained rate an assumption you can change (--gpu-tflops, default 200 for an
H100 in bf16 on small convolutions, about 20% of its dense peak).
"""
from __future__ import annotations

import argparse
import statistics

import torch
from common import save, step_cost

from tinyt2v.io import to_tensor
from tinyt2v.models import build_model, model_config
from tinyt2v.run_state import shaped_by, targets_of
from tinyt2v.text import Vocab
from tinyt2v.world import training_words
from tinyt2v.world import clip_batch, get_world


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--clips", type=float, default=10e6, help="training clips in the estimated run")
    ap.add_argument("--gpus", type=int, default=8)
    ap.add_argument("--gpu-tflops", type=float, default=200.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    world = get_world("default")
    rows = []
    for preset in ("tiny", "default", "large"):
        cfg = model_config("latent-flow", preset, **shaped_by(world, "latent-flow"))
        system = build_model("latent-flow", cfg, Vocab(training_words(world)))
        opts = system.optimizers()
        batch = clip_batch(world, "train", args.batch, seed=0)
        video = to_tensor(batch.video)
        targets = targets_of(batch, "latent-flow", cfg, world)
        flops, times = step_cost(system, video, batch.captions, opts, 0.0, targets, args.steps)
        flops /= args.batch
        sec = statistics.median(times) / args.batch
        gpu_hours = flops * args.clips / (args.gpus * args.gpu_tflops * 1e12) / 3600
        rows.append(dict(preset=preset, params_M=sum(p.numel() for p in system.parameters()) / 1e6,
                         train_gflop_per_clip=flops / 1e9, cpu_sec_per_clip=sec,
                         cpu_gflops=flops / sec / 1e9, cpu_days_for_run=sec * args.clips / 86400,
                         est_hours_on_gpus=gpu_hours, preset_batch=cfg.batch_size))
        print(rows[-1], flush=True)
    save("large_preset_cost", rows, f"Training cost per preset; estimate for {args.clips:.0e} clips "
         f"on {args.gpus} GPUs at an assumed {args.gpu_tflops:g} TFLOP/s each",
         f"python benchmarks/large_preset_cost.py --batch {args.batch} --steps {args.steps} "
         f"--clips {args.clips:g} --gpus {args.gpus} --gpu-tflops {args.gpu_tflops:g}",
         notes="FLOPs: torch.utils.flop_counter on one training step (forward + backward, "
               "matmuls and convolutions). est_hours_on_gpus is arithmetic from an assumed "
               "sustained rate, not a GPU measurement (no GPU was lent).")


if __name__ == "__main__":
    main()
