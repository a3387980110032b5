"""The world's caption grammar as one object a prompt reader is handed (text/reading.py reads
prompts for any model and imports nothing of the world; a world model's pipeline passes it
this). It says which words are grammar, which name directions and travel, and reads a kept
prompt into one object's attributes or a scene's objects."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .captions import DIRECTION_WORDS, FUNCTION_WORDS, ING, VERBS, PromptError, parse_prompt, travels_anywhere
from .relations import WORDINGS, find_relation
from .scene_captions import COUNT_WORDS, SINGULAR, SPLIT_AT, parse_relation, parse_scene


@dataclass(frozen=True)
class Grammar:
    function_words: frozenset[str]   # words that carry no attribute ("a", "the", "to")
    directions: frozenset[str]       # words that name a straight direction ("left", "upward")
    travel_verbs: frozenset[str]     # verbs of travel ("moving", "goes")
    count_words: frozenset[str]      # the numbers a scene caption counts with ("two", "3")
    nouns: frozenset[str]            # shape words, singular and plural ("circle", "circles")
    joins: re.Pattern                # where a scene prompt joins its objects ("and", commas)
    error: type = PromptError        # what read_object and read_scene raise

    @staticmethod
    def read_object(text: str) -> dict[str, str | None]:
        """One object's attributes; raises world.PromptError (with .twice, .values)."""
        return parse_prompt(text)

    @staticmethod
    def read_scene(text: str) -> list[tuple[dict, int]]:
        """A scene's objects and counts; raises world.PromptError (with .phrase)."""
        return parse_scene(text)

    @staticmethod
    def read_relation(text: str) -> dict | None:
        """A scene's relation {kind, subject, object}, or None; raises world.PromptError when
        it does not stand between two objects."""
        return parse_relation(text)

    @staticmethod
    def find_relation(text: str) -> tuple[str, int, int] | None:
        """(relation, start, end) of the first relation wording in a raw prompt, or None."""
        return find_relation(text)

    @staticmethod
    def relation_wording(kind: str) -> str:
        """The first training wording of a relation ("to the left of")."""
        return WORDINGS[kind][0][0]

    @staticmethod
    def travels_anywhere(text: str) -> bool:
        return travels_anywhere(text)


WORLD_GRAMMAR = Grammar(
    function_words=FUNCTION_WORDS,
    directions=frozenset(w for words in DIRECTION_WORDS.values() for w in words),
    travel_verbs=frozenset(VERBS) | frozenset(ING.values()),
    count_words=frozenset(COUNT_WORDS),
    nouns=frozenset(SINGULAR) | frozenset(SINGULAR.values()),
    joins=SPLIT_AT)
