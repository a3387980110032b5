"""How fast the world streams clips, and that memory stays flat as the stream grows.

    python benchmarks/world_throughput.py [--n 20000]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time

from common import save

from tinyt2v.world import clips, get_world


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20000, help="clips per timing")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    world = get_world("default")
    rows = []
    for workers in (1, 2):
        for batch in (64, 256):
            rates, peaks = [], []
            for r in range(args.repeats):
                t = time.perf_counter()
                for _ in clips(world, "train", args.n, seed=r, batch_size=batch, workers=workers):
                    pass
                rates.append(args.n / (time.perf_counter() - t))
                peaks.append(rss_mb())
            rows.append(dict(workers=workers, batch=batch, clips=args.n,
                             clips_per_s=statistics.median(rates), peak_rss_mb=max(peaks)))
    # Flat memory: the peak after streaming 10x more clips is the same.
    before = rss_mb()
    for _ in clips(world, "train", 10 * args.n, seed=9, batch_size=256, workers=2):
        pass
    rows.append(dict(workers=2, batch=256, clips=10 * args.n, clips_per_s=float("nan"),
                     peak_rss_mb=rss_mb()))
    save("world_throughput", rows, "World clips per second (16x64x64, default preset)",
         f"python benchmarks/world_throughput.py --n {args.n} --repeats {args.repeats}",
         notes=f"Peak RSS before the 10x stream: {before:.0f} MB; after: {rss_mb():.0f} MB. "
               "Medians of the repeats.")


if __name__ == "__main__":
    main()
