"""The prompt reader: a prompt and what a model knows -> an `Understanding` of it.

Every reading of a prompt (generate, the demo, judging a folder, evaluation) goes through
`read`. It works in three passes:
1. phrases that mean something as a whole are rewritten into the world's own wording, so no
   word of them is read alone: "from left to right" -> "right", "no motion" / "not moving
   left" / "doesn't move" -> "not moving" (still), "getting larger" -> "getting bigger" (grow),
   and a few shape names people use ("ring" -> "circle", "cube" -> "square");
2. each word is kept, mapped to a known word, or dropped (understand.py: spelling, stems, the
   shipped lexicon), where a real word is never read as a grammar word it merely contains
   ("crossing" is not the shape "cross");
3. for a model of the procedural world, its grammar (world/grammar.py, handed in as
   `ModelFacts.grammar`: this package imports nothing of the world) reads the kept words into
   attributes, counts the objects and finds contradictions within one object. A scene prompt's
   relation ("a red circle above a blue square") is read whole, before any word of it: a model
   trained on relations is told it, and one that was not is told that it is not read (its
   words are left out, so "above" is not read as the motion "up").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .understand import NUMBERS, STOPWORDS, Understanding, counted_objects, understand
from .vocab import words as split_words

NEGATIONS = frozenset("not no never without cannot".split())
CONTRACTED = frozenset("isn doesn don aren won didn".split())  # "isn't" splits into isn, t
MOTION = frozenset("move moves moved moving motion motions movement movements travel travels "
                   "travelling traveling go goes going budge budging stir stirring rotating "
                   "rotate spinning spin turning turn growing grow shrinking shrink bouncing "
                   "bounce zigzagging zigzag sliding slide drifting drift rising falling".split())
# words a negated motion phrase may run on with ("not moving to the left at all")
MOTION_TAIL = frozenset("to the at all any in direction directions way or quickly slowly fast "
                        "slow anywhere".split())
SPEEDS = frozenset("fast quickly quick rapidly slow slowly".split())
STILL = ("not", "moving")  # the world's own wording of a still object
CHANGE_VERBS = frozenset("getting becoming gets becomes growing grows turning turns".split())
BIGGER = frozenset("larger bigger greater huger".split())
SMALLER = frozenset("smaller tinier littler".split())
DIRECTIONS = frozenset("up down left right upward downward leftward rightward upwards downwards "
                       "leftwards rightwards".split())  # in any caption, world or footage
EDGES = {"top": "up", "bottom": "down"}  # "from bottom to top": a destination named by its edge
# Shape names people use that the lexicon does not map; read only when the model does not
# know the word itself and knows what it stands for.
SHAPE_NAMES = {"ring": "circle", "disc": "circle", "disk": "circle", "ball": "circle",
               "sphere": "circle", "orb": "circle", "cube": "square", "box": "square",
               "pyramid": "triangle"}


@dataclass(frozen=True)
class ModelFacts:
    """What a model knows, as the reader needs it."""
    known: frozenset[str]     # the words its text encoder knows (empty: it reads any text)
    strict: bool = False      # it refuses a word it never saw (the tutorial's encoder)
    objects: int = 1          # the most objects one of its clips holds
    grammar: Any = None       # the world grammar of its captions (world/grammar.py), or None
                              # for a model of real footage, whose captions follow none
    relations: bool = False   # it was trained on relations between objects
    lexicon: str = "both"     # which lexicon answers to trust (understand.RESOURCES)


def read(prompt: str, facts: ModelFacts) -> Understanding:
    """How the model reads `prompt` (see the module docstring)."""
    if not facts.known or facts.strict:  # nothing to map: every word goes to the encoder as it is
        return Understanding(prompt, [(w, w, "known") for w in split_words(prompt)])
    g = facts.grammar
    found = g.find_relation(prompt) if g is not None else None
    if found and not facts.relations:  # read the rest: the objects, joined where the relation was
        kind, start, end = found
        u = _words(prompt[:start] + " and " + prompt[end:], facts)
        u.prompt = prompt
        u.relation_unread = (f"'{prompt[start:end]}' names where objects are against each other, "
                             "and this model was not trained on relations: their places are its own")
    elif found and not set(split_words(prompt[found[1]:found[2]])) <= facts.known:
        kind, start, end = found  # a wording it never saw: read as the relation's own
        said = g.relation_wording(kind)
        u = _words(prompt[:start] + said + prompt[end:], facts)
        u.prompt = prompt
        u.rewrites.append((prompt[start:end], said))
    else:
        u = _words(prompt, facts)
    if g is None:  # real footage may show any number of things: its captions decide
        return u
    if facts.objects > 1:
        return _read_scene(u, facts)
    u.several = counted_objects(u)
    try:
        u.attributes = g.read_object(u.text)
    except g.error as e:
        if e.twice in OBJECT_ATTRIBUTES:
            u.several = f"names two {e.twice}s: {' and '.join(e.values)}"
    u.travels_anywhere = g.travels_anywhere(u.text)
    return u


OBJECT_ATTRIBUTES = ("shape", "color", "size")  # two values of one of these: two objects


def _words(text: str, facts: ModelFacts) -> Understanding:
    function = (facts.grammar.function_words if facts.grammar else frozenset()) | STOPWORDS
    tokens, rewrites = rewrite(split_words(text), facts)
    u = understand(" ".join(tokens), set(facts.known), function, facts.lexicon)
    u.prompt, u.rewrites = text, rewrites
    return u


def rewrite(tokens: list[str], facts: ModelFacts) -> tuple[list[str], list[tuple[str, str]]]:
    """Pass 1: tokens with whole phrases put in the world's wording, and (phrase, as read) for
    each phrase rewritten."""
    directions = DIRECTIONS | (facts.grammar.directions if facts.grammar else frozenset())
    out: list[str] = []
    rewrites: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        for rule in (_from_to, _negated_motion, _change_of_size, _shape_name):
            hit = rule(tokens, i, directions, facts.known)
            if hit:
                end, words = hit
                said, read_as = " ".join(tokens[i:end]), " ".join(words) or "(nothing)"
                if said != read_as:
                    rewrites.append((said, read_as))
                out += words
                i = end
                break
        else:
            out.append(tokens[i])
            i += 1
    return out, rewrites


def _from_to(tokens, i, directions, known):
    """[from] [the] A to [the] B, A and B directions (or edges) -> B: where it goes."""
    j = i + (tokens[i] == "from")
    j += j < len(tokens) and tokens[j] == "the"
    if j >= len(tokens) or not _is_place(tokens[j], directions) or tokens[j + 1:j + 2] != ["to"]:
        return None
    k = j + 2 + (tokens[j + 2:j + 3] == ["the"])
    if k >= len(tokens) or not _is_place(tokens[k], directions) or tokens[k] == tokens[j]:
        return None
    return k + 1, [EDGES.get(tokens[k], tokens[k])]


def _is_place(word, directions):
    return word in directions or word in EDGES


def _negated_motion(tokens, i, directions, known):
    """A negation, then (within two words) a word of motion: the object stays still, and any
    direction or speed said after it is part of what is denied. A negated speed says none."""
    w = tokens[i]
    if w not in NEGATIONS and not (w in CONTRACTED and tokens[i + 1:i + 2] == ["t"]):
        return None
    start = i + (2 if w in CONTRACTED else 1)
    near = [k for k in range(start, min(start + 2, len(tokens))) if tokens[k] in MOTION]
    if not near:  # "not fast": the speed is denied, and no other is said
        return (start + 1, []) if tokens[start:start + 1] and tokens[start] in SPEEDS else None
    end = near[0] + 1
    while end < len(tokens) and (tokens[end] in MOTION or tokens[end] in directions
                                 or tokens[end] in MOTION_TAIL):
        end += 1
    return end, list(STILL)


def _change_of_size(tokens, i, directions, known):
    """"getting larger", "becoming smaller": growth, not a size."""
    if tokens[i] not in CHANGE_VERBS or i + 1 >= len(tokens):
        return None
    nxt = tokens[i + 1]
    if nxt in BIGGER:
        return i + 2, ["getting", "bigger"]
    if nxt in SMALLER:
        return i + 2, ["getting", "smaller"]
    return None


def _shape_name(tokens, i, directions, known):
    w = tokens[i]
    plural = w.endswith("s") and w[:-1] in SHAPE_NAMES
    name = w[:-1] if plural else w
    if w in known or name not in SHAPE_NAMES:
        return None
    shape = SHAPE_NAMES[name] + ("s" if plural else "")
    return (i + 1, [shape]) if shape in known or not known else None


def _read_scene(u: Understanding, facts: ModelFacts) -> Understanding:
    """For a model of several objects: count the prompt's objects and find contradictions
    within one object; words outside the grammar are left to the model. The prompt is cut at
    its joins ("and", commas, "together with") before its words are read, since reading keeps
    known words only and a comma or an unknown join would run two objects together."""
    g = facts.grammar
    for k, (w, _, _) in enumerate(u.words):  # "five stars", "a pair of circles": a count it cannot draw
        if (w in NUMBERS or w.isdigit()) and w not in g.count_words and \
                any(later in g.nouns for later, _, _ in u.words[k + 1:k + 5]):
            u.several = f"counts objects with a number it was not trained on ({w} ...)"
            return u
    # the pieces between joins, each read alone, and the joins themselves (a relation's wording
    # is one: the grammar finds which objects it stands between from where it is)
    parts = [(p, bool(g.joins.fullmatch(p))) for p in re.split(f"({g.joins.pattern})", u.prompt)
             if p and p.strip()]
    read_parts = [(f" {p} " if join else _words(p, facts).text, join) for p, join in parts]
    kept = " and ".join(text for text, join in read_parts if not join)
    try:
        objects = g.read_scene(kept)
    except g.error as e:
        if e.twice in OBJECT_ATTRIBUTES:
            u.conflict = f"in '{e.phrase}': it names two {e.twice}s: {' and '.join(e.values)}"
        return u
    n = sum(count for _, count in objects)
    if n > facts.objects:
        u.several = f"names {n} objects"
    if facts.relations and not u.relation_unread:
        try:
            relation = g.read_relation("".join(text for text, _ in read_parts))
        except g.error as e:
            u.relation_unread = f"{e}: not read as a relation"
            return u
        if relation:
            names = [" ".join(label[k] for k in ("color", "shape") if label[k])
                     for label, count in objects for _ in range(count)]
            u.relation = f"the {names[relation['subject']]} {relation['kind'].replace('_', ' ')} " \
                         f"the {names[relation['object']]}"
    return u

