"""The judge's verdict on a generated clip: does what it sees match what the prompt asked?"""
from __future__ import annotations

import numpy as np

from ..world import PromptError, parse_prompt, travels_anywhere
from ..world.scene_captions import parse_relation, parse_scene
from .read import Reading, read_clip
from .scene import SceneReading, match, read_scene, related

ATTRS = ("shape", "color", "size", "motion")


def judge_prompt(frames: np.ndarray, prompt: str, understood: str | None = None, scene: bool = False
                 ) -> tuple[Reading | SceneReading, bool | None]:
    """Read the clip; the bool says whether every attribute the prompt names was seen (None when
    the prompt is outside the world's grammar, so there is nothing exact to compare with). A
    prompt outside the grammar is compared as the model `understood` it, when that is given.
    scene: the clip may hold several objects (a scenes model drew it): read each, and match
    them one to one with the prompt's."""
    if scene:
        return _judge_scene(frames, prompt, understood)
    reading = read_clip(frames)
    for text in (prompt, understood or ""):
        try:
            want = parse_prompt(text)
            break
        except PromptError:
            continue
    else:
        return reading, None
    ok = reading.readable and all(want[k] in (None, getattr(reading, k)) for k in ATTRS)
    if travels_anywhere(text):  # "moving" without a direction: any motion but still
        ok = ok and reading.motion != "still"
    return reading, bool(ok)


def _judge_scene(frames, prompt, understood):
    reading = read_scene(frames)
    for text in (prompt, understood or ""):
        try:
            objects = [label for label, count in parse_scene(text) for _ in range(count)]
            relation = parse_relation(text)
        except PromptError:
            continue
        if objects:  # an empty text reads as no object: nothing to compare with
            break
    else:
        return reading, None
    if not reading.readable or len(reading.objects) != len(objects):
        return reading, False
    matched = match(reading, objects)
    ok = all(r is not None and r.readable and all(o[k] in (None, getattr(r, k)) for k in ATTRS)
             for o, r in matched)
    return reading, bool(ok and (relation is None or related(relation, reading, matched)))


def in_grammar(prompt: str, scene: bool = False) -> bool:
    """Whether the world grammar (of scenes, when `scene`) reads every word of the prompt."""
    try:
        parse_scene(prompt) if scene else parse_prompt(prompt)
        return True
    except PromptError:
        return False


def describe_verdict(reading: Reading | SceneReading, ok: bool | None, as_understood: bool = False) -> str:
    """One line; `as_understood` when ok compares with the model's reading of a prompt the
    grammar cannot read whole."""
    prompt = "the prompt as understood" if as_understood else "the prompt"
    tail = {True: f" (matches {prompt})", False: f" (does not match {prompt})", None: ""}[ok]
    return f"the judge sees: {reading.describe()}{tail}"
