"""Shared by the datasets of real clips (footage.py, one_subject.py, objects.py, pairs.py):
writing a dataset's clips and reading them back; a judge's reading of clips, real or generated,
tallied per kind of prompt (seen, held out) and per value; the measure every dataset makes; a
grid of real clips beside a model's; the command line."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from common import command_line, save
from scipy import ndimage

Pair = tuple[str, str]  # (subject, motion)


def blurred(video: np.ndarray) -> np.ndarray:
    """The clip with its structure blurred away (Gaussian, 3 px): its colours and layout stay."""
    return ndimage.gaussian_filter(video.astype(np.float32), (0, 3, 3, 0)).round().astype(np.uint8)


def model_name(pipe) -> str:
    return f"{pipe.config['model']} ({pipe.config['train']['cpu_seconds'] / 60:.0f} CPU-min)"


def read_back(pipe, kinds: dict[str, list[Pair]], given: dict[Pair, list], read: Callable[[np.ndarray], Pair],
              who: str | None = None, temperature: float | None = None,
              values: tuple[tuple[str, object], ...] = (),
              columns: tuple[str, ...] = ("subject", "motion")) -> tuple[list[dict], list[dict]]:
    """Rows (one per kind of pairs: the share of clips whose subject and whose motion `read`
    gets right; a key of more than two parts, each part named in `columns`) and, with `values`
    ((what, names) for subject then motion), one row per value. `given` holds each pair's clips
    when `pipe` is None, else the prompts `pipe` draws (seed 1)."""
    who = who or model_name(pipe)
    rows, right = [], []
    for kind, pairs in kinds.items():
        mine = []
        for pair in pairs:
            clips = given[pair] if pipe is None else pipe.generate(given[pair], seed=1, temperature=temperature)
            mine += [(pair, *(a == b for a, b in zip(read(v), pair))) for v in clips]
        rows.append(dict(model=who, prompts=kind, clips=len(mine),
                         **{name: float(np.mean([r[1 + i] for r in mine])) for i, name in enumerate(columns)}))
        right += mine
    by = []
    for i, (what, names) in enumerate(values):
        for value in names:  # seen and held-out pairs together
            hits = [r[1 + i] for r in right if r[0][i] == value]
            by.append(dict(model=who, of=what, value=value, clips=len(hits), read_right=float(np.mean(hits))))
    return rows, by


def measure_readings(args, real: dict, kinds: dict[str, list], read: Callable, prompts: dict, title: str,
                     blur_label: str, notes: str, values: tuple = (), prompt_kinds: dict | None = None) -> None:
    """The judge on the real clips (`real`: each pair's clips; `kinds`: the pairs of each kind)
    and on the held-out ones blurred (`blur_label`: what must then read no subject), then each
    of args.checkpoint's clips for `prompts` (each pair's; their kinds `prompt_kinds`, else
    `kinds`), saved as args.save_as (and, with `values`, args.save_as_by_value)."""
    from tinyt2v.pipeline import Pipeline

    rows = read_back(None, kinds, real, read, "real clips (the judge's own check)")[0]
    held = kinds["held out"]
    blur = {p: [blurred(v) for v in real[p]] for p in held}
    rows += read_back(None, {"held out": held}, blur, read, f"real clips blurred ({blur_label})")[0]
    by = []
    for checkpoint in args.checkpoint:
        mine, per_value = read_back(Pipeline.from_pretrained(checkpoint), prompt_kinds or kinds, prompts, read,
                                    temperature=args.temperature, values=values)
        rows, by = rows + mine, by + per_value
    save(args.save_as, rows, f"{title}: read back", command_line(),
         notes=f"Checkpoints: {', '.join(args.checkpoint)}; {notes}")
    if by:
        save(f"{args.save_as}_by_value", by, f"{title}: each value read back (seen and held-out prompts "
             "together)", command_line())


def write_clips(out: Path, parts, subjects: str, clip: Callable) -> None:
    """A dataset's clips and a manifest.csv per part: `parts` holds (part, pairs, clips per pair,
    file suffix: ".mp4", or "" for a folder of PNG frames); `clip(subject, motion)` gives one
    clip and its caption. A clip is named SUBJECT-INDEX_MOTION_I, as `read_clips` finds it."""
    from tinyt2v.io import write_text, write_video

    for part, pairs, n, suffix in parts:
        (out / part).mkdir(parents=True, exist_ok=True)
        rows = ["path,text"]
        for subject, motion in pairs:
            for i in range(n):
                name = f"{subjects.index(subject)}_{motion}_{i}{suffix}"
                video, text = clip(subject, motion)
                write_video(out / part / name, video, fps=8)
                rows.append(f'{name},"{text}"')
        write_text(out / part / "manifest.csv", "\n".join(rows) + "\n")
        print(f"{part}: {len(rows) - 1} clips in {out / part}", file=sys.stderr)


def read_clips(folder: Path, pairs: list[Pair], subjects: str) -> dict[Pair, list[np.ndarray]]:
    """Each pair's clips that `write_clips` wrote in `folder`."""
    from tinyt2v.io import read_video

    return {(s, m): [read_video(p) for p in sorted(folder.glob(f"{subjects.index(s)}_{m}_*"))] for s, m in pairs}


def sample_grid(pipe, prompts: list[str], real: list[np.ndarray], out: Path,
                temperature: float | None = None) -> None:
    """A grid (PNG + GIF): under each caption a real clip of it (from a set no model trains on),
    then the model's."""
    from tinyt2v.visuals import save_samples

    made = pipe.generate(prompts, seed=2, temperature=temperature)
    videos = np.stack([v for pair in zip(real, made) for v in pair])
    captions = [f"{c}: {who}" for c in prompts for who in ("real clip", pipe.config["model"])]
    save_samples(out.parent, out.stem, videos, captions=captions)


def dataset_parser(description: str, data: str, per_pair: int, per_prompt: int, save_as: str):
    """The command line a dataset of real clips has: build, measure and grid. Returns the parser,
    its subparsers and the measure subparser, for a dataset's own additions."""
    ap = argparse.ArgumentParser(description=description)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="write the clips and manifests")
    b.add_argument("--out", default=data)
    b.add_argument("--per-pair", type=int, default=per_pair, help="training clips per (subject, motion)")
    m = sub.add_parser("measure", help="score checkpoints trained on the clips")
    m.add_argument("--checkpoint", action="append", default=[], help="repeat to compare models")
    m.add_argument("--data", default=data)
    m.add_argument("--per-prompt", type=int, default=per_prompt)
    m.add_argument("--save-as", default=save_as, help="results/NAME.md and .json")
    g = sub.add_parser("grid", help="real clips beside a model's clips for the same prompts")
    g.add_argument("--checkpoint", required=True)
    g.add_argument("--data", default=data)
    g.add_argument("--out", required=True, help="PNG (a GIF beside it)")
    for parser in (m, g):
        parser.add_argument("--temperature", type=float, help="of the flow models' starting noise "
                            "(default: the model's)")
    return ap, sub, m


def run(ap: argparse.ArgumentParser, build: Callable, measure: Callable, grid: Callable,
        **more: Callable) -> None:
    """Parse a dataset's command line and run its command (build(out, per_pair), measure(args),
    grid(args), or a dataset's own: more[name](args))."""
    args = ap.parse_args()
    {"build": lambda: build(Path(args.out), args.per_pair), "measure": lambda: measure(args),
     "grid": lambda: grid(args), **{name: (lambda f=f: f(args)) for name, f in more.items()}}[args.cmd]()
