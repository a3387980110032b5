"""Can an object layer's measurements tell glyphs over photographs apart, with no model in the
way? Each training clip of `objects.py` (dataset (c)) is measured as layer-flow's object layer
measured it while its look was a bank of sprites (before the coverage became a clip of its own),
but against the clip's own stabilised median (`camera.stabilised_median`, seen through each
frame's camera), a sharper background than any canvas a model draws: coverage by
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
import torch.nn.functional as F
from common import command_line, save

from tinyt2v.io import read_video, to_tensor
from tinyt2v.models.camera import measure_camera, stabilised_median, view_through
from tinyt2v.models.object_layer import differs
from tinyt2v.models.sprites import sprite_extent
from tinyt2v.models.tracks import track_of

SPRITE = 32        # the sprite bank's sprite side (px at scale 1) ...
REF_RADIUS = 8.0   # ... and the equal-area radius it drew its object at


def cut_out(frames: torch.Tensor, alpha: torch.Tensor, pose: torch.Tensor, side: int, extent: float) -> torch.Tensor:
    """Each frame's object (frames (B, 3, H, W), coverage (B, H, W)) at pose (B, 4) as a sprite
    (B, 4, side, side): premultiplied RGB and alpha in the sprite's frame (centred, upright, at
    scale 1), as `sprites.warp` would put it back."""
    scale = pose[:, 2].clamp(-2, 2).exp() * extent
    cos, sin = torch.cos(pose[:, 3]) * scale, torch.sin(pose[:, 3]) * scale
    # sprite point q -> frame point centre + scale R(angle) q: warp's inverse
    theta = torch.stack([torch.stack([cos, -sin, pose[:, 0]], -1), torch.stack([sin, cos, pose[:, 1]], -1)], 1)
    grid = F.affine_grid(theta, (frames.shape[0], 4, side, side), align_corners=False)
    layer = torch.cat([frames * alpha[:, None], alpha[:, None]], 1)
    return F.grid_sample(layer, grid, align_corners=False, padding_mode="zeros")


def likeness(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Correlation (N, K) of the alphas of sprites a (N, 4, S, S) and b (K, 4, S, S): both in the
    sprite's frame, so no search is needed."""
    za, zb = (x[:, 3].flatten(1) - x[:, 3].flatten(1).mean(1, keepdim=True) for x in (a, b))
    return F.normalize(za, dim=1) @ F.normalize(zb, dim=1).T


def measured(video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips (B, T, 3, H, W) -> their first frames' cut-outs (B, 4, S, S) and coverage (B, T, H, W)."""
    b, t, _, h, w = video.shape
    camera = measure_camera(video)
    median = stabilised_median(video, camera).repeat_interleave(t, 0)
    background = view_through(median, camera.reshape(b * t, 3), (h, w)).view_as(video)
    alpha = differs(video, background)
    pose = track_of(alpha, REF_RADIUS)[:, 0]
    return cut_out(video[:, 0], alpha[:, 0], pose, SPRITE, sprite_extent(SPRITE, w)), alpha


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
