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

from glyph_judge import CHARACTERS, fonts, read_clip, render
from one_subject import MOTION_WORDS, OneSubject

SUBJECT_WORDS = {c: [f"the letter {c}", f"a capital {c}", f"a letter {c}"] for c in "BGKRSZ"}
SUBJECT_WORDS |= {"3": ["the digit 3", "a number 3", "a 3"],
                  "&": ["an ampersand", "the ampersand sign", "a sign for and"]}
HELDOUT = frozenset({("B", "left"), ("G", "grow"), ("K", "up"), ("R", "still"), ("S", "right"),
                     ("Z", "shrink"), ("3", "down"), ("&", "left")})
GLYPHS = OneSubject("glyphs", "Characters over a plain background", "character", CHARACTERS, SUBJECT_WORDS,
                    HELDOUT, seed=11, film=lambda s, m, rng: render(s, m, fonts(), rng), read=read_clip,
                    per_prompt=25)
caption, all_pairs, real_clips = GLYPHS.caption, GLYPHS.pairs, GLYPHS.real_clips  # objects.py, pairs.py, ...
__all__ = ["MOTION_WORDS", "SUBJECT_WORDS", "HELDOUT", "GLYPHS", "caption", "all_pairs", "real_clips"]

if __name__ == "__main__":
    GLYPHS.main(__doc__.split("\n")[0])
