"""latent-dit trained for a budget, then judged: its autoencoder's reconstructions and its samples.

    python benchmarks/latent_dit.py --preset large --device cuda --minutes 7     # one GPU call
    python benchmarks/latent_dit.py --preset tiny --cpu-minutes 120 --threads 2  # the CPU bar
    python benchmarks/latent_dit.py --preset tiny --steps 4 --n 8                # a smoke test
    python benchmarks/latent_dit.py --preset tiny --cpu-minutes 12 --threads 2 --set ae_share=1 \
        --guidance none --name latent_dit_tiny_cpu_autoencoder      # the autoencoder alone

Reports, per split (test, heldout): the judge's all-correct rate and per-attribute accuracy on
the autoencoder's reconstructions of real clips (how much the latent grid keeps), on samples at
each --guidance, the reconstructions' PSNR, the compression ratio, and the training cost.
--copy-to also leaves the checkpoint's weights there in parts of at most 15 MB (a machine whose
files come back in small pieces); `cat model.safetensors.part*` joins them.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

import torch
from common import RESULTS, copy_weights, save

from tinyt2v.evaluate import evaluate, psnr_db
from tinyt2v.io import to_tensor, to_uint8
from tinyt2v.judge import read_clip, score
from tinyt2v.pipeline import Pipeline
from tinyt2v.train import TrainConfig, train
from tinyt2v.world import clips


def reconstructions(pipe: Pipeline, split: str, n: int, batch: int = 50) -> dict:
    """The judge on the autoencoder's copies of n real clips of a split, and their PSNR."""
    pairs, sq, count = [], 0.0, 0
    for b in clips(pipe.world, split, n, seed=1, batch_size=batch):
        video = to_tensor(b.video).to(pipe.device)
        copy = pipe.system.reconstruct(video)
        sq += float(((copy - video) / 2).pow(2).mean((1, 2, 3, 4)).sum())
        count += len(video)
        pairs += [(read_clip(v), lab) for v, lab in zip(to_uint8(copy), b.labels)]
    report = score(pairs)
    report["psnr_db"] = psnr_db(sq / count)
    return report


def row(kind: str, split: str, report: dict, psnr_db="", seconds_per_clip="", **extra) -> dict:
    acc = report["accuracy"]
    return dict(kind=kind, split=split, n=report["n"], all_correct=report["all_correct"],
                shape=acc["shape"], color=acc["color"], size=acc["size"], motion=acc["motion"],
                psnr_db=psnr_db, seconds_per_clip=seconds_per_clip, **extra)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--cpu-minutes", type=float)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--amp", default="none")
    ap.add_argument("--n", type=int, default=200, help="clips per split and measurement")
    ap.add_argument("--guidance", default="2",
                    help="comma-separated guidance scales to sample at; none: judge reconstructions only "
                         "(an autoencoder trained alone, --set ae_share=1)")
    ap.add_argument("--out", default="runs/latent-dit-bench")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--copy-to", help="also write the results and the weights here")
    ap.add_argument("--name", help="results file name (default: latent_dit_PRESET_DEVICE)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="change a field of the preset (repeatable), e.g. --set latent_channels=8")
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (x.split("=", 1) for x in args.set)}

    # -- train
    t0 = time.time()
    cfg = TrainConfig(model="latent-dit", preset=args.preset, out=args.out, minutes=args.minutes,
                      cpu_minutes=args.cpu_minutes, steps=args.steps, batch_size=args.batch_size,
                      threads=args.threads, device=args.device, workers=args.workers, amp=args.amp,
                      resume=args.resume, overwrite=not args.resume, sample_every=None, ckpt_every=1000,
                      overrides=overrides)
    folder = train(cfg)
    train_s = time.time() - t0
    if args.copy_to:  # the weights first: a failure while judging must not lose them
        copy_run(folder, Path(args.copy_to))
    pipe = Pipeline.from_pretrained(folder, "cuda" if args.device == "cuda" else "cpu")
    rec = pipe.config["train"]
    system = pipe.system
    params = sum(p.numel() for p in system.parameters())
    cells = math.prod(system.grid)
    pixels = system.cfg.frames * system.cfg.height * system.cfg.width * 3
    print(f"trained {rec['steps']} steps in {train_s:.0f} s; judging", file=sys.stderr)

    # -- judge reconstructions and samples
    rows = []
    common = dict(preset=args.preset, steps=rec["steps"], batch=rec["batch_size"],
                  train_minutes=round(rec["wall_seconds"] / 60, 2),
                  cpu_minutes=round(rec["cpu_seconds"] / 60, 2), device=rec["device"])
    for split in ("test", "heldout"):
        r = reconstructions(pipe, split, args.n)
        rows.append(row("reconstruction", split, r, psnr_db=round(r["psnr_db"], 2), **common))
        print(rows[-1], file=sys.stderr)
    for g in [] if args.guidance == "none" else [float(x) for x in args.guidance.split(",")]:
        for split in ("test", "heldout"):
            pipe.system.cfg.guidance = g
            r = evaluate(pipe, split, args.n, seed=1, batch_size=50)
            rows.append(row(f"sample (guidance {g:g})", split, r,
                            seconds_per_clip=round(r["seconds_per_clip"], 4), **common))
            print(rows[-1], file=sys.stderr)
    card = torch.cuda.get_device_name() if rec["device"] == "cuda" else "CPU"
    phases = phase_rates(folder.parent / "metrics.jsonl", rec["batch_size"])
    notes = (f"Card: {card}. Parameters: {params:,}. Latent grid (C, T', H', W'): {list(system.grid)}, "
             f"compression {pixels / cells:.0f}x ({pixels} numbers per clip -> {cells}). "
             f"Training: {rec['steps']} steps of {rec['batch_size']} clips, "
             f"{rec['wall_seconds'] / 60:.2f} wall-minutes, {rec['cpu_seconds'] / 60:.2f} CPU-minutes, "
             f"on {rec['device']} (amp {rec['amp']}). Training clips/s: {phases}.")
    name = args.name or f"latent_dit_{args.preset}_{rec['device']}"
    save(name, rows, f"latent-dit {args.preset}: judged reconstructions and samples",
         "python benchmarks/latent_dit.py " + " ".join(sys.argv[1:]), notes)
    if args.copy_to:
        for suffix in (".json", ".md"):
            shutil.copy(RESULTS / f"{name}{suffix}", args.copy_to)


def phase_rates(metrics: Path, batch: int) -> dict:
    """Training clips per second of each stage (autoencoder: rows logging 'recon'; transformer:
    'flow'), from the run's metrics."""
    rows = [json.loads(x) for x in metrics.read_text().splitlines() if x.strip()]
    out = {}
    for stage, key in (("autoencoder", "recon"), ("transformer", "flow")):
        r = [x for x in rows if key in x]
        if len(r) > 1 and r[-1]["wall_seconds"] > r[0]["wall_seconds"]:
            out[stage] = round((r[-1]["step"] - r[0]["step"]) * batch / (r[-1]["wall_seconds"] - r[0]["wall_seconds"]))
    return out


def copy_run(folder: Path, to: Path) -> None:
    """The checkpoint's config and weights in parts, the run's metrics and its last sample grid."""
    copy_weights(folder, to)
    run = folder.parent
    shutil.copy(run / "metrics.jsonl", to)
    grids = sorted((run / "samples").glob("step_*.png"))
    if grids:
        shutil.copy(grids[-1], to / "samples.png")


if __name__ == "__main__":
    main()
