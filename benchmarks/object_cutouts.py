"""Can the object layer's measurements tell glyphs over photographs apart, with no model in the
way? Each training clip of `objects.py` (dataset (c)) is measured as layer-flow's object layer
measures it, but against the clip's own stabilised median (`camera.stabilised_median`, seen
through each frame's camera), a sharper background than any canvas a model draws: coverage by
`object_layer.differs`, pose by `tracks.track_of`, the first frame's cut-out by `cut_out`. A
sprite bank can give one character a sprite only if cut-outs of one character are alike:
reported per motion, the share of clips whose most alike other cut-out (`likeness`) shows the
same character (chance 1/8), and the share of a first frame the coverage holds over half.

    python benchmarks/object_cutouts.py [--data runs/objects] [--every 3]
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import torch
from common import command_line, save

from tinyt2v.io import read_video, to_tensor
from tinyt2v.models.camera import measure_camera, stabilised_median, view_through
from tinyt2v.models.layer_flow import LayerFlowConfig
from tinyt2v.models.object_layer import cut_out, differs, likeness
from tinyt2v.models.sprites import sprite_extent
from tinyt2v.models.tracks import track_of

LAYER_FLOW = LayerFlowConfig()  # its object layer's sprite side and reference radius


def measured(video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips (B, T, 3, H, W) -> their first frames' cut-outs (B, 4, S, S) and coverage (B, T, H, W)."""
    b, t, _, h, w = video.shape
    camera = measure_camera(video)
    median = stabilised_median(video, camera).repeat_interleave(t, 0)
    background = view_through(median, camera.reshape(b * t, 3), (h, w)).view_as(video)
    alpha = differs(video, background)
    pose = track_of(alpha, LAYER_FLOW.ref_radius)[:, 0]
    side = LAYER_FLOW.sprite
    return cut_out(video[:, 0], alpha[:, 0], pose, side, sprite_extent(side, w)), alpha


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="runs/objects", help="objects.py build's folder")
    ap.add_argument("--every", type=int, default=3, help="take every Nth training clip")
    args = ap.parse_args()
    torch.set_num_threads(2)
    folder = Path(args.data) / "train"
    rows = list(csv.DictReader((folder / "manifest.csv").read_text().splitlines()))[::args.every]
    character = [r["path"].split("_")[0] for r in rows]  # objects.py names clips CHARACTER-INDEX_MOTION_I.mp4
    motion = [r["path"].split("_")[1] for r in rows]
    with torch.no_grad():
        cuts, alpha = [], []
        for i in range(0, len(rows), 32):
            video = to_tensor(np.stack([read_video(folder / r["path"]) for r in rows[i:i + 32]]))
            cut, cover = measured(video)
            cuts.append(cut)
            alpha.append((cover[:, 0] > 0.5).float().mean((1, 2)))
        cuts, covered = torch.cat(cuts), torch.cat(alpha)
        alike = likeness(cuts, cuts).fill_diagonal_(-2.0).argmax(1).tolist()
    same = np.array([character[i] == character[j] for i, j in enumerate(alike)])
    out = []
    for m in sorted(set(motion)) + ["all"]:
        idx = [i for i, x in enumerate(motion) if m in (x, "all")]
        out.append({"motion": m, "clips": len(idx), "nearest cut-out same character": round(float(same[idx].mean()), 4),
                    "first frame covered (median)": round(float(covered[idx].median()), 4)})
    save("object_cutouts", out, "Glyphs over photographs: do the object layer's cut-outs tell characters apart?",
         command_line(), notes="Against each clip's own stabilised median; chance 1/8. A glyph covers a few "
                               "percent of a frame.")


if __name__ == "__main__":
    main()
