"""How scenes are worded and read back: object phrases joined into one caption, and a caption
split into its objects.

Each object phrase uses the one-object grammar of its style (captions.py): "a red circle moving
left", "two green stars falling", "the big purple cross spinning clockwise"; phrases are joined
by "and", commas, "while" or semicolons ("together with", "alongside" in the paraphrase
grammar). Reading splits at those joins and gives each piece that names no shape to the object
beside it, so "moving up and to the left" or "a red star, small, zigzagging" stay one object.
"""
from __future__ import annotations

import re

import numpy as np

from .relations import PATTERN, find_relation
from .captions import (ING, MOTION_ORDERS, OBJECTS, SHAPE_WORDS, SIZE_WORDS, COLOR_WORDS,
                       SPEED_WORDS, FILLER, PromptError, _synonyms, _tokens, motion_phrases,
                       parse_prompt)

JOINERS = {"train": (" and ", ", ", " while ", "; ", ", and "), "plain": (" and ",),
           "paraphrase": (" together with ", " alongside ")}
SCENE_FRAMES = {"train": ("{s}", "a video of {s}", "a clip of {s}"), "plain": ("{s}",),
                "paraphrase": ("{s}",)}
NUMBERS = {2: ("two", "2"), 3: ("three", "3")}
# Object phrases without commas of their own (a comma joins objects in a scene).
SINGLE = {"train": OBJECTS["train"][:4], "plain": OBJECTS["plain"],
          "paraphrase": ("{det}{size} {color} {shape}",)}
GROUP = {"train": ("{num} {size} {color} {shape}", "{num} {color} {size} {shape}",
                   "{num} {size} {shape} in {color}", "{num} {color} {shape} of {size} size"),
         "plain": ("{num} {size} {color} {shape}",), "paraphrase": ("{num} {size} {color} {shape}",)}
# Objects are joined by these, and by a relation's wording ("above", "to the left of").
SPLIT_AT = re.compile(r"[,;:]|\b(?:and|while|together with|alongside|as well as)\b|" + PATTERN.pattern)


def plural(phrase: str) -> str:
    """'circle' -> 'circles', 'box' -> 'boxes', 'plus sign' -> 'plus signs'."""
    return phrase + ("es" if re.search(r"(s|x|sh|ch)$", phrase) else "s")


def _object_phrase(rng, shape, color, size, motion, speed, count, style) -> str:
    pick = lambda options: options[rng.integers(len(options))]  # noqa: E731
    grammar = style if style in SINGLE else "train"  # freeform scenes use the train phrases
    words = dict(size=pick(_synonyms(SIZE_WORDS, size, style)), color=pick(_synonyms(COLOR_WORDS, color, style)),
                 shape=pick(_synonyms(SHAPE_WORDS, shape, style)))
    if count > 1:
        words["shape"] = plural(words["shape"])
        np_ = pick(GROUP[grammar]).format(num=pick(NUMBERS[count][:1] if style != "train" else NUMBERS[count]),
                                          **words)
    else:
        det = pick(("a ", "the ", "")) if grammar == "train" else "a "
        np_ = pick(SINGLE[grammar]).format(det=det, **words)
    head, *tail = pick(motion_phrases(motion, style)).split(" ", 1)
    verb = " ".join([ING.get(head, head), *tail])  # "two circles moving", never "moves"
    adverbs = _synonyms(SPEED_WORDS, speed, style)
    if adverbs and rng.random() < 0.5:
        verb = pick(MOTION_ORDERS[grammar]).format(
            verb=verb, speed=pick(adverbs))
    return f"{np_} {verb}"


def scene_caption(rng: np.random.Generator, phrases: list[tuple[str, str, str, str, str, int]],
                  style: str = "train", relation: str | None = None) -> str:
    """One caption for a scene: phrases are (shape, color, size, motion, speed, count), one per
    object or counted group; `relation` a relation's wording ("to the left of"), which then
    joins the first two phrases."""
    grammar = style if style in JOINERS else "train"
    parts = [_object_phrase(rng, *p, style) for p in phrases]
    joins = JOINERS[grammar]
    text = parts[0]
    for i, p in enumerate(parts[1:]):
        if i == 0 and relation:
            text += (", " if grammar == "train" and rng.random() < 0.3 else " ") + relation + " " + p
        else:
            text += joins[rng.integers(len(joins))] + p
    frames = SCENE_FRAMES[grammar]
    text = frames[rng.integers(len(frames))].format(s=text)
    text = re.sub(r"\ba (?=[aeiou])", "an ", text)
    if grammar == "train" and rng.random() < 0.3:
        text = text[0].upper() + text[1:]
    return text


def _singular_table() -> dict[str, str]:
    out = {}
    for styles in SHAPE_WORDS.values():
        for phrase in (p for words in styles for p in words):
            last = _tokens(phrase)[-1]
            out[_tokens(plural(phrase))[-1]] = last
    return out


SINGULAR = _singular_table()
COUNT_WORDS = {w: n for n, words in NUMBERS.items() for w in words}


def _count(text: str) -> int:
    """How many objects a phrase names: a number word as its first word that is not filler
    ("a clip of two red circles"; not "a three-sided shape", whose number is part of a word)."""
    first = next((w for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()) if w not in FILLER), None)
    return COUNT_WORDS.get(first, 1)


def _singular_words(text: str) -> str:
    """The phrase with its count word dropped and plural shape words made singular."""
    tokens = [SINGULAR.get(t, t) for t in _tokens(text)]
    if _count(text) > 1:
        tokens.remove(next(t for t in tokens if t in COUNT_WORDS))
    return " ".join(tokens)


def _names_shape(fragment: str) -> bool:
    try:
        return parse_prompt(_singular_words(fragment))["shape"] is not None
    except PromptError:  # words outside the grammar: a shape word still marks a new object
        return any(t in SINGULAR or t in SINGULAR.values() for t in _tokens(fragment))


def parse_scene(text: str) -> list[tuple[dict, int]]:
    """Read a scene prompt into its objects: [(label {shape, color, size, motion, speed}, count)].
    Raises PromptError naming the object a problem is in ("a red blue circle": two colours)."""
    fragments = [f.strip() for f in SPLIT_AT.split(text.lower()) if f and f.strip()]
    objects: list[list[str]] = []
    pending: list[str] = []  # shapeless pieces before the first object ("moving up, a red circle")
    for f in fragments:
        if _names_shape(f):
            objects.append(pending + [f])
            pending = []
        elif objects:
            objects[-1].append(f)
        else:
            pending.append(f)
    if pending:  # no piece named a shape
        objects.append(pending)
    out = []
    for pieces in objects:
        phrase = " and ".join(pieces)
        try:
            label = parse_prompt(_singular_words(phrase))
        except PromptError as e:
            raise PromptError(f"in '{phrase}': {e}", e.words, e.twice, e.values, phrase) from None
        out.append((label, _count(phrase)))
    return out


def parse_relation(text: str) -> dict | None:
    """The relation a scene prompt names, as a scene label's: {kind, subject, object} (indices
    into the prompt's objects, counted groups counted out), or None. The subject is the object
    named just before the relation's wording, the object the one just after."""
    found = find_relation(text)
    if found is None:
        return None
    kind, at, _ = found
    before = sum(n for _, n in parse_scene(text[:at]))
    if before == 0 or before >= sum(n for _, n in parse_scene(text)):
        raise PromptError(f"'{kind.replace('_', ' ')}' needs an object named before it and one after it")
    return dict(kind=kind, subject=before - 1, object=before)


def scene_vocabulary(style: str) -> frozenset[str]:
    """The words scene captions of a style add to its one-object words: numbers, plural shape
    words and the joins."""
    grammar = style if style in JOINERS else "train"
    numbers = {w for n in NUMBERS.values() for w in (n if grammar == "train" else n[:1])}
    plurals = {t for name in SHAPE_WORDS for p in _synonyms(SHAPE_WORDS, name, style)
               for t in _tokens(plural(p))}
    joins = {t for j in JOINERS[grammar] + SCENE_FRAMES[grammar] for t in _tokens(j.replace("{s}", ""))}
    return frozenset(numbers | plurals | joins)
