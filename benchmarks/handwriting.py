"""Handwritten digits moving over black: what a new user tried first with `--data videos:`, the
people's-own-clips case the layered models must keep while they learn footage.

    python benchmarks/handwriting.py build --out runs/handwriting
    tinyt2v train --data videos:runs/handwriting/train/manifest.csv --cpu-minutes 30 --threads 2 \\
        --out runs/handwriting-run
    python benchmarks/handwriting.py measure --checkpoint runs/handwriting-run/checkpoint

Ten digits, each clip drawn from one of the ~90 scans per digit of scikit-learn's handwritten
digits (their even rows; the judge compares with the odd rows), at 22-30 px high in a light
colour over black, moving as glyphs.py's do: "a handwritten 7 sliding to the left". One
(digit, motion) pair per digit is held out of training. The judge (`handwriting_judge.py`)
reads the digit and the motion from the pixels with code of its own, checked on the real clips
first.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from glyphs import MOTION_WORDS
from handwriting_judge import DIGITS, MOTIONS, read_clip, render
from read_back import dataset_parser, measure_readings, read_clips, run, sample_grid, write_clips

NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SUBJECT_WORDS = {d: [f"a handwritten {d}", f"the digit {d} written by hand", f"a hand-drawn {name}"]
                 for d, name in zip(DIGITS, NAMES)}
HELDOUT = {("0", "left"), ("1", "grow"), ("2", "up"), ("3", "still"), ("4", "right"),
           ("5", "shrink"), ("6", "down"), ("7", "left"), ("8", "grow"), ("9", "up")}
SEED = 17


def caption(subject: str, motion: str, rng: np.random.Generator | None = None) -> str:
    """A wording of the pair: drawn at random with `rng`, else the first of each."""
    pick = (lambda ws: ws[rng.integers(len(ws))]) if rng is not None else (lambda ws: ws[0])
    return f"{pick(SUBJECT_WORDS[subject])} {pick(MOTION_WORDS[motion])}"


def all_pairs():
    return [(s, m) for s in DIGITS for m in MOTIONS]


def build(out: Path, per_pair: int) -> None:
    """Training clips of every pair but the held-out ones, and real clips of every pair for
    measuring, each wording drawn at random, with a manifest.csv each."""
    rng = np.random.default_rng(SEED)
    write_clips(out, (("train", [p for p in all_pairs() if p not in HELDOUT], per_pair, ".mp4"),
                      ("real", all_pairs(), 4, ".mp4")), DIGITS,
                lambda s, m: (render(s, m, rng), caption(s, m, rng)))


def real_clips(root: Path) -> dict[tuple[str, str], list[np.ndarray]]:
    return read_clips(root / "real", all_pairs(), DIGITS)


def measure(args) -> None:
    """The judge on the real clips, then each checkpoint's clips for seen and held-out pairs,
    each prompt in a wording drawn at random."""
    kinds = {"seen": [p for p in all_pairs() if p not in HELDOUT], "held out": sorted(HELDOUT)}
    rng = np.random.default_rng(0)
    prompts = {p: [caption(*p, rng) for _ in range(args.per_prompt)] for p in all_pairs()}
    measure_readings(args, real_clips(Path(args.data)), kinds, read_clip, prompts,
                     "Handwritten digits over black: digit and motion",
                     "a blob of the right colours: must read no digit",
                     f"{args.per_prompt} clips per prompt, each in a wording drawn at random; chance: motion "
                     f"1/{len(MOTIONS)}, digit 1/{len(DIGITS)}.",
                     values=(("digit", DIGITS), ("motion", MOTIONS)))


def grid(args) -> None:
    from tinyt2v.pipeline import Pipeline

    pairs = sorted(HELDOUT)[:3] + [p for p in all_pairs() if p not in HELDOUT][::11][:3]
    sample_grid(Pipeline.from_pretrained(args.checkpoint), [caption(*p) for p in pairs],
                [real_clips(Path(args.data))[p][0] for p in pairs], Path(args.out), args.temperature)


def main():
    ap, _, _ = dataset_parser(__doc__.split("\n")[0], "runs/handwriting", per_pair=15, per_prompt=20,
                              save_as="handwriting")
    run(ap, build, measure, grid)


if __name__ == "__main__":
    main()
