"""How reliably latent-flow learns the overfit test's 8 prompts, per seed and text encoder.

    python benchmarks/latent_overfit_seeds.py [--seeds 0 1 2 3] [--text mean gru] [--jobs 2]

The test (tests/test_latent_flow.py) trains one seed; a result that swings with the seed or
with float rounding would make it a coin toss, so this runs the same training for several
seeds, one thread per run (`--jobs` runs at once), and judges 48 clips of each run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import save

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))


def one(seed: int, text: str) -> dict:
    from conftest import overfit_bar
    from training_runs import CIRCLES, judged_on_own_prompts, threads_set_to, trained

    with tempfile.TemporaryDirectory() as tmp, threads_set_to(1):
        ck = trained(Path(tmp), CIRCLES, "latent-flow", seed, 1, steps=800, batch_size=16,
                     overrides={"freeze_encoder_at": 0.6, "text": text})
        rate = judged_on_own_prompts(ck, CIRCLES, 48)
    row = dict(text=text, seed=seed, all_correct=round(rate, 3), bar=overfit_bar(CIRCLES))
    print(row, flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--text", nargs="+", default=["mean", "gru"])
    ap.add_argument("--jobs", type=int, default=2, help="runs at once, one thread each")
    args = ap.parse_args()
    jobs = [(s, t) for t in args.text for s in args.seeds]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(one, *zip(*jobs)))
    save("latent_overfit_seeds", rows, "latent-flow overfit (tests/test_latent_flow.py) per seed and text encoder",
         "python benchmarks/latent_overfit_seeds.py " + " ".join(sys.argv[1:]),
         notes="800 steps of 16 clips, 1 thread per run; 48 clips of the 8 prompts judged. "
               "bar = halfway from one attribute at chance to all correct.")


if __name__ == "__main__":
    main()
