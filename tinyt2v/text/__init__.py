"""Text encoders: the tutorial's mean of word embeddings, a learned order-aware GRU encoder,
and the frozen MiniLM sentence encoder."""
from .bag import MeanWordEmbedding, UnknownWordError
from .learned import GRUTextEncoder
from .vocab import Vocab, training_words, words

__all__ = ["MeanWordEmbedding", "UnknownWordError", "GRUTextEncoder", "Vocab", "training_words",
           "words", "build_text_encoder"]


def build_text_encoder(kind: str, vocab: Vocab, dim: int):
    """'bag' | 'gru' | 'minilm' -> an nn.Module mapping captions to (B, encoder.dim)."""
    if kind == "bag":
        return MeanWordEmbedding(vocab, dim)
    if kind == "gru":
        return GRUTextEncoder(vocab, dim)
    if kind == "minilm":
        from .minilm import MiniLMEncoder
        return MiniLMEncoder()
    raise ValueError(f"unknown text encoder {kind!r}; choose from bag, gru, minilm")
