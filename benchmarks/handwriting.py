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

from handwriting_judge import DIGITS, read_clip, render
from one_subject import OneSubject

NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SUBJECT_WORDS = {d: [f"a handwritten {d}", f"the digit {d} written by hand", f"a hand-drawn {name}"]
                 for d, name in zip(DIGITS, NAMES)}
HELDOUT = frozenset({("0", "left"), ("1", "grow"), ("2", "up"), ("3", "still"), ("4", "right"),
                     ("5", "shrink"), ("6", "down"), ("7", "left"), ("8", "grow"), ("9", "up")})
HANDWRITING = OneSubject("handwriting", "Handwritten digits over black", "digit", DIGITS, SUBJECT_WORDS, HELDOUT,
                         seed=17, film=render, read=read_clip, per_prompt=20)

if __name__ == "__main__":
    HANDWRITING.main(__doc__.split("\n")[0])
