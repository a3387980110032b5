"""Subword tokens: byte-pair encoding learned from the model's own training words with Hugging
Face `tokenizers`, so an inflected, misspelt or run-together word still shares pieces with the
word it resembles ("downwards" -> down·ward·s, "circel" -> circ·e·l).

The tokenizer is a pure function of the vocabulary (same words, same merges), so a checkpoint
needs to store only its word list.
"""
from __future__ import annotations

import string

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from .learned import GRUTextEncoder
from .vocab import PAD, UNK, Vocab

ALPHABET = string.ascii_lowercase + string.digits
# Merges stop well short of whole words, so the pieces a new word splits into were trained on.
PIECES_PER_WORD = 0.5


def subword_tokenizer(words: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.normalizer = normalizers.Sequence([normalizers.Lowercase(),
                                           normalizers.Replace(Regex("[^a-z0-9]+"), " ")])
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    size = 2 + len(ALPHABET) + int(PIECES_PER_WORD * len(words))
    trainer = trainers.BpeTrainer(vocab_size=size, special_tokens=[PAD, UNK],
                                  initial_alphabet=list(ALPHABET), show_progress=False)
    tok.train_from_iterator(sorted(words), trainer)
    return tok


class SubwordGRUEncoder(GRUTextEncoder):
    """The GRU encoder over subword pieces instead of whole words: captions -> (B, dim)."""

    def __init__(self, vocab: Vocab, dim: int = 128, embed: int = 64):
        self.tokenizer = subword_tokenizer(vocab.itos[2:])
        super().__init__(vocab, dim, embed, n_tokens=self.tokenizer.get_vocab_size())

    def token_ids(self, caption: str) -> list[int]:
        return self.tokenizer.encode(caption).ids

