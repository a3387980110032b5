"""Text encoders: the tutorial's mean of word embeddings (strict or dropping unknown words), a
learned order-aware GRU encoder over words or over subword pieces, and the frozen MiniLM sentence
encoder."""
from .bag import MeanWordEmbedding, UnknownWordError
from .learned import GRUTextEncoder
from .vocab import Vocab, words

__all__ = ["MeanWordEmbedding", "UnknownWordError", "GRUTextEncoder", "Vocab",
           "words", "build_text_encoder"]


def build_text_encoder(kind: str, vocab: Vocab, dim: int):
    """'bag' | 'mean' | 'gru' | 'subword' | 'minilm' -> an nn.Module mapping captions to (B, encoder.dim)."""
    if kind == "bag":  # the tutorial's: unknown words are an error
        return MeanWordEmbedding(vocab, dim)
    if kind == "mean":  # the same, dropping unknown words
        return MeanWordEmbedding(vocab, dim, strict=False)
    if kind == "gru":
        return GRUTextEncoder(vocab, dim)
    if kind == "subword":
        from .subword import SubwordGRUEncoder
        return SubwordGRUEncoder(vocab, dim)
    if kind == "minilm":
        from .minilm import MiniLMEncoder
        return MiniLMEncoder()
    raise ValueError(f"unknown text encoder {kind!r}; choose from bag, mean, gru, subword, minilm")
