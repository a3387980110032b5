"""Does every training test's bar hold on machines we do not have?

    python benchmarks/training_tests.py [--runs NAME ...] [--conditions K ...] [--jobs 2] [--rows FILE]

Another CPU rounds floats differently (other AVX2 / AVX-512 / AMX kernels), and to a training
run that is no different from another seed. So each run of tests/training_runs.py (the runs
the tests train and judge) is run here under training seeds 0-3 on 1 thread, seed 0 on 2
threads, and seed 0 on 1 thread with ATEN_CPU_CAPABILITY=default (the kernels of a CPU without
AVX). A bar a test asserts must hold in every row, with a margin. Each row is its own process
(the capability is read when torch loads); 1-thread rows run `--jobs` at a time, the 2-thread
rows alone. Each finished row is appended to --rows (a JSON line each) and a row already there
is not run again, so a long measurement can be stopped and continued; the table is made from
every row of that file.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import save

TESTS = Path(__file__).parent.parent / "tests"
# (training seed, threads, ATEN_CPU_CAPABILITY or None for this machine's best)
CONDITIONS = [(0, 1, None), (1, 1, None), (2, 1, None), (3, 1, None), (0, 2, None), (0, 1, "default")]


def one(run: str, seed: int, threads: int) -> None:
    """In a process of its own: one run, its measurement printed as the last line (JSON)."""
    sys.path.insert(0, str(TESTS))
    import torch
    from training_runs import RUNS

    with tempfile.TemporaryDirectory() as tmp:
        t, cpu = time.time(), time.process_time()
        m = RUNS[run](Path(tmp), seed=seed, threads=threads)
    print(json.dumps(dict(value=round(m.value, 4), bar=m.bar, holds=m.holds, margin=round(m.margin, 4),
                          kernels=torch.backends.cpu.get_cpu_capability(),
                          cpu_minutes=round((time.process_time() - cpu) / 60, 1),
                          wall_minutes=round((time.time() - t) / 60, 1))))


def spawn(run: str, seed: int, threads: int, capability: str | None, rows_file: Path) -> dict:
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if capability:
        env["ATEN_CPU_CAPABILITY"] = capability
    r = subprocess.run([sys.executable, __file__, "--one", run, str(seed), str(threads)], env=env,
                       capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{run} seed {seed} threads {threads}: {r.stderr[-2000:]}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=TESTS, capture_output=True,
                            text=True).stdout.strip()
    row = dict(run=run, seed=seed, threads=threads, **json.loads(r.stdout.strip().splitlines()[-1]),
               commit=commit)
    with open(rows_file, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(row, flush=True)
    return row


def key(run: str, seed: int, threads: int, capability: str | None) -> tuple:
    return run, seed, threads, "DEFAULT" if capability else "best"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", help="names in tests/training_runs.py (default: all)")
    ap.add_argument("--jobs", type=int, default=2, help="1-thread rows at once")
    ap.add_argument("--conditions", type=int, nargs="+", help="indices into CONDITIONS (default: all)")
    ap.add_argument("--rows", default="runs/training_tests.rows.jsonl", help="finished rows, kept across runs")
    ap.add_argument("--name", default="training_tests", help="results file name")
    ap.add_argument("--one", nargs=3, metavar=("RUN", "SEED", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one(args.one[0], int(args.one[1]), int(args.one[2]))
    sys.path.insert(0, str(TESTS))
    from training_runs import RUNS

    runs = args.runs or list(RUNS)
    conditions = [CONDITIONS[k] for k in args.conditions] if args.conditions else CONDITIONS
    rows_file = Path(args.rows)
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    done = [json.loads(x) for x in rows_file.read_text().splitlines()] if rows_file.exists() else []
    have = {key(r["run"], r["seed"], r["threads"], r["kernels"] == "DEFAULT" or None) for r in done}
    jobs = [(r, *c) for r in runs for c in conditions if key(r, *c) not in have]
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda j: spawn(*j, rows_file), [j for j in jobs if j[2] == 1]))
    for j in jobs:
        if j[2] > 1:
            spawn(*j, rows_file)
    rows = [json.loads(x) for x in rows_file.read_text().splitlines()]
    order = {key(r, *c): k for k, (r, c) in enumerate((r, c) for r in RUNS for c in CONDITIONS)}
    rows.sort(key=lambda r: order[key(r["run"], r["seed"], r["threads"], r["kernels"] == "DEFAULT" or None)])
    save(args.name, rows, "Training tests under other seeds, threads and kernels",
         "python benchmarks/training_tests.py " + " ".join(sys.argv[1:]),
         notes="commit: the code each row ran. value: what the run measured (all-correct share, or last/first loss for the loss "
               "run, lower is better); margin: how far inside its bar. kernels: the CPU kernel "
               "path torch ran (DEFAULT = ATEN_CPU_CAPABILITY=default).")


if __name__ == "__main__":
    main()
