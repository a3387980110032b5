"""Caption grammar: how clips are worded, and the parser that reads a prompt back.

Three styles:
- "train": what the training split says. A caption is a frame ("{np} is {mp}") around an object
  phrase (size, colour, shape in several orders) and a motion phrase (a verb and a direction
  phrase, "heading down and to the left", or a fixed phrase, "spinning clockwise"), with an
  optional speed adverb, optional articles, casing and punctuation.
- "freeform": the `freeform` split. The same words, in frames, object orders and adverb places
  that training never uses: it measures new phrasing of known words.
- "plain": one wording per value ("a large red circle moving up-left"), the first train
  synonym of each; a world that trains on it (`WorldConfig.captions`) is a toy to overfit.
- "paraphrase": the `paraphrase` split. Its own templates and synonyms, whose content words never
  occur in training (a test checks it): it measures words never seen. Grammar words (articles,
  prepositions: FUNCTION_WORDS) are shared, since no one can write English without them.

The parser knows all three and reads direction words compositionally, so "up and to the left",
"to the top left corner" and "northwest" all read as up_left.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np

from .attributes import COLORS, DIRECTIONS, MOTIONS, SHAPES, SIZES, SPEEDS

STYLES = ("train", "freeform", "paraphrase", "plain")
FUNCTION_WORDS = frozenset("a an the and to toward towards from of in into it is its as".split())


def _word_table(kind: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """name -> (synonyms of train and freeform, paraphrase-only synonyms), from words.toml."""
    return {name: (tuple(w["train"]), tuple(w["paraphrase"])) for name, w in _WORDS[kind].items()}


_WORDS = tomllib.loads((Path(__file__).parent / "words.toml").read_text(encoding="utf-8"))
SHAPE_WORDS, COLOR_WORDS, SIZE_WORDS = _word_table("shape"), _word_table("color"), _word_table("size")
MOTION_WORDS = _word_table("motion")  # motions that are not a straight path: fixed phrases, own verbs
SPEED_WORDS = _word_table("speed")    # optional; "normal" says nothing

# A verb's -ing form, for frames that need one ("is moving", not "is moves").
ING = {"moves": "moving", "goes": "going", "travels": "travelling", "heads": "heading",
       "floats": "floating", "flies": "flying", "glides": "gliding", "rolls": "rolling",
       "spins": "spinning", "zigzags": "zigzagging"}
BARE_FRAMES = ("{np} {mp}", "{np}, {mp}")  # the frames where "moves" reads as well as "moving"
# Straight paths: a verb, then a direction phrase built from these words.
VERBS = ("moving", "moves", "going", "goes", "travelling", "traveling", "travels", "heading",
         "heads", "floating", "floats", "flying", "flies", "gliding", "glides", "rolling", "rolls")
DIRECTION_WORDS = {  # each straight direction's words; the first is the plain one
    "up": ("up", "upward", "upwards", "north"),
    "down": ("down", "downward", "downwards", "south"),
    "left": ("left", "leftward", "leftwards", "west"),
    "right": ("right", "rightward", "rightwards", "east"),
}
EDGES = {"up": "top", "down": "bottom", "left": "left", "right": "right"}
PARAPHRASE_PATHS = {  # the paraphrase split's straight paths, verb and all
    "up": ("rising", "climbing"), "down": ("falling", "sinking"),
    "left": ("sliding to the left", "drifting left"),
    "right": ("sliding to the right", "drifting right"),
    "up_left": ("sliding toward the upper left", "drifting up and to the left"),
    "up_right": ("sliding toward the upper right", "drifting up and to the right"),
    "down_left": ("sliding toward the lower left", "drifting down and to the left"),
    "down_right": ("sliding toward the lower right", "drifting down and to the right"),
}
# Whole-caption frames, object phrases and motion phrases of each style. {det} is an optional
# article; freeform's are the ones training never uses.
FRAMES = {
    "train": ("{np} {mp}", "{np} is {mp}", "{np} that is {mp}", "{np}, {mp}", "{mp} is {np}",
              "a video of {np} {mp}", "a clip of {np} {mp}", "it is {np} {mp}"),
    "freeform": ("{mp}, {np}", "{np}, it is {mp}", "a clip of {np} that is {mp}"),
    "paraphrase": ("there is a {size} {color} {shape} {mp}",
                   "watch the {color} {size} {shape} as it is {mp}", "{mp}: one {size} {color} {shape}"),
    "plain": ("{np} {mp}",),
}
OBJECTS = {
    "train": ("{det}{size} {color} {shape}", "{det}{color} {size} {shape}",
              "{det}{size} {shape} in {color}", "{det}{color} {shape} of {size} size",
              "{det}{color} {shape}, {size},"),
    "freeform": ("{det}{shape} in {color} of {size} size", "{det}{size} {shape}, {color},"),
    "paraphrase": ("",),  # its frames place the words themselves
    "plain": ("a {size} {color} {shape}",),
}
# Where a speed adverb goes; freeform puts it inside a straight path ("moving quickly to the left").
MOTION_ORDERS = {
    "train": ("{verb} {speed}", "{speed} {verb}"),
    "freeform": ("{head} {speed} {tail}",),
    "paraphrase": ("{verb} {speed}",),
    "plain": ("{verb} {speed}",),
}

assert tuple(SHAPE_WORDS) == SHAPES and tuple(COLOR_WORDS) == tuple(COLORS)
assert tuple(SIZE_WORDS) == tuple(SIZES) and tuple(SPEED_WORDS) == tuple(SPEEDS)
assert set(MOTION_WORDS) | set(DIRECTIONS) == set(MOTIONS)


def _article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def direction_phrases(name: str) -> tuple[str, ...]:
    """Every train wording of a straight direction: "left", "to the left", "towards the top
    left corner", "diagonally up-left", "northwest"."""
    if name in DIRECTION_WORDS:
        edge = EDGES[name]
        return (*DIRECTION_WORDS[name], f"to the {edge}", f"towards the {edge}",
                f"toward the {edge}", f"in {_article(DIRECTION_WORDS[name][1])} direction")
    v, h = name.split("_")
    (v0, *_, vc), (h0, *_, hc), edge = DIRECTION_WORDS[v], DIRECTION_WORDS[h], EDGES[v]
    return (f"{v0}-{h0}", f"{v0} and {h0}", f"{v0} and to the {h0}", f"diagonally {v0}-{h0}",
            f"diagonally {v0} and {h0}", f"to the {edge} {h0}", f"towards the {edge}-{h0} corner",
            f"toward the {edge} {h0} corner", f"{vc}{hc}", f"{vc}-{hc}")


def motion_phrases(name: str, style: str) -> tuple[str, ...]:
    """Every wording of a motion in a style (a speed adverb may be added around it)."""
    if style == "paraphrase":
        return PARAPHRASE_PATHS[name] if name in PARAPHRASE_PATHS else MOTION_WORDS[name][1]
    if style == "plain":
        return (MOTION_WORDS[name][0][0] if name in MOTION_WORDS
                else f"moving {name.replace('_', '-')}",)
    if name in MOTION_WORDS:
        return MOTION_WORDS[name][0]
    return tuple(f"{verb} {d}" for verb in VERBS for d in direction_phrases(name))


def _synonyms(table: dict, name: str, style: str) -> tuple[str, ...]:
    words = table[name][1 if style == "paraphrase" else 0]
    return words[:1] if style == "plain" else words


def make_caption(rng: np.random.Generator, shape: str, color: str, size: str, motion: str,
                 speed: str, style: str = "train") -> str:
    """One caption for a labelled clip, drawn from the grammar of `style`."""
    pick = lambda options: options[rng.integers(len(options))]  # noqa: E731
    frame = pick(FRAMES[style])
    verb = pick(motion_phrases(motion, style))
    if frame not in BARE_FRAMES:
        head, *tail = verb.split(" ", 1)
        verb = " ".join([ING.get(head, head), *tail])
    adverbs = _synonyms(SPEED_WORDS, speed, style)
    if adverbs and rng.random() < 0.5:  # half the time the speed is left unsaid
        head, tail = verb.split(" ", 1) if " " in verb else (verb, "")
        orders = MOTION_ORDERS[style if motion in DIRECTIONS or style != "freeform" else "train"]
        verb = pick(orders).format(verb=verb, speed=pick(adverbs), head=head, tail=tail)
    det = "" if style in ("train", "freeform") and rng.random() < 0.2 else pick(("a ", "the "))
    words = dict(size=pick(_synonyms(SIZE_WORDS, size, style)),
                 color=pick(_synonyms(COLOR_WORDS, color, style)),
                 shape=pick(_synonyms(SHAPE_WORDS, shape, style)))
    text = frame.format(np=pick(OBJECTS[style]).format(det=det, **words), mp=verb, **words)
    text = re.sub(r"\ba (?=[aeiou])", "an ", text)
    text = re.sub(r",\s*(,|\.|$)", r"\1", text)  # an object phrase's closing comma at the end
    if style in ("train", "freeform"):  # people capitalise and punctuate, or do not
        if rng.random() < 0.3:
            text = text[0].upper() + text[1:]
        if rng.random() < 0.2:
            text += "."
    return text


def vocabulary(style: str) -> frozenset[str]:
    """Every word a style's captions can contain."""
    found: set[str] = set()
    for table in (SHAPE_WORDS, COLOR_WORDS, SIZE_WORDS, SPEED_WORDS):
        for name in table:
            found |= {w for p in _synonyms(table, name, style) for w in _tokens(p)}
    for name in MOTIONS:
        found |= {w for p in motion_phrases(name, style) for w in _tokens(p)}
    for frame in FRAMES[style] + OBJECTS[style] + MOTION_ORDERS[style]:
        found |= set(_tokens(re.sub(r"\{\w+\}", " ", frame)))
    if style != "paraphrase":
        found |= {"a", "an", "the"}
    if style == "plain":
        found.discard("the")
    return frozenset(found)


class PromptError(ValueError):
    """A prompt the world grammar cannot read; `.words` lists the words not understood,
    `.twice` names the attribute the prompt gives two values ("shape") and `.values` those
    values, if that is why; `.phrase` is the object of a scene prompt the problem is in."""

    def __init__(self, message: str, words: tuple[str, ...] = (), twice: str | None = None,
                 values: tuple[str, ...] = (), phrase: str = ""):
        super().__init__(message)
        self.words, self.twice, self.values, self.phrase = words, twice, values, phrase


def _tokens(text: str) -> list[str]:
    # Hyphens and punctuation separate words, so "up-right" and "up right" read alike.
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " ")).split()


def _phrase_table() -> list[tuple[tuple[str, ...], str, str]]:
    rows = []
    for field, table in (("shape", SHAPE_WORDS), ("color", COLOR_WORDS), ("size", SIZE_WORDS),
                         ("motion", MOTION_WORDS), ("speed", SPEED_WORDS)):
        for name, styles in table.items():
            for w in (w for words in styles for w in words):
                head, *tail = _tokens(w)
                rows += [((head, *tail), field, name), ((ING.get(head, head), *tail), field, name)]
    for name, words in DIRECTION_WORDS.items():  # "northwest" is one word with two directions
        rows += [((w,), "direction", name) for w in words + (EDGES[name],)]
    for v in ("up", "down"):
        for h in ("left", "right"):
            rows.append(((DIRECTION_WORDS[v][-1] + DIRECTION_WORDS[h][-1],), "direction",
                         f"{v}_{h}"))
    for name, phrases in PARAPHRASE_PATHS.items():
        rows += [(tuple(_tokens(p)), "direction", name) for p in phrases]
    rows += [((w,), "verb", "") for w in VERBS + ("diagonally", "corner", "direction")]
    return sorted(rows, key=lambda r: -len(r[0]))  # longest phrase wins


_PHRASES = _phrase_table()
# Words a prompt may carry that name no attribute.
FILLER = FUNCTION_WORDS | frozenset("one there this that which watch size shape object video "
                                    "clip with".split())


def _direction(parts: list[str]) -> str:
    """Straight-direction words ("down", "left", "up_left") -> one direction name."""
    dx = {d: x for d, (x, _) in DIRECTIONS.items()}
    dy = {d: y for d, (_, y) in DIRECTIONS.items()}
    xs, ys = {dx[p] for p in parts if dx[p]}, {dy[p] for p in parts if dy[p]}
    if len(xs) > 1 or len(ys) > 1:
        raise PromptError("the prompt names two opposite directions: " + ", ".join(parts))
    x, y = (xs or {0}).pop(), (ys or {0}).pop()
    return next(d for d, v in DIRECTIONS.items() if v == (x, y))


def travels_anywhere(text: str) -> bool:
    """Whether a prompt the grammar reads says its object travels without saying how ("a red
    circle moving"): then any motion but still fits it."""
    try:
        if parse_prompt(text)["motion"] is not None:
            return False
    except PromptError:
        return False
    return any(t in VERBS or t in ING.values() for t in _tokens(text))


def parse_prompt(text: str) -> dict[str, str | None]:
    """Read a world prompt into a label {shape, color, size, motion, speed}.

    Attributes the prompt does not mention are None. Raises PromptError naming every word it
    did not understand, or the attribute the prompt names twice with different values.
    """
    tokens = _tokens(text)
    label: dict[str, str | None] = dict.fromkeys(("shape", "color", "size", "motion", "speed"))
    unknown: list[str] = []
    directions: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, field, name in _PHRASES:
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                if field == "direction":
                    directions.append(name)
                elif field != "verb":
                    if label[field] not in (None, name):
                        raise PromptError(f"the prompt names two {field}s: {label[field]} "
                                          f"and {name}", twice=field, values=(label[field], name))
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
    if directions:
        path = _direction(directions)
        if label["motion"] not in (None, path):
            raise PromptError(f"the prompt names two motions: {label['motion']} and {path}")
        label["motion"] = path
    if not any(label.values()):
        raise PromptError("the prompt names no shape, colour, size or motion")
    return label
