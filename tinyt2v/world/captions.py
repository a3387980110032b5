"""Caption grammar: templates and synonyms, and the parser that reads a prompt back.

Two styles: "train" wordings, and "paraphrase" wordings (templates and synonyms) that the
`paraphrase` split uses and the `train` split never shows. The parser knows both.
"""
from __future__ import annotations

import re

import numpy as np

from .attributes import COLORS, MOTIONS, SHAPES, SIZES, SPEEDS

TEMPLATES = {
    "train": (
        "a {size} {color} {shape} {motion}",
        "{size} {color} {shape} {motion}",
        "a {color} {shape}, {size}, {motion}",
        "the {size} {color} {shape} is {motion}",
        "a {size} {shape} in {color} {motion}",
        "{color} {shape} of {size} size {motion}",
    ),
    "paraphrase": (
        "there is a {size} {color} {shape} {motion}",
        "watch the {color} {size} {shape} as it is {motion}",
        "{motion}: one {size} {color} {shape}",
    ),
}

# name -> (train synonyms, paraphrase-only synonyms)
SHAPE_WORDS = {
    "circle": (("circle", "disc"), ("ball", "round dot")),
    "square": (("square", "box"), ("block",)),
    "triangle": (("triangle",), ("three-sided shape",)),
    "diamond": (("diamond", "rhombus"), ("lozenge",)),
    "star": (("star",), ("five-pointed star",)),
    "cross": (("cross", "plus sign"), ("plus shape",)),
}
COLOR_WORDS = {
    "red": (("red",), ("crimson",)),
    "orange": (("orange",), ("tangerine",)),
    "yellow": (("yellow",), ("golden",)),
    "green": (("green",), ("emerald",)),
    "cyan": (("cyan", "turquoise"), ("aqua",)),
    "blue": (("blue",), ("azure",)),
    "purple": (("purple",), ("violet",)),
    "black": (("black",), ("jet-black",)),
}
SIZE_WORDS = {
    "small": (("small", "little"), ("tiny",)),
    "medium": (("medium", "medium-sized"), ("mid-sized",)),
    "large": (("large", "big"), ("huge",)),
}
MOTION_WORDS = {
    "still": (("staying still", "not moving", "standing still"), ("resting in place", "motionless")),
    "up": (("moving up", "going up", "moving upward"), ("rising", "climbing")),
    "down": (("moving down", "going down", "moving downward"), ("falling", "sinking")),
    "left": (("moving left", "going left"), ("sliding to the left", "drifting left")),
    "right": (("moving right", "going right"), ("sliding to the right", "drifting right")),
    "up_left": (("moving up-left", "moving diagonally up-left", "going up and left"),
                ("sliding toward the upper left", "drifting up and to the left")),
    "up_right": (("moving up-right", "moving diagonally up-right", "going up and right"),
                 ("sliding toward the upper right", "drifting up and to the right")),
    "down_left": (("moving down-left", "moving diagonally down-left", "going down and left"),
                  ("sliding toward the lower left", "drifting down and to the left")),
    "down_right": (("moving down-right", "moving diagonally down-right", "going down and right"),
                   ("sliding toward the lower right", "drifting down and to the right")),
    "rotate_cw": (("rotating clockwise", "spinning clockwise"), ("turning clockwise",)),
    "rotate_ccw": (("rotating counter-clockwise", "spinning counter-clockwise",
                    "rotating anticlockwise"), ("turning counterclockwise",)),
    "grow": (("growing", "expanding", "getting bigger"), ("swelling", "enlarging")),
    "shrink": (("shrinking", "getting smaller"), ("contracting", "dwindling")),
    "bounce_vertical": (("bouncing vertically", "bouncing up and down"),
                        ("hopping up and down",)),
    "bounce_horizontal": (("bouncing horizontally", "bouncing left and right"),
                          ("swinging from side to side",)),
    "zigzag_horizontal": (("zigzagging horizontally", "zigzagging sideways"),
                          ("snaking horizontally",)),
    "zigzag_vertical": (("zigzagging vertically",), ("snaking vertically",)),
}
# Speed words are optional; "normal" says nothing.
SPEED_WORDS = {
    "slow": (("slowly",), ("leisurely",)),
    "normal": ((), ()),
    "fast": (("quickly", "fast"), ("rapidly",)),
}
# Words a prompt may carry that name no attribute.
FILLER = frozenset("a an the one is it its as of in there this that which watch size "
                   "shape object video clip and with".split())

assert tuple(SHAPE_WORDS) == SHAPES and tuple(COLOR_WORDS) == tuple(COLORS)
assert tuple(SIZE_WORDS) == tuple(SIZES) and tuple(MOTION_WORDS) == MOTIONS
assert tuple(SPEED_WORDS) == tuple(SPEEDS)

STYLES = ("train", "paraphrase")


def _pick(rng: np.random.Generator, table: dict, name: str, style: str) -> str:
    words = table[name][STYLES.index(style)]
    return words[rng.integers(len(words))]


def make_caption(rng: np.random.Generator, shape: str, color: str, size: str, motion: str,
                 speed: str, style: str = "train") -> str:
    """One caption for a labelled clip, drawn from the grammar of `style`."""
    templates = TEMPLATES[style]
    text = templates[rng.integers(len(templates))]
    motion_text = _pick(rng, MOTION_WORDS, motion, style)
    speed_words = SPEED_WORDS[speed][STYLES.index(style)]
    if speed_words and rng.random() < 0.5:  # half the time the speed is left unsaid
        motion_text = f"{motion_text} {speed_words[rng.integers(len(speed_words))]}"
    text = text.format(shape=_pick(rng, SHAPE_WORDS, shape, style),
                       color=_pick(rng, COLOR_WORDS, color, style),
                       size=_pick(rng, SIZE_WORDS, size, style), motion=motion_text)
    return re.sub(r"\ba (?=[aeiou])", "an ", text)


class PromptError(ValueError):
    """A prompt the world grammar cannot read; `.words` lists the words not understood."""

    def __init__(self, message: str, words: tuple[str, ...] = ()):
        super().__init__(message)
        self.words = words


def _tokens(text: str) -> list[str]:
    # Hyphens and punctuation separate words, so "up-right" and "up right" read alike.
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " ")).split()


def _phrase_table() -> list[tuple[tuple[str, ...], str, str]]:
    rows = []
    for field, table in (("shape", SHAPE_WORDS), ("color", COLOR_WORDS), ("size", SIZE_WORDS),
                         ("motion", MOTION_WORDS), ("speed", SPEED_WORDS)):
        for name, styles in table.items():
            for words in styles:
                rows += [(tuple(_tokens(w)), field, name) for w in words]
    return sorted(rows, key=lambda r: -len(r[0]))  # longest phrase wins


_PHRASES = _phrase_table()


def parse_prompt(text: str) -> dict[str, str | None]:
    """Read a world prompt into a label {shape, color, size, motion, speed}.

    Attributes the prompt does not mention are None. Raises PromptError naming every word it
    did not understand, or the attribute the prompt names twice with different values.
    """
    tokens = _tokens(text)
    label: dict[str, str | None] = dict.fromkeys(("shape", "color", "size", "motion", "speed"))
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, field, name in _PHRASES:
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                if label[field] not in (None, name):
                    raise PromptError(f"the prompt names two {field}s: {label[field]} and {name}")
                label[field] = name
                i += len(phrase)
                break
        else:
            if tokens[i] not in FILLER:
                unknown.append(tokens[i])
            i += 1
    if unknown:
        words = tuple(dict.fromkeys(unknown))
        raise PromptError("words not in the world's vocabulary: " + ", ".join(words), words)
    if not any(label.values()):
        raise PromptError("the prompt names no shape, colour, size or motion")
    return label
