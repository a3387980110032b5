"""Does `camera.background_camera` keep the camera still where the clip's camera was still, and
moving where it moved? On glyphs moving over still windows of photographs (`objects.py`,
dataset (c)) the measured global motion follows the glyph wherever the window has little
texture (the rocket's sky); on the footage benchmark (`footage.py`, dataset (b)) the camera
pans and zooms over photographs and no object moves. Per photograph, reported: how far the
measured track has moved the frame's edge by the clip's end (px at 64 px: the shift plus the
zoom's), the share of clips `background_camera` reads as still, the share still moved over
DRIFT px after its choice, and the smallest ratio of what a still camera leaves unexplained to
what the measured motion leaves among clips whose camera moved (`camera.STILL_MARGIN` must stay
below it on the footage).

    python benchmarks/still_camera.py [--objects runs/objects] [--footage runs/footage] [--every 3]
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import torch
from common import command_line, save

from tinyt2v.io import read_video, to_tensor
from tinyt2v.models.camera import STILL_MARGIN, keeps_motion, measure_camera, unexplained

DRIFT = 2.0  # px at 64 px: a frame edge moved past this by the clip's end is a camera that moved
BATCH = 32


def readings(folder: Path, every: int, subject) -> list[tuple[str, float, float, float]]:
    """Per clip: (subject, how far the measured track moved the frame's edge by the end in px,
    unexplained with a still camera, with the measured one)."""
    rows = list(csv.DictReader((folder / "manifest.csv").read_text().splitlines()))[::every]
    out = []
    for i in range(0, len(rows), BATCH):
        video = to_tensor(np.stack([read_video(folder / r["path"]) for r in rows[i:i + BATCH]]))
        camera = measure_camera(video)
        half = video.shape[-1] / 2  # frame units -> px
        moved = (camera[:, -1, :2].norm(dim=1) + (1 - camera[:, -1, 2].exp()).abs()) * half
        still, measured = unexplained(video, torch.zeros_like(camera)), unexplained(video, camera)
        out += [(subject(r), *map(float, x)) for r, *x in zip(rows[i:i + BATCH], moved, still, measured)]
    return out


def row(dataset: str, subject: str, xs: np.ndarray) -> dict:
    edge_moved, unexplained_still, unexplained_measured = (torch.from_numpy(x) for x in xs.T)
    reads_still = ~keeps_motion(unexplained_still, unexplained_measured)
    moving = edge_moved > DRIFT
    ratio = unexplained_still / unexplained_measured.clamp(min=1e-9)
    return {"dataset": dataset, "subject": subject, "clips": len(xs),
            "measured edge moved, median px": round(float(np.median(xs[:, 0])), 2),
            f"measured > {DRIFT:g} px": round(float(moving.double().mean()), 3),
            "read as still": round(float(reads_still.double().mean()), 3),
            f"> {DRIFT:g} px after the choice": round(float((moving & ~reads_still).double().mean()), 3),
            "still / measured unexplained, least where moved": round(float(ratio[moving].min()), 2)
            if moving.any() else "-"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", default="runs/objects", help="objects.py build's folder")
    ap.add_argument("--footage", default="runs/footage", help="footage.py build's folder")
    ap.add_argument("--every", type=int, default=3, help="take every Nth training clip")
    args = ap.parse_args()
    torch.set_num_threads(2)
    out = []
    for dataset, folder, subject in (
            ("objects (c)", Path(args.objects) / "train", lambda r: r["text"].rsplit(" over ", 1)[1]),
            ("footage (b)", Path(args.footage) / "train", lambda r: r["path"].split("_")[0])):
        got = readings(folder, args.every, subject)
        for s in sorted({g[0] for g in got}):
            out.append(row(dataset, s, np.array([g[1:] for g in got if g[0] == s])))
        out.append(row(dataset, "all", np.array([g[1:] for g in got])))
    save("still_camera", out, "A still camera or the measured motion: which background_camera keeps",
         command_line(), notes=f"STILL_MARGIN = {STILL_MARGIN}. The clips of (c) were filmed with a still "
                               "camera; most of (b)'s move (some are still).")


if __name__ == "__main__":
    main()
