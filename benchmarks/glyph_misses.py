"""Why a checkpoint's glyph clips miss their character: each clip of the seen prompts of
glyphs.py read by the glyph judge's own functions, and a miss put down to the first of its two
judged frames (first, last) that is not read as the prompt's character:
- empty: no ink (the frame shows a part of its image with no glyph in it);
- at the edge: ink over half within 2 px of the frame's border (a glyph cut by the frame);
- no character: correlates with none at SHOWN;
- too soft: correlates, but its edges are not SHARP;
- another character: read, but not the prompt's.

    python benchmarks/glyph_misses.py --checkpoint CKPT [--seeds 3] [--temperature T] [--save-as NAME]
"""
from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import torch
from common import command_line, save
from glyph_judge import SHARP, SHOWN, ink_of, read_character, sharpness
from glyphs import GLYPHS, caption

from tinyt2v.pipeline import Pipeline

KINDS = ("right", "empty", "at the edge", "no character", "too soft", "another character")


def miss(frame: np.ndarray, character: str) -> str:
    """What keeps a frame (H, W, 3) uint8 from reading as `character` ("right": nothing)."""
    ink = ink_of(frame)  # as the judge reads it (`read_clip`)
    read, corr = read_character(ink)
    if read == character:
        return "right"
    inked = ink > 0.5
    if inked.sum() < 4:
        return "empty"
    if inked[:2].any() or inked[-2:].any() or inked[:, :2].any() or inked[:, -2:].any():
        return "at the edge"
    if read is not None:
        return "another character"
    return "no character" if corr < SHOWN else "too soft" if sharpness(ink) < SHARP else "another character"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--temperature", type=float, default=None, help="the priors' starting noise (None: the model's)")
    ap.add_argument("--save-as", default="glyphs_misses")
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.from_pretrained(args.checkpoint)
    rng = np.random.default_rng(0)
    pairs = GLYPHS.kinds()["seen"]
    kinds = Counter()
    for seed in range(args.seeds):
        clips = pipe.generate([caption(*p, rng) for p in pairs], seed=seed, temperature=args.temperature)
        for (character, _), clip in zip(pairs, clips):
            verdicts = [miss(frame, character) for frame in (clip[0], clip[-1])]
            kinds[next((v for v in verdicts if v != "right"), "right")] += 1
    n = sum(kinds.values())
    save(args.save_as, [dict(kind=k, clips=kinds[k], share=kinds[k] / n) for k in KINDS],
         "Glyphs over a plain colour: why a clip misses its character", command_line(),
         f"Checkpoint {args.checkpoint}, temperature {'its own' if args.temperature is None else args.temperature}; "
         f"{len(pairs)} seen prompts x {args.seeds} seeds, each in a wording "
         f"drawn at random; a miss is put down to the first judged frame (first, last) not read right.")


if __name__ == "__main__":
    main()
