"""Shared by the benchmarks: print one table and save it as JSON + markdown in results/."""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    import os

    return dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count(),
                torch=torch.__version__, threads=torch.get_num_threads(),
                date=time.strftime("%Y-%m-%d"))


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
