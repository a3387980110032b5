"""One prepared GPU run (about 7 minutes on one H100/H200): does every model work on CUDA, how
many clips per second reach the training step, how fast each model trains, and what a few
GPU-minutes of training buy, judged.

    python benchmarks/gpu.py                      # on a machine with a GPU
    python benchmarks/gpu.py --device cpu --quick # the same script in seconds, to test it

Sections, each timed and each failure recorded rather than fatal:
1. checks: every registered model trains a step (fp32, bf16 autocast, torch.compile) and samples
   on the device;
2. world: clips/s delivered to the step as float tensors on the device, drawn by numpy on the
   CPU and moved (today's path) or laid out on the CPU and drawn on the device;
3. speed: training clips/s per model at the preset's batch and at its GPU batch, both data paths;
4. quality: sprite-flow `default` and latent-flow `large` trained for --minutes each, judged on
   `test` and `heldout`;
5. compile: every model's step and sample again under torch.compile.
Writes results/gpu_<card>.md and .json (and to --copy-to, for a machine whose files go back).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import time
import traceback
from pathlib import Path

import torch
from common import RESULTS, machine

from tinyt2v.evaluate import evaluate
from tinyt2v.io import to_tensor
from tinyt2v.models import MODELS, build_model, model_config
from tinyt2v.pipeline import Pipeline
from tinyt2v.run_state import shaped_by, targets_of
from tinyt2v.text import Vocab
from tinyt2v.world import training_words
from tinyt2v.train import TrainConfig, train, training_step
from tinyt2v.world import clips, get_world

PRESET = {"latent-flow": "tiny", "sprite-flow": "tiny", "seed-gan": "seed", "seed-cgan": "seed"}
WORLD = {"seed-gan": "seed", "seed-cgan": "seed"}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def build(name: str, preset: str, device):
    world = get_world(WORLD.get(name, "default"))
    cfg = model_config(name, preset, **shaped_by(world, name))
    system = build_model(name, cfg, Vocab(training_words(world))).to(device).train()
    return world, cfg, system


def stream(world, batch: int, device, drawn_on_device: bool, workers: int):
    """Batches of (float video on the device, batch) as the training loop receives them."""
    src = clips(world, "train", None, seed=0, batch_size=batch,
                device=device if drawn_on_device else None,
                workers=workers if drawn_on_device else 1)
    for b in src:
        yield to_tensor(b.video).to(device, non_blocking=True), b


def check(name: str, mode: str, device) -> dict:
    """One training step and one sample of a model on the device; mode fp32 | bf16 | compile.
    A failure is a row saying why, not the end of the section."""
    try:
        return _check(name, mode, device)
    except Exception as e:
        traceback.print_exc()
        return dict(model=name, mode=mode, ok=False, error=f"{type(e).__name__}: {e}"[:200])


def _check(name: str, mode: str, device) -> dict:
    torch.manual_seed(0)
    world, cfg, system = build(name, PRESET[name], device)
    if mode == "compile":
        system.compile()
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if mode == "bf16"
                else contextlib.nullcontext())
    video, batch = next(stream(world, 8, device, device.type == "cuda", 0))
    t = time.perf_counter()
    with autocast:
        logs = training_step(system, video, batch.captions, system.optimizers(), 0.0,
                                 targets_of(batch, name, cfg, world, device))
        out = system.eval().generate(batch.captions[:2], torch.Generator().manual_seed(0))
    sync(device)
    ok = (all(map(lambda v: v == v and abs(v) < 1e6, logs.values())) and out.device.type == device.type
          and out.shape[:2] == (2, cfg.frames) and bool(torch.isfinite(out.float()).all()))
    return dict(model=name, mode=mode, ok=ok, seconds=round(time.perf_counter() - t, 1),
                losses={k: round(v, 4) for k, v in logs.items()})


def world_rate(device, batch: int, drawn_on_device: bool, workers: int, seconds: float) -> dict:
    world = get_world("default")
    it = stream(world, batch, device, drawn_on_device, workers)
    next(it), next(it)  # warm-up (worker start, kernels)
    sync(device)
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        video, _ = next(it)
        n += len(video)
    sync(device)
    return dict(path="device draw" if drawn_on_device else "numpy + copy", batch=batch,
                workers=workers if drawn_on_device else 1,
                clips_per_s=round(n / (time.perf_counter() - t)))


def train_rate(name: str, preset: str, batch: int, device, drawn_on_device: bool, workers: int,
               steps: int, amp: bool) -> dict:
    torch.manual_seed(0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    world, cfg, system = build(name, preset, device)
    opts = system.optimizers()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if amp else contextlib.nullcontext()
    it = stream(world, batch, device, drawn_on_device, workers)
    times = []
    for i in range(steps + 3):  # 3 warm-up steps
        video, b = next(it)
        sync(device)
        t = time.perf_counter()
        with autocast:
            training_step(system, video, b.captions, opts, 0.0, targets_of(b, name, cfg, world, device))
        sync(device)
        if i >= 3:
            times.append(time.perf_counter() - t)
    # the step alone, and the step with its data (the data wait is measured by world_rate)
    step = statistics.median(times)
    mem = torch.cuda.max_memory_allocated() / 2 ** 30 if device.type == "cuda" else float("nan")
    return dict(model=f"{name}:{preset}", batch=batch, amp="bf16" if amp else "fp32",
                data="device draw" if drawn_on_device else "numpy + copy",
                step_ms=round(step * 1000, 1), step_clips_per_s=round(batch / step), gpu_gib=round(mem, 2))


def end_to_end(name: str, preset: str, batch: int, device, drawn_on_device: bool, workers: int,
               seconds: float, amp: bool) -> dict:
    """Training clips/s counting the data path: steps fed by the stream for `seconds`."""
    torch.manual_seed(0)
    world, cfg, system = build(name, preset, device)
    opts = system.optimizers()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if amp else contextlib.nullcontext()
    it = stream(world, batch, device, drawn_on_device, workers)
    for _ in range(3):
        video, b = next(it)
        with autocast:
            training_step(system, video, b.captions, opts, 0.0, targets_of(b, name, cfg, world, device))
    sync(device)
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        video, b = next(it)
        with autocast:
            training_step(system, video, b.captions, opts, 0.0, targets_of(b, name, cfg, world, device))
        n += batch
    sync(device)
    return dict(model=f"{name}:{preset}", batch=batch, amp="bf16" if amp else "fp32",
                data="device draw" if drawn_on_device else "numpy + copy",
                workers=workers if drawn_on_device else 1, clips_per_s=round(n / (time.perf_counter() - t)))


def quality(name: str, preset: str, minutes: float, batch: int, device, workers: int, n: int,
            out: Path) -> list[dict]:
    ck = train(TrainConfig(model=name, preset=preset, out=str(out / f"{name}-{preset}"), minutes=minutes,
                           batch_size=batch, device=str(device), workers=workers, amp="bf16",
                           sample_every=None, ckpt_every=None, log_every=50, overwrite=True))
    pipe = Pipeline.from_pretrained(ck, device=device)
    rec = pipe.config["train"]
    rows = []
    for split in ("test", "heldout"):
        rep = evaluate(pipe, split, n, seed=1, batch_size=64)
        rows.append(dict(model=f"{name}:{preset}", gpu_minutes=minutes, batch=batch, steps=rec["steps"],
                         clips_per_s=round(rec["steps"] * batch / rec["wall_seconds"]), split=split,
                         n=rep["n"], all_correct=rep["all_correct"],
                         **{k: rep["accuracy"][k] for k in ("shape", "color", "size", "motion")}))
        print(rows[-1], flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--minutes", type=float, default=1.0, help="training minutes per judged model")
    ap.add_argument("--workers", type=int, default=min(12, (os.cpu_count() or 2) - 2),
                    help="processes laying out world clips for the device")
    ap.add_argument("--gpu-batch", type=int, default=512, help="a GPU batch size")
    ap.add_argument("--n", type=int, default=200, help="clips judged per split")
    ap.add_argument("--quick", action="store_true", help="tiny budgets: test the script on a CPU")
    ap.add_argument("--copy-to", default=None, help="also copy the results into this folder")
    ap.add_argument("--sections", default="checks,world,speed,quality,compile",
                    help="comma-separated sections to run (a rerun of some keeps the others' rows)")
    args = ap.parse_args()
    device = torch.device(args.device)
    quick = args.quick
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    tag = card.replace("NVIDIA ", "").replace(" ", "_").lower()
    sec, steps, gpu_batch = (1.0, 2, 16) if quick else (5.0, 20, args.gpu_batch)
    if quick:
        args.minutes, args.n, args.workers = 0.1, 16, min(args.workers, 2)
    results = RESULTS / f"gpu_{tag}"
    report = dict(card=card, machine=machine(), command="python " + " ".join(sys.argv), sections={})
    if results.with_suffix(".json").exists():  # keep the sections this run does not redo
        report["sections"] = json.loads(results.with_suffix(".json").read_text())["sections"]
    wanted = args.sections.split(",")

    def section(key, fn):
        if key not in wanted:
            return
        t = time.perf_counter()
        try:
            rows = fn()
        except Exception as e:  # record and go on: the other sections still measure
            traceback.print_exc()
            rows = [dict(error=f"{type(e).__name__}: {e}"[:300])]
        report["sections"][key] = dict(seconds=round(time.perf_counter() - t, 1), rows=rows,
                                       command=report["command"])
        write(report, results, args.copy_to)
        print(f"== {key}: {time.perf_counter() - t:.0f} s", flush=True)

    section("checks", lambda: [check(m, mode, device) for mode in ("fp32", "bf16") for m in MODELS])
    section("world", lambda: [world_rate(device, b, False, 1, sec) for b in (32, gpu_batch)]
            + [world_rate(device, b, True, w, sec) for b in (gpu_batch, 4 * gpu_batch)
               for w in (0, args.workers)])
    section("speed", lambda: [
        *(train_rate(m, p, b, device, True, 0, steps, amp)
          for m, p in (("sprite-flow", "default"), ("latent-flow", "large"), ("latent-flow", "tiny"))
          for b in (32, gpu_batch) for amp in (False, True)),
        *(end_to_end("sprite-flow", "default", b, device, dev, args.workers, sec, amp)
          for b, dev, amp in ((32, False, False), (gpu_batch, True, False), (gpu_batch, True, True),
                              (2 * gpu_batch, True, True)))])
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "tinyt2v_gpu_runs"
    shutil.rmtree(out, ignore_errors=True)
    section("quality", lambda: [*quality("sprite-flow", "default", args.minutes, gpu_batch, device,
                                         args.workers, args.n, out),
                                *quality("latent-flow", "large", args.minutes, gpu_batch, device,
                                         args.workers, args.n, out)])
    # last: compiling every model takes a while, and the sections above matter more
    section("compile", lambda: [check(m, "compile", device) for m in MODELS])


def write(report: dict, results: Path, copy_to: str | None) -> None:
    RESULTS.mkdir(exist_ok=True)
    md = [f"# GPU check and throughput: {report['card']}", "", f"Command: `{report['command']}`", "",
          f"Machine: {report['machine']}", ""]
    for key, sec in report["sections"].items():
        rows = sec["rows"]
        md += [f"## {key} ({sec['seconds']} s)", ""]
        if sec.get("command"):
            md += [f"Run by `{sec['command']}`", ""]
        cols = list(dict.fromkeys(c for r in rows for c in r))
        md += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        md += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows] + [""]
    results.with_suffix(".md").write_text("\n".join(md))
    results.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        for suffix in (".md", ".json"):
            shutil.copy(results.with_suffix(suffix), Path(copy_to) / results.with_suffix(suffix).name)


if __name__ == "__main__":
    main()
