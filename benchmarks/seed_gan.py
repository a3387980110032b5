"""The baselines every later model is compared with: `seed-gan` (the tutorial as written) and
`seed-cgan` (the smallest fix that makes it conditional), judged after 5, 15 and 60 CPU-minutes of
training (process CPU time, 2 threads), on `test` and on the tutorial's own test "circle moving up-right"
(the seed world's held-out split).

    python benchmarks/seed_gan.py [--minutes 5,15,60] [--world seed] [--n 200]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common import save, train_and_eval


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", default="5,15,60", help="cumulative CPU-minutes of training to judge at")
    ap.add_argument("--world", default="seed", help="seed (the tutorial's world) or default")
    ap.add_argument("--n", type=int, default=200, help="clips judged per split")
    ap.add_argument("--out", default="runs/bench-seed-gan-cpu")
    args = ap.parse_args()
    minutes = [float(m) for m in args.minutes.split(",")]
    preset = "seed" if args.world == "seed" else "default"
    rows = []
    for model in ("seed-gan", "seed-cgan"):
        rows += train_and_eval(model, preset, args.world, minutes, ["test", "heldout"], args.n,
                               Path(args.out) / f"{model}-{args.world}")
    for r in rows:
        r["split"] = "circle moving up-right" if (r["split"] == "heldout" and args.world == "seed") else r["split"]
    save(f"seed_gan_{args.world}", rows, f"seed-gan vs seed-cgan on the {args.world} world",
         f"python benchmarks/seed_gan.py --minutes {args.minutes} --world {args.world} --n {args.n}")


if __name__ == "__main__":
    main()
