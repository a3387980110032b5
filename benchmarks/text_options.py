"""Judge accuracy per split for each text option, side by side in one run: the text encoder a
model trains with (word GRU, subword GRU) and the lexicon resource that maps unseen words at
generation time (none, WordNet, MiniLM, both). Encoders are trained here on the same budget of
process CPU time; the shipped checkpoint is judged with each resource too.

    python benchmarks/text_options.py [--minutes 8] [--n 200]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
from common import save

from tinyt2v.evaluate import evaluate
from tinyt2v.pipeline import DEFAULT_CHECKPOINT, Pipeline
from tinyt2v.text.understand import RESOURCES
from tinyt2v.train import TrainConfig, train

SEEN_WORDS = ("test", "heldout", "freeform")  # only training words: every resource reads alike
UNSEEN_WORDS = ("paraphrase",)


def judge(pipe, name: str, n: int, record: dict) -> list[dict]:
    rows = []
    for resource in RESOURCES:
        pipe.lexicon = resource
        for split in (SEEN_WORDS if resource == "both" else ()) + UNSEEN_WORDS:
            rep = evaluate(pipe, split, n, seed=1)
            acc = rep["accuracy"]
            rows.append(dict(model=name, text=pipe.config["model_config"]["text"],
                             cpu_minutes=round(record.get("cpu_seconds", 0) / 60, 1),
                             lexicon=resource, split=split, n=rep["n"],
                             all_correct=rep["all_correct"], shape=acc["shape"],
                             color=acc["color"], size=acc["size"], motion=acc["motion"]))
            print(rows[-1], flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=8.0, help="CPU-minutes of training per encoder")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--texts", default="gru,subword")
    ap.add_argument("--out", default="runs/bench-text")
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.from_pretrained(DEFAULT_CHECKPOINT)
    rows = judge(pipe, "shipped sprite-flow default", args.n, pipe.config.get("train", {}))
    for text in args.texts.split(","):
        ck = train(TrainConfig(model="sprite-flow", preset="tiny", out=str(Path(args.out) / text),
                               cpu_minutes=args.minutes, resume=True, sample_every=None,
                               ckpt_every=None, threads=2, overrides=dict(text=text)))
        pipe = Pipeline.from_pretrained(ck)
        rows += judge(pipe, f"sprite-flow tiny, {text}", args.n, pipe.config["train"])
    save("text_options", rows, "Judge accuracy per split for each text encoder and lexicon resource",
         f"python benchmarks/text_options.py --minutes {args.minutes:g} --n {args.n} "
         f"--texts {args.texts}",
         notes="test, heldout and freeform say only training words, so the lexicon changes "
               "nothing there and they are judged once (lexicon: both).")


if __name__ == "__main__":
    main()
