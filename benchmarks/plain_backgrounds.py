"""What layer-flow reads off each dataset's clips before a run starts (`ModelSpec.from_clips`):
per dataset, how far the border of a clip's first frame strays from its median colour
(`layer_flow.border_spread`, in [-1, 1] units; `layer_flow.PLAIN` is the line), the share of a
clip its background seen through the camera leaves unexplained (`camera.unexplained`;
`layer_flow.MOVING` is the line), how many things in colours of their own a first frame shows
over a plain colour (`bound_objects.colours_apart`), and the settings a new run takes (clip_colour
on for plain backgrounds, with an object layer per thing where they show several; an object
layer over a picture something moves over).

    python benchmarks/plain_backgrounds.py --data runs/handwriting/train/manifest.csv \\
        --data runs/glyphs/train/manifest.csv --data runs/footage/train/manifest.csv \\
        --data runs/objects/train/manifest.csv --data runs/pairs/train/manifest.csv
"""
from __future__ import annotations

import argparse

import numpy as np
from common import command_line, save

from tinyt2v.models.bound_objects import colours_apart
from tinyt2v.models.camera import background_camera, light_change, unexplained
from tinyt2v.models.layer_flow import (
    MOVING,
    PLAIN,
    LayerFlowConfig,
    border_colour,
    border_spread,
    settings_from_clips,
)
from tinyt2v.run_state import SURVEYED, first_clips
from tinyt2v.train_config import TrainConfig
from tinyt2v.world import get_world


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", action="append", default=[], help="a dataset (videos:PATH without the "
                    "videos:), repeatable; the procedural world is always measured")
    args = ap.parse_args()
    rows = []
    for data in [None] + args.data:
        cfg = TrainConfig(model="layer-flow", steps=1, data=f"videos:{data}" if data else None)
        clips = first_clips(cfg, get_world(cfg.world))
        spread = border_spread(clips).numpy()
        camera = background_camera(clips, light=True)  # as a new run over a picture reads it
        left = unexplained(clips, camera, light=True).numpy()
        lit = light_change(clips, camera).numpy()
        things = colours_apart(clips, border_colour(clips[:, 0])).numpy()
        rows.append(dict(data=data or "the world (default)", clips=len(spread), plain=float((spread < PLAIN).mean()),
                         spread_p10=float(np.percentile(spread, 10)), spread_median=float(np.median(spread)),
                         spread_p90=float(np.percentile(spread, 90)), unexplained_median=float(np.median(left)),
                         light_change_median=float(np.median(lit)),
                         things_median=float(np.median(things)),
                         **settings_from_clips(clips, LayerFlowConfig())))
    save("plain_backgrounds", rows, "What a new layer-flow run reads off its clips", command_line(),
         notes=f"The first {SURVEYED} clips of each dataset in a run's order (seed 0); a clip is plain "
               f"when its spread is under PLAIN = {PLAIN}; clip_colour is on when the median clip's is, and "
               f"an object layer where it is not and the median clip leaves over MOVING = {MOVING} unexplained; "
               f"things_median: the median clip's things in colours of their own (read for every clip, used "
               f"over a plain colour only), an object layer each where it is over one.")


if __name__ == "__main__":
    main()
