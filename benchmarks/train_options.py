"""What the training options cost and save, per model: seconds per step and the activation
memory autograd keeps for the backward pass, for plain steps, gradient accumulation,
gradient checkpointing, torch.compile (inductor) and bf16 autocast.

    python benchmarks/train_options.py [--models sprite-flow:large,latent-flow:large] [--batch 16]

Activation memory is the bytes of the tensors autograd saves during one forward (for
accumulation: one micro-batch), counted with torch.autograd.graph.saved_tensors_hooks; it is
what grows with the batch and what these options cut. Not measured under compile (the hooks
do not see inside compiled graphs).
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import statistics
import time

import torch
from common import save

from tinyt2v.io import to_tensor
from tinyt2v.models import build_model, model_config
from tinyt2v.run_state import shaped_by, targets_of
from tinyt2v.text import Vocab
from tinyt2v.world import training_words
from tinyt2v.train import training_step
from tinyt2v.world import clip_batch, get_world

OPTIONS = ("plain", "grad_accum=4", "grad_checkpoint", "compile", "bf16")


def saved_mb(system, video, captions, targets) -> float:
    total = [0]
    weights = {p.data_ptr() for p in system.parameters()}

    def pack(t):  # parameters are saved by reference: they cost nothing extra
        if t.data_ptr() not in weights:
            total[0] += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss, _ = system.losses(video, captions, 0.0, targets)
    loss.backward()
    system.zero_grad(set_to_none=True)
    return total[0] / 2 ** 20


def measure(name: str, preset: str, option: str, batch, steps: int) -> dict:
    world = get_world("default")
    torch.manual_seed(0)
    cfg = model_config(name, preset, **shaped_by(world, name))
    system = build_model(name, cfg, Vocab(training_words(world))).train()
    targets = targets_of(batch, name, cfg, world)
    opts = system.optimizers()
    video = to_tensor(batch.video)
    accumulate = 4 if option == "grad_accum=4" else 1
    if option == "grad_checkpoint":
        system.set_gradient_checkpointing(True)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if option == "bf16" else contextlib.nullcontext()
    micro = len(video) // accumulate
    memory = float("nan")
    if option != "compile":
        with autocast:
            memory = saved_mb(copy.deepcopy(system), video[:micro], batch.captions[:micro],
                              targets and {k: t[:micro] for k, t in targets.items()})
    t0 = time.perf_counter()
    if option == "compile":
        system.compile(backend="inductor")
    with autocast:  # the first step compiles (when asked) and warms up
        training_step(system, video, batch.captions, opts, 0.0, targets, accumulate=accumulate)
    first = time.perf_counter() - t0
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        with autocast:
            training_step(system, video, batch.captions, opts, 0.0, targets, accumulate=accumulate)
        times.append(time.perf_counter() - t)
    return dict(model=f"{name}:{preset}", option=option, batch=len(video),
                sec_per_step=statistics.median(times), first_step_sec=first,
                activation_mb=memory)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", default="sprite-flow:large,latent-flow:large")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--options", default=",".join(OPTIONS))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    batch = clip_batch(get_world("default"), "train", args.batch, seed=0)
    rows = []
    for spec in args.models.split(","):
        name, preset = spec.split(":")
        base = None
        for option in args.options.split(","):
            row = measure(name, preset, option, batch, args.steps)
            base = base or row
            row["time_vs_plain"] = row["sec_per_step"] / base["sec_per_step"]
            row["memory_vs_plain"] = row["activation_mb"] / base["activation_mb"]
            rows.append(row)
            print(row, flush=True)
    save("train_options", rows, "Training options: time per step and activation memory",
         f"python benchmarks/train_options.py --models {args.models} --batch {args.batch} "
         f"--steps {args.steps} --threads {args.threads}",
         notes="CPU only (no GPU was lent): bf16 autocast on CPU is emulated and slow, and "
               "inductor's CPU kernels are not what it does on a GPU; the memory columns carry "
               "over, the time columns for compile and bf16 do not.")


if __name__ == "__main__":
    main()
