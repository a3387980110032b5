"""What a model makes of a prompt: each word is kept, mapped to a word the model knows, or
dropped, and the caller is told which.

A model knows only the words of its training captions. A word it does not know is, in order:
1. joined with the next word, or split in two, when that gives known words ("clock-wise" ->
   "clockwise", "counterclockwise" -> "counter clockwise");
2. mapped by spelling to a known word of the same stem or nearly the same letters
   ("downwards" -> "downward", "circel" -> "circle");
3. mapped through the shipped lexicon to the training word nearest in meaning ("crimson" ->
   "red"); the lexicon is distilled from WordNet and MiniLM by `scripts/distill_lexicon.py`;
4. otherwise dropped, with did-you-mean suggestions by spelling.
"""
from __future__ import annotations

import difflib
import gzip
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .vocab import words as split_words

LEXICON = Path(__file__).parent / "lexicon.json.gz"
RESOURCES = ("none", "wordnet", "minilm", "both")  # which lexicon answers a reader trusts
# MiniLM's cosine (of what a word adds to the template) below which its answer is not trusted:
# above it, every answer for the dev words of tests/test_understand.py (none from the paraphrase
# split) is right and no common noun gets one. The lexicon stores no answer below it.
MINILM_BAR = 0.62
SPELLING_CUTOFF = 0.8   # difflib ratio for a typo to count as the known word ("circel" 0.83)
SUFFIXES = ("s", "es", "ed", "ing", "ly", "ward", "wards")  # stripped to compare stems
VERB_SUFFIXES = ("ing", "s", "es", "ed")
PARTICIPLES = ("ing", "ed")
NUMBERS = frozenset("two three four five six seven eight nine ten dozen twin twins several many "
                    "multiple both pair couple".split())
COUNT_REACH = 6  # words after a number within which its plural noun comes
# Common English words that name nothing a clip shows; dropped without a complaint.
STOPWORDS = frozenset("a an the and or of in into on at by for with to toward towards from as it "
                      "its is are be being this that which who there here one some very please "
                      "show me make create generate video clip animation shape object thing "
                      "figure item can could would will you i we us my our want like let see "
                      "give draw render".split())  # the last: how people ask ("can you show me")


@dataclass
class Understanding:
    """How a prompt reads to a model. `words` lists (prompt word, what the model reads or None,
    how: known | joined | split | spelling | wordnet | minilm | dropped)."""

    prompt: str
    words: list[tuple[str, str | None, str]]
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    attributes: dict[str, str | None] | None = None  # the world grammar's reading, when it has one
    several: str = ""  # for a prompt naming more objects than the model draws, what says so
    conflict: str = ""  # a contradiction within one object ("in 'a red blue circle': ...")
    rewrites: list[tuple[str, str]] = field(default_factory=list)  # (phrase, read as) read whole
    travels_anywhere: bool = False  # it says its object moves, not how (any motion but still fits)
    relation: str = ""  # where the prompt puts one object against another, as read
    relation_unread: str = ""  # a relation the model was not trained on: what says so

    @property
    def text(self) -> str:
        """The prompt as the model reads it: known words only."""
        return " ".join(to for _, to, _ in self.words if to)

    @property
    def dropped(self) -> list[str]:
        return list(dict.fromkeys(w for w, to, how in self.words if to is None and how == "dropped"))

    @property
    def mapped(self) -> dict[str, str]:
        return {w: to for w, to, how in self.words if to and how not in ("known", "function")}

    def describe(self) -> str:
        """One line: "understood: yellow · circle · right (ball→circle); not understood: ..."."""
        if self.attributes:
            said = [v.replace("_", " ") for k, v in self.attributes.items() if v and v != "normal"]
            if self.travels_anywhere:
                said.append("moving (no direction given: the model picks the motion)")
        else:
            said = [to for _, to, how in self.words if to and how != "function"]
        line = "understood: " + (" · ".join(said) or "nothing")
        if self.relation:
            line += f" ({self.relation})"
        mapped = {**dict(self.rewrites), **self.mapped}
        if mapped:
            line += " (read " + ", ".join(f"{w}→{to}" for w, to in mapped.items()) + ")"
        if self.dropped:
            parts = [w + (f" (did you mean {' or '.join(self.suggestions[w])}?)"
                          if self.suggestions.get(w) else "") for w in self.dropped]
            line += "; not understood: " + ", ".join(parts)
        if self.relation_unread:
            line += f"; {self.relation_unread}"
        return line


def load_lexicon() -> dict:
    """{"words": word -> answers by resource, "english": every word the lexicon read}."""
    return _read_lexicon(LEXICON)


@cache
def _read_lexicon(path: Path) -> dict:
    if not path.exists():
        return {"words": {}, "english": []}
    doc = json.loads(gzip.decompress(path.read_bytes()))
    return {"words": doc["words"], "english": frozenset(doc["english"])}


def lexicon_word(word: str, known: set[str], resource: str = "both") -> tuple[str, str] | None:
    """(known word, which resource) the lexicon maps `word` (or its stem) to, or None. An answer
    WordNet reached through a verb sense counts only for a word inflected as a verb ("rising",
    "rolls"): "light" the noun is not "go down"; one through a noun sense never for a participle:
    "five-pointed" does not name a "point", a dot."""
    if resource == "none":
        return None
    lex = load_lexicon()["words"]
    for form, suffix in ((word, ""), *_stems_with_suffix(word)):
        entry = lex.get(form)
        if not entry:
            continue
        verbal = suffix in VERB_SUFFIXES or word.endswith(VERB_SUFFIXES)
        described = suffix == "ed"  # a participle describes: "pointed" is not the noun "point"
        answers = []
        wn = entry.get("wordnet")
        if resource in ("wordnet", "both") and wn and wn[0] in known and \
                (wn[1] != "v" or verbal) and (wn[1] != "n" or not described):
            answers.append((wn[0], "wordnet"))
        lm = entry.get("minilm")
        if resource in ("minilm", "both") and lm and lm[1] >= MINILM_BAR and lm[0] in known:
            answers.append((lm[0], "minilm"))
        generic = entry.get("wordnet_verb")
        if resource in ("wordnet", "both") and generic in known and verbal:
            answers.append((generic, "wordnet"))  # the generic verb, last
        # a participle is not the noun it contains: "crossing" is no "cross"
        answers = [a for a in answers if not _participle_of(word, a[0])]
        if answers:
            return answers[0]
    return None


def _participle_of(word: str, answer: str) -> bool:
    """Whether word is a participle of answer read as a noun ("crossing" of "cross")."""
    return word.endswith(PARTICIPLES) and answer in _stems(word) and not answer.endswith(PARTICIPLES)


def is_english(word: str) -> bool:
    """A word (or its stem) that the lexicon read in WordNet: a real word, not a typo."""
    english = load_lexicon()["english"]
    return word in english or any(form in english for form in _stems(word))


def _stems(word: str) -> list[str]:
    return [form for form, _ in _stems_with_suffix(word)]


def _stems_with_suffix(word: str) -> list[tuple[str, str]]:
    """(candidate base form, suffix taken off): "rising" -> rise, "hopping" -> hop, "upper" -> up."""
    out = []
    for suffix in SUFFIXES + ("er", "est"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            out += [(base, suffix), (base + "e", suffix)]
            if len(base) >= 3 and base[-1] == base[-2]:
                out.append((base[:-1], suffix))
    return out


def spelling_word(word: str, known: set[str]) -> str | None:
    """A known word with the same stem, or nearly the same spelling, or None. A verb form
    ("crossing", "pointed") maps only to a verb form: it is not the noun it contains."""
    stems = {word, *_stems(word)}
    verbal = word.endswith(PARTICIPLES)
    same_stem = [k for k in sorted(known) if stems & {k, *_stems(k)} and
                 (not verbal or k.endswith(PARTICIPLES))]
    if same_stem:
        return min(same_stem, key=lambda k: abs(len(k) - len(word)))
    if is_english(word):  # "block" is a word, not a typo of "black"
        return None
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=SPELLING_CUTOFF)
    return close[0] if close and len(word) >= 3 else None


def understand(prompt: str, known: set[str], function_words: frozenset[str] = frozenset(),
               resource: str = "both") -> Understanding:
    """Read `prompt` with the vocabulary `known` (see the module docstring for the order)."""
    tokens, out, suggestions, i = split_words(prompt), [], {}, 0
    content = sorted(known - function_words)
    while i < len(tokens):
        w = tokens[i]
        joined = w + tokens[i + 1] if i + 1 < len(tokens) else ""
        compound = lexicon_word(f"{w}-{tokens[i + 1]}", known, resource) if joined else None
        if w in known:
            out.append((w, w, "function" if w in function_words else "known"))
        elif compound is not None:  # "jet-black", "three-sided": the lexicon knows the pair
            out.append((f"{w}-{tokens[i + 1]}", compound[0], compound[1]))
            i += 1
        elif w in function_words:
            out.append((w, None, "function"))
        elif joined in known:
            out.append((f"{w} {tokens[i + 1]}", joined, "joined"))
            i += 1
        elif split := next((p for p in _splits(w) if all(x in known for x in p)), None):
            out.append((w, " ".join(split), "split"))
        elif (spelled := spelling_word(w, set(content))) is not None:
            out.append((w, spelled, "spelling"))
        elif (meant := lexicon_word(w, known, resource)) is not None:
            out.append((w, meant[0], meant[1]))
        else:
            out.append((w, None, "dropped"))
            suggestions[w] = [k for k in difflib.get_close_matches(w, content, n=2, cutoff=0.7)
                              if not _participle_of(w, k)]
        i += 1
    return Understanding(prompt, out, {w: s for w, s in suggestions.items() if s})


def _splits(word: str) -> list[tuple[str, str]]:
    return [(word[:k], word[k:]) for k in range(3, len(word) - 2)]


def counted_objects(u: Understanding) -> str:
    """What says the prompt counts objects ("two ...", "3 ..."): a number above one, then a
    plural within COUNT_REACH words (sizes and colours come between: "two green medium-sized
    plus signs"); "" if nothing does. "five-pointed star" counts nothing."""
    for k, (w, _, how) in enumerate(u.words):
        number = w in NUMBERS or (w.isdigit() and int(w) > 1)
        later = u.words[k + 1:k + 1 + COUNT_REACH]
        if number and how == "dropped" and any(
                how_ == "spelling" and w_ in (to + "s", to + "es") for w_, to, how_ in later):
            return f"counts objects ({w} ...)"
    return ""
