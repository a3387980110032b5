"""Judge accuracy on every split, clean, degraded (noise sigma 0.1 + 3x3 blur) and through
MP4, plus the tutorial's empty-frame bug, so the judge's bars are measured, not assumed; and
the same for scenes (several objects per clip) in a table of their own.

    python benchmarks/judge_accuracy.py [--n 2000] [--scenes-n 500] [--only one|scenes]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import save

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from conftest import degrade  # noqa: E402  the same degradation the tests use

from tinyt2v.io import read_video, write_video  # noqa: E402
from tinyt2v.judge import read_clip, score  # noqa: E402
from tinyt2v.judge.scene import read_scene, score_scenes  # noqa: E402
from tinyt2v.world import SPLITS, clips, get_world  # noqa: E402
from tinyt2v.world.splits import SCENE_SPLITS  # noqa: E402


def run(world, split, n, transform, seed=0):
    pairs, t = [], time.perf_counter()
    for batch in clips(world, split, n, seed=seed, batch_size=256):
        pairs += [(read_clip(transform(v)), lab) for v, lab in zip(batch.video, batch.labels)]
    rep = score(pairs)
    return rep, (time.perf_counter() - t) / n


def via_mp4(video):
    with tempfile.TemporaryDirectory() as d:
        return read_video(write_video(Path(d) / "c.mp4", video))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--scenes-n", type=int, default=500, help="scenes per split and condition (MP4: a quarter)")
    ap.add_argument("--only", choices=("one", "scenes"), help="measure one kind of world only")
    args = ap.parse_args()
    if args.only != "one":
        scenes(args.scenes_n)
    if args.only != "scenes":
        one_object(args.n)


CONDITIONS = (("clean", lambda v: v, 1), ("noise0.1+blur3", degrade, 1), ("mp4", via_mp4, 4))


def scenes(n: int) -> None:
    world, rows = get_world("scenes"), []
    for split in SCENE_SPLITS:
        for cond, fn, share in CONDITIONS:
            pairs, t = [], time.perf_counter()
            for batch in clips(world, split, n // share, seed=0, batch_size=256):
                pairs += [(read_scene(fn(v)), lab) for v, lab in zip(batch.video, batch.labels)]
            rep = score_scenes(pairs)
            rows.append(dict(world="scenes", split=split, condition=cond, n=rep["n"],
                             all_correct=rep["all_correct"], count_correct=rep["count_correct"],
                             per_object=rep["per_object"], **rep["accuracy"],
                             binding_errors=rep["binding_errors"],
                             ms_per_clip=1000 * (time.perf_counter() - t) / rep["n"]))
            print(rows[-1], flush=True)
    save("judge_accuracy_scenes", rows, "Judge accuracy on scenes (1-3 objects per clip)",
         f"python benchmarks/judge_accuracy.py --only scenes --scenes-n {n}")


def one_object(n_clips: int) -> None:
    rows = []
    for world_name in ("default", "seed"):
        world = get_world(world_name)
        splits = SPLITS if world_name == "default" else ("train", "heldout")
        for split in splits:
            for cond, fn, share in CONDITIONS:
                n = n_clips // share
                if world_name == "seed" and cond == "mp4":
                    continue
                rep, sec = run(world, split, n, fn)
                rows.append(dict(world=world_name, split=split, condition=cond, n=rep["n"],
                                 all_correct=rep["all_correct"], shape=rep["accuracy"]["shape"],
                                 color=rep["accuracy"]["color"], size=rep["accuracy"]["size"],
                                 motion=rep["accuracy"]["motion"],
                                 temporal=rep["temporal"]["overall"], ms_per_clip=1000 * sec))
                print(rows[-1], flush=True)

    def blank_frame(v):
        v = v.copy()
        v[len(v) // 2] = 255
        return v
    rep, sec = run(get_world("seed"), "train", 500, blank_frame)
    rows.append(dict(world="seed", split="train", condition="one empty frame", n=rep["n"],
                     all_correct=rep["all_correct"], shape=rep["accuracy"]["shape"],
                     color=rep["accuracy"]["color"], size=rep["accuracy"]["size"],
                     motion=rep["accuracy"]["motion"], temporal=rep["temporal"]["overall"],
                     ms_per_clip=1000 * sec))
    save("judge_accuracy", rows, "Judge accuracy on world clips",
         f"python benchmarks/judge_accuracy.py --only one --n {n_clips}",
         notes=f"'one empty frame': readable fraction {rep['readable']:.3f} "
               "(the tutorial's bug: the judge must call these unreadable, so all_correct is 0).")


if __name__ == "__main__":
    main()
