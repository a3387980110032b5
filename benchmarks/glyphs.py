"""Characters moving over a plain background (the footage issue's dataset (a)): glyphs of the
fonts installed on the machine, captioned in several wordings, to check that a model trained on
people's own clips (`--data videos:`) draws the character named, moving as the caption says.

    python benchmarks/glyphs.py build --out runs/glyphs
    tinyt2v train --data videos:runs/glyphs/train/manifest.csv --cpu-minutes 30 --threads 2 \\
        --out runs/glyphs-run
    python benchmarks/glyphs.py measure --checkpoint runs/glyphs-run/checkpoint --per-prompt 25

Eight characters in the 21 DejaVu faces (sans, serif, mono; regular, bold, light, oblique,
condensed) at many sizes, in a colour over another plain colour, move left/right/up/down, grow,
shrink or stand still: "the letter K sliding to the left". One (character, motion) pair per
character is held out of training. The judge (`glyph_judge.py`) reads the character and the
motion from the pixels with code of its own, and is checked on the real clips first.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from glyph_judge import CHARACTERS, MOTIONS, fonts, read_clip, render
from read_back import dataset_parser, measure_readings, read_clips, run, sample_grid, write_clips

SUBJECT_WORDS = {c: [f"the letter {c}", f"a capital {c}", f"a letter {c}"] for c in "BGKRSZ"}
SUBJECT_WORDS |= {"3": ["the digit 3", "a number 3", "a 3"],
                  "&": ["an ampersand", "the ampersand sign", "a sign for and"]}
MOTION_WORDS = {"left": ["moving left", "sliding to the left", "drifting leftwards"],
                "right": ["moving right", "sliding to the right", "drifting rightwards"],
                "up": ["moving up", "sliding upwards", "rising"],
                "down": ["moving down", "sliding downwards", "falling"],
                "grow": ["growing", "getting bigger", "swelling"],
                "shrink": ["shrinking", "getting smaller", "dwindling"],
                "still": ["standing still", "not moving", "staying put"]}
HELDOUT = {("B", "left"), ("G", "grow"), ("K", "up"), ("R", "still"), ("S", "right"),
           ("Z", "shrink"), ("3", "down"), ("&", "left")}
SEED = 11


def caption(subject: str, motion: str, rng: np.random.Generator | None = None) -> str:
    """A wording of the pair: drawn at random with `rng`, else the first of each."""
    pick = (lambda ws: ws[rng.integers(len(ws))]) if rng is not None else (lambda ws: ws[0])
    return f"{pick(SUBJECT_WORDS[subject])} {pick(MOTION_WORDS[motion])}"


def all_pairs():
    return [(s, m) for s in CHARACTERS for m in MOTIONS]


def build(out: Path, per_pair: int) -> None:
    """Training clips of every pair but the held-out ones, and real clips of every pair for
    measuring, each wording drawn at random, with a manifest.csv each."""
    rng = np.random.default_rng(SEED)
    faces = fonts()
    write_clips(out, (("train", [p for p in all_pairs() if p not in HELDOUT], per_pair, ".mp4"),
                      ("real", all_pairs(), 4, ".mp4")), CHARACTERS,
                lambda s, m: (render(s, m, faces, rng), caption(s, m, rng)))


def real_clips(root: Path) -> dict[tuple[str, str], list[np.ndarray]]:
    return read_clips(root / "real", all_pairs(), CHARACTERS)


def measure(args) -> None:
    """The judge on the real clips, then each checkpoint's clips for seen and held-out pairs,
    each prompt in a wording drawn at random."""
    kinds = {"seen": [p for p in all_pairs() if p not in HELDOUT], "held out": sorted(HELDOUT)}
    rng = np.random.default_rng(0)
    prompts = {p: [caption(*p, rng) for _ in range(args.per_prompt)] for p in all_pairs()}
    measure_readings(args, real_clips(Path(args.data)), kinds, read_clip, prompts,
                     "Characters over a plain background: character and motion",
                     "a blob of the right colours: must read no character",
                     f"{args.per_prompt} clips per prompt, each in a wording drawn at random; chance: motion "
                     f"1/{len(MOTIONS)}, character 1/{len(CHARACTERS)}.",
                     values=(("character", CHARACTERS), ("motion", MOTIONS)))


def grid(args) -> None:
    from tinyt2v.pipeline import Pipeline

    pairs = sorted(HELDOUT)[:3] + [p for p in all_pairs() if p not in HELDOUT][::11][:3]
    sample_grid(Pipeline.from_pretrained(args.checkpoint), [caption(*p) for p in pairs],
                [real_clips(Path(args.data))[p][0] for p in pairs], Path(args.out), args.temperature)


def main():
    ap, _, _ = dataset_parser(__doc__.split("\n")[0], "runs/glyphs", per_pair=15, per_prompt=25, save_as="glyphs")
    run(ap, build, measure, grid)


if __name__ == "__main__":
    main()
