"""Decoded clips per second of the real-video loader (`--data videos:PATH`) with 0, 1 and 2
worker processes, on MP4 clips written from the world (16 frames, stored at 128x128 so the
loader also resizes to 64x64, as it would for real footage).

    python benchmarks/video_loader.py [--clips 96] [--batches 24] [--workers 0,1,2]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import save

from tinyt2v.data import video_batches
from tinyt2v.io import write_video
from tinyt2v.world import clip_batch, get_world


def make_dataset(root: Path, n: int) -> None:
    batch = clip_batch(get_world("default"), "test", n, seed=0)
    for i, (video, caption) in enumerate(zip(batch.video, batch.captions)):
        big = video.repeat(2, axis=1).repeat(2, axis=2)  # 128x128
        write_video(root / f"clip{i:04d}.mp4", big)
        (root / f"clip{i:04d}.txt").write_text(caption)


def clips_per_second(root: Path, workers: int, batches: int, batch_size: int) -> float:
    stream = video_batches(f"videos:{root}", get_world("default"), batch_size, workers=workers)
    stream.log = lambda msg: None
    next(stream)  # worker start-up is not throughput
    t = time.perf_counter()
    for _ in range(batches):
        assert next(stream).video.shape[1:] == (16, 64, 64, 3)
    return batches * batch_size / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", type=int, default=96)
    ap.add_argument("--batches", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--workers", default="0,1,2")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        make_dataset(Path(tmp), args.clips)
        for w in (int(x) for x in args.workers.split(",")):
            rates = [clips_per_second(Path(tmp), w, args.batches, args.batch_size)
                     for _ in range(args.repeats)]
            rows.append(dict(workers=w, clips_per_s_median=statistics.median(rates),
                             clips_per_s_min=min(rates), clips_per_s_max=max(rates),
                             repeats=args.repeats))
            print(rows[-1], flush=True)
    base = rows[0]["clips_per_s_median"]
    for r in rows:
        r["speedup_vs_first"] = r["clips_per_s_median"] / base
    save("video_loader", rows, "Real-video loader throughput (MP4 128x128 -> 16x64x64)",
         f"python benchmarks/video_loader.py --clips {args.clips} --batches {args.batches} "
         f"--workers {args.workers}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
