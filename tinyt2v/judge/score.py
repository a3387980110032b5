"""Scoring many clips: accuracy per attribute, all-correct accuracy, confusion matrices and
temporal consistency, as one JSON-ready report. Also reads a `tinyt2v data export` folder."""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..world import PromptError, parse_prompt
from .read import Reading

ATTRIBUTES = ("shape", "color", "size", "motion")
UNREADABLE = "unreadable"


def score(pairs: Iterable[tuple[Reading, dict]]) -> dict:
    """Report for (reading, expected label) pairs. An expected attribute that is None (the
    prompt did not say) counts as correct; an unreadable clip is wrong on every attribute."""
    n = 0
    correct = defaultdict(int)
    all_correct = readable = 0
    confusion = {a: defaultdict(lambda: defaultdict(int)) for a in ATTRIBUTES}
    temporal = defaultdict(list)
    starts, speeds = [], defaultdict(list)  # for variety
    for reading, label in pairs:
        n += 1
        readable += reading.readable
        ok_all = True
        for a in ATTRIBUTES:
            want, got = label.get(a), getattr(reading, a) if reading.readable else UNREADABLE
            ok = want is None or got == want
            correct[a] += ok
            ok_all &= ok
            if want is not None:
                confusion[a][want][got] += 1
        all_correct += ok_all
        for k, v in reading.temporal.items():
            temporal[k].append(v)
        if reading.readable and reading.track.get("center"):
            starts.append(reading.track["center"][0])
            if reading.speed and label.get("motion") not in (None, "still"):
                speeds[label["motion"]].append(reading.speed)
    if n == 0:
        raise ValueError("nothing to score: no clips")
    return {
        "n": n,
        "all_correct": all_correct / n,
        "readable": readable / n,
        "accuracy": {a: correct[a] / n for a in ATTRIBUTES},
        "temporal": {k: float(np.mean(v)) for k, v in temporal.items()},
        "confusion": {a: {w: dict(g) for w, g in confusion[a].items()} for a in ATTRIBUTES},
        "variety": variety(starts, speeds),
    }


def variety(starts: list, speeds: dict[str, list]) -> dict:
    """How varied the clips are, for a model that could score well by always drawing the same
    clip: start_px, the spread (std, 64-px pixels, mean of x and y) of where objects start;
    speed_cv, the spread of speeds within a motion (std / mean, averaged over motions)."""
    start = float(np.std(np.array(starts), axis=0).mean()) if len(starts) > 1 else float("nan")
    cvs = [np.std(v) / np.mean(v) for v in speeds.values() if len(v) > 1 and np.mean(v) > 0]
    return {"start_px": start, "speed_cv": float(np.mean(cvs)) if cvs else float("nan")}


def read_manifest(folder: str | Path) -> list[dict]:
    """Rows of FOLDER/manifest.jsonl, with `path` made absolute. Raises ValueError naming the
    line of a malformed row."""
    folder = Path(folder)
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} not found (write one with `tinyt2v data export`)")
    rows = []
    for i, line in enumerate(manifest.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["path"] = str(folder / row["path"])
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{manifest} line {i}: not a JSON object with a 'path' ({e})") from e
        rows.append(row)
    return rows


def read_caption_manifest(folder: str | Path, reword: Callable[[str], str] | None = None) -> list[dict]:
    """Rows of FOLDER/manifest.csv (`path,text,...`, the layout `--data videos:` trains on), with
    `path` made absolute, `where` (its line) and the label the world grammar reads from the
    caption, else from `reword(caption)` (how a model reads it: "crimson" -> red; a ValueError
    from it says why not). A caption read neither way has `label: None` and `why`."""
    folder = Path(folder)
    manifest = folder / "manifest.csv"
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"path", "text"} <= set(rows[0]):
        raise ValueError(f"{manifest}: needs a header with path and text")
    out = []
    for line, row in enumerate(rows, 2):  # line 1: the header
        text = row["text"] or ""
        label, why = None, ""
        try:
            label = parse_prompt(text)
        except PromptError as e:
            why = str(e)
            try:
                label = parse_prompt(reword(text)) if reword else None
            except PromptError:
                pass
            except ValueError as e2:
                why = str(e2)
        out.append(dict(path=str(folder / row["path"]), caption=text, label=label, why=why,
                        where=f"{manifest.name} line {line}"))
    return out


def format_report(report: dict) -> str:
    """A short human summary of a report."""
    acc = report["accuracy"]
    lines = [f"clips: {report['n']}   all correct: {report['all_correct']:.1%}   "
             f"readable: {report['readable']:.1%}",
             "per attribute: " + "  ".join(f"{a} {acc[a]:.1%}" for a in ATTRIBUTES),
             "temporal: " + "  ".join(f"{k} {v:.3f}" for k, v in report["temporal"].items())]
    return "\n".join(lines)
