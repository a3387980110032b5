"""Rank 0's record of a run: metrics.jsonl, loss.png, sample grids and, when asked, TensorBoard."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import torch

from .io import to_uint8
from .run_state import TrainState
from .visuals import frame_grid, loss_curve, save_samples


def write_samples(out: Path, state: TrainState, prompts: list[str], board) -> None:
    """A grid of the sampling weights' clips for fixed prompts and noise, as PNG + GIF."""
    rng = torch.get_rng_state()  # sampling must not change the training noise
    model = state.sampler
    model.eval()
    videos = to_uint8(model.generate(prompts, torch.Generator().manual_seed(0)))
    model.train()
    torch.set_rng_state(rng)
    save_samples(out / "samples", f"step_{state.step:06d}", videos, captions=prompts)
    if board:
        board.add_image("samples", frame_grid(videos), state.step, dataformats="HWC")


class Metrics:
    """Rank 0's record of a run: metrics.jsonl, loss.png and, when asked, TensorBoard.
    metrics.jsonl is append-only, one JSON line per write; a resume cuts it at the resumed step
    (the rows after it are redone) and drops a torn last line left by a kill mid-write."""

    def __init__(self, out: Path, step: int, tensorboard: bool):
        (out / "samples").mkdir(parents=True, exist_ok=True)
        self.out, self.path = out, out / "metrics.jsonl"
        self.history = _read_history(self.path, step)
        self.board = _tensorboard(out) if tensorboard else None

    def log(self, step: int, wall_seconds: float, logs: dict, report: Callable[[], dict] | None):
        row = dict(step=step, wall_seconds=round(wall_seconds, 2), **logs)
        if report:  # the real-video loader's skip counts
            row.update(report())
        self.history.append(row)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        if self.board:
            for k, v in logs.items():
                self.board.add_scalar(k, v, step)

    def plot(self) -> None:
        if len(self.history) < 2:
            return
        keys = [k for k in self.history[-1] if k not in ("step", "wall_seconds")]
        loss_curve(self.out / "loss.png", [r["step"] for r in self.history],
                   {k: [r.get(k, float("nan")) for r in self.history] for k in keys})

    def close(self) -> None:
        if self.board:
            self.board.close()


def _tensorboard(out: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(str(out / "tensorboard"))


def _read_history(path: Path, upto: int) -> list[dict]:
    """Metrics already logged, cut at the resume step (rows after it are redone). The file is
    appended a line at a time, so a run killed mid-write leaves a torn last line: it is dropped."""
    if not path.exists():
        return []
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    rows = [json.loads(x) for x in lines[:-1]]
    try:
        rows += [json.loads(x) for x in lines[-1:]]
    except json.JSONDecodeError:
        pass
    rows = [r for r in rows if r["step"] <= upto]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, path)
    return rows
