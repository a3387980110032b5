"""How much of real clips a layered model's layers explain: each clip drawn again from the layers
measured in it (`LayerFlow.layered_copy`: its image of the bank where its first frame lies, the
camera track, its object) and compared with the clip.

    python benchmarks/explained.py --dataset footage=tinyt2v/checkpoints/footage \\
        --dataset glyphs=runs/glyphs-run/checkpoint --dataset objects=runs/objects-run/checkpoint

Each dataset's real clips (runs/NAME/real, which no model trains on; the clips of held-out pairs
among them) with their captions. Reported: the share of the pixels' variance about each clip's
mean colour that the layers explain (1 - residual / variance, per clip: median and the worst
tenth), the pooled share, and PSNR. What they leave is the residual: light, texture the bank
blurred, an object's shape its coverage model does not draw. For a model with a residual layer
(`--set residual=true`), a second row: the layers and the residual layer together.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import torch
from common import command_line, save

BATCH = 16


def clips(folder: Path) -> tuple[list[np.ndarray], list[str]]:
    from tinyt2v.io import read_video

    with open(folder / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [read_video(folder / r["path"]) for r in rows], [r["text"] for r in rows]


def explained(checkpoint: str, folder: Path) -> list[dict]:
    """One row for the layers alone and, for a model with a residual layer, one with it."""
    from tinyt2v.io import to_tensor
    from tinyt2v.pipeline import Pipeline

    model = Pipeline.from_pretrained(checkpoint).system
    videos, captions = clips(folder)
    rows = []
    for residual in (False, True)[:1 + (getattr(model, "residual", None) is not None)]:
        shares, errors, variances = [], [], []
        for i in range(0, len(videos), BATCH):
            real = to_tensor(np.stack(videos[i:i + BATCH]))
            again = model.layered_copy(real, captions[i:i + BATCH], residual=residual)
            error = (again - real).square().flatten(1).sum(1)
            variance = (real - real.mean((1, 3, 4), keepdim=True)).square().flatten(1).sum(1)
            shares += (1 - error / variance).tolist()
            errors += error.tolist()
            variances += variance.tolist()
        pixels = real[0].numel()
        mse = np.sum(errors) / (len(errors) * pixels)
        rows.append(dict(drawn_by="layers and residual" if residual else "layers", clips=len(shares),
                         explained_median=float(np.median(shares)),
                         explained_worst_tenth=float(np.percentile(shares, 10)),
                         explained_pooled=float(1 - np.sum(errors) / np.sum(variances)),
                         psnr_db=float(10 * np.log10(4 / mse))))  # pixels span 2 in [-1, 1]
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", action="append", required=True, help="NAME=CHECKPOINT: runs/NAME/real's clips")
    ap.add_argument("--runs", default="runs", help="where each dataset was built")
    ap.add_argument("--save-as", default="explained")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    rows = []
    for item in args.dataset:
        name, checkpoint = item.split("=", 1)
        for row in explained(checkpoint, Path(args.runs) / name / "real"):
            rows.append(dict(dataset=name, checkpoint=checkpoint, **row))
            print(rows[-1])
    save(args.save_as, rows, "The share of real clips' pixel variance a layered model's layers explain",
         command_line(), notes="Per clip: 1 - (squared error of the clip drawn again from its layers) / "
         "(squared deviation from the clip's mean colour).")


if __name__ == "__main__":
    main()
