"""The judge's verdict on a generated clip: does what it sees match what the prompt asked?"""
from __future__ import annotations

import numpy as np

from ..world import PromptError, parse_prompt
from .read import Reading, read_clip

ATTRS = ("shape", "color", "size", "motion")


def judge_prompt(frames: np.ndarray, prompt: str, understood: str | None = None
                 ) -> tuple[Reading, bool | None]:
    """Read the clip; the bool says whether every attribute the prompt names was seen (None when
    the prompt is outside the world's grammar, so there is nothing exact to compare with). A
    prompt outside the grammar is compared as the model `understood` it, when that is given."""
    reading = read_clip(frames)
    try:
        want = parse_prompt(prompt)
    except PromptError:
        try:
            want = parse_prompt(understood or "")
        except PromptError:
            return reading, None
    ok = reading.readable and all(want[k] in (None, getattr(reading, k)) for k in ATTRS)
    return reading, bool(ok)


def in_grammar(prompt: str) -> bool:
    """Whether the world grammar reads every word of the prompt."""
    try:
        parse_prompt(prompt)
        return True
    except PromptError:
        return False


def describe_verdict(reading: Reading, ok: bool | None, as_understood: bool = False) -> str:
    """One line; `as_understood` when ok compares with the model's reading of a prompt the
    grammar cannot read whole."""
    prompt = "the prompt as understood" if as_understood else "the prompt"
    tail = {True: f" (matches {prompt})", False: f" (does not match {prompt})", None: ""}[ok]
    return f"the judge sees: {reading.describe()}{tail}"
