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


def describe_verdict(reading: Reading, ok: bool | None) -> str:
    tail = {True: " (matches the prompt)", False: " (does not match the prompt)", None: ""}[ok]
    return f"the judge sees: {reading.describe()}{tail}"
