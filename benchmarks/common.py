"""Shared by the benchmarks: print one table and save it as JSON + markdown in results/."""
from __future__ import annotations

import json
import platform
import shutil
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"
PART_BYTES = 15 * 2 ** 20  # a device machine sends back files of at most 16 MiB


def machine() -> dict:
    import os

    return dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count(),
                torch=torch.__version__, threads=torch.get_num_threads(),
                date=time.strftime("%Y-%m-%d"))


def command_line() -> str:
    """How this benchmark was invoked, as a reader would type it from the repository root."""
    import sys

    return " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])


def save(name: str, rows: list[dict], title: str, command: str, notes: str = "") -> None:
    """Print rows as a markdown table and write results/NAME.json and results/NAME.md."""
    RESULTS.mkdir(exist_ok=True)
    cols = list(rows[0])
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    table = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    table += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in rows]
    md = f"# {title}\n\nCommand: `{command}`\n\nMachine: {machine()}\n\n" + "\n".join(table) + "\n"
    if notes:
        md += f"\n{notes}\n"
    print("\n".join(table))
    (RESULTS / f"{name}.md").write_text(md)
    (RESULTS / f"{name}.json").write_text(json.dumps(
        dict(title=title, command=command, machine=machine(), rows=rows, notes=notes), indent=2) + "\n")


def copy_weights(checkpoint: Path, to: Path) -> None:
    """A checkpoint's config.json and its weights in parts of at most PART_BYTES, for a machine
    whose files come back in small pieces; `cat model.safetensors.part*` joins them."""
    to.mkdir(parents=True, exist_ok=True)
    shutil.copy(checkpoint / "config.json", to)
    data = (checkpoint / "model.safetensors").read_bytes()
    for i in range(0, len(data), PART_BYTES):
        (to / f"model.safetensors.part{i // PART_BYTES}").write_bytes(data[i:i + PART_BYTES])


def step_cost(system, video, captions, opts, progress: float, targets, steps: int) -> tuple[float, list[float]]:
    """FLOPs of one training step (torch's FlopCounterMode: matmuls and convolutions, forward +
    backward) and the wall seconds of `steps` more, on one batch."""
    from torch.utils.flop_counter import FlopCounterMode

    from tinyt2v.train import training_step

    with FlopCounterMode(display=False) as counter:
        training_step(system, video, captions, opts, progress, targets)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        training_step(system, video, captions, opts, progress, targets)
        times.append(time.perf_counter() - t)
    return counter.get_total_flops(), times


def train_and_eval(model: str, preset: str, world: str, minutes: list[float], splits: list[str],
                   n: int, out: Path, seed: int = 0, threads: int = 2, device: str = "cpu",
                   amp: str = "none", workers: int = 0) -> list[dict]:
    """Train `model` on `world`, stopping at each cumulative mark in `minutes` (exact resume in
    between), and judge n clips per split at each mark. On the CPU the marks are process CPU
    minutes on `threads` threads, so that other work on the machine does not rob a model; on a GPU
    they are wall minutes of training (GPU-minutes), and the judge samples on the GPU too."""
    from tinyt2v.evaluate import evaluate
    from tinyt2v.pipeline import Pipeline
    from tinyt2v.train import TrainConfig, train

    torch.set_num_threads(threads)
    on_cpu = device == "cpu"
    rows = []
    for m in minutes:
        budget = dict(cpu_minutes=m) if on_cpu else dict(minutes=m)
        ck = train(TrainConfig(model=model, preset=preset, world=world, out=str(out), resume=True,
                               seed=seed, sample_every=None, ckpt_every=None, device=device, amp=amp,
                               workers=workers, **budget))
        pipe = Pipeline.from_pretrained(ck, device)
        record = pipe.config["train"]
        for split in splits:
            rep = evaluate(pipe, split, n, seed=1)
            row = dict(model=model, preset=preset, world=world)
            row |= (dict(cpu_budget=m) if on_cpu else dict(device=device, gpu_budget=m))
            row |= dict(steps=record["steps"], cpu_minutes=round(record["cpu_seconds"] / 60, 1))
            if not on_cpu:  # the GPU's training rate, for the cost table
                row["wall_minutes"] = round(record["wall_seconds"] / 60, 2)
                row["clips_per_s"] = round(record["steps"] * record["batch_size"] / record["wall_seconds"])
            row |= dict(threads=threads, split=split, n=rep["n"], all_correct=rep["all_correct"],
                        shape=rep["accuracy"]["shape"], color=rep["accuracy"]["color"],
                        size=rep["accuracy"]["size"], motion=rep["accuracy"]["motion"])
            if "binding_errors" in rep:  # a scenes report: objects counted and bound
                row |= dict(count=rep["count_correct"], objects_right=rep["per_object"],
                            binding_errors=rep["binding_errors"])
            else:
                row["temporal"] = rep["temporal"].get("overall", float("nan"))
            rows.append(row | dict(sec_per_clip=rep["seconds_per_clip"]))
            print(rows[-1], flush=True)
    return rows
