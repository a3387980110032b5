"""How every part of tinyt2v splits text into words: the world's vocabularies, the text
encoders' vocabularies and the prompt reader must agree on it."""
from __future__ import annotations

import re


def words(text: str) -> list[str]:
    """Lower-case word tokens (any script); hyphens, punctuation and emoji separate words."""
    return re.findall(r"[^\W_]+", text.lower())
