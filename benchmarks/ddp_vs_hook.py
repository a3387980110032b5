"""torch's DistributedDataParallel against the hand-written gradient hook, on 2 gloo ranks.

    python benchmarks/ddp_vs_hook.py [--steps 60]

Trains latent-flow (a small config, a gradient clip that bites at every step, no random terms
in the loss) three ways: 2 ranks in DDP (what the flow models use), 2 ranks averaging with the
hook after the backward pass (what the seed GANs use), and 1 process on the global batch.
Reports steps/s (median over steps after the first 5) and each run's largest weight difference
from the single process.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import save

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))
# the test's configuration, in which 2 ranks must make the 1-process update (and its batch per rank)
from test_distributed import BATCH, EXACT  # noqa: E402


def worker(mode: str, out: str, steps: int, batch: int) -> None:
    """One rank (or the single process): train, then rank 0 saves weights and step times."""
    import torch

    from tinyt2v import distributed
    from tinyt2v.train import TrainConfig, train

    if mode == "hook":  # the flow models averaged as the seed GANs are
        distributed.data_parallel = lambda system, ctx: None
    times = []
    last = [time.perf_counter()]

    def on_step(step, logs):
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    def on_end(system):
        if torch.distributed.is_initialized() and torch.distributed.get_rank():
            return  # the ranks hold the same weights (tests/test_distributed.py); rank 0 saves
        # parameters only: running statistics are a std over each rank's own clips
        flat = torch.cat([p.detach().float().flatten() for p in system.parameters()])
        torch.save(flat, Path(out) / "weights.pt")
        (Path(out) / "times.json").write_text(json.dumps(times))

    train(TrainConfig(model="latent-flow", out=str(Path(out) / "run"), steps=steps, batch_size=batch,
                      overrides=EXACT, sample_every=None, ckpt_every=None, threads=1, device="cpu",
                      overwrite=True),
          on_step=on_step, on_end=on_end)


def run(mode: str, steps: int, folder: Path) -> tuple[float, Path]:
    folder.mkdir()
    if mode == "single":
        cmd = [sys.executable, __file__, "--worker", mode, str(folder), str(steps), str(2 * BATCH)]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", __file__,
               "--worker", mode, str(folder), str(steps), str(BATCH)]
    subprocess.run(cmd, check=True, cwd=HERE, capture_output=True, text=True)
    times = json.loads((folder / "times.json").read_text())[5:]
    return 1 / statistics.median(times), folder / "weights.pt"


def main():
    if "--worker" in sys.argv:
        i = sys.argv.index("--worker")
        mode, out, steps, batch = sys.argv[i + 1:i + 5]
        return worker(mode, out, int(steps), int(batch))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        results = {m: run(m, args.steps, Path(tmp) / m) for m in ("single", "ddp", "hook")}
        reference = torch.load(results["single"][1])
        rows = [dict(run=m, ranks=1 if m == "single" else 2, steps=args.steps,
                     steps_per_s=round(rate, 2),
                     max_weight_diff_vs_single=float((torch.load(w) - reference).abs().max()))
                for m, (rate, w) in results.items()]
    save("ddp_vs_hook", rows, "DistributedDataParallel vs the gradient hook, 2 gloo ranks (latent-flow, clip biting)",
         "python benchmarks/ddp_vs_hook.py " + " ".join(sys.argv[1:]),
         notes=f"{BATCH} clips per rank, 1 thread per process, on a 2-core CPU: the 2-rank runs "
               "share its 2 cores, so steps/s compares DDP with the hook, not with 1 process.")


if __name__ == "__main__":
    main()
