"""What `tinyt2v generate` uses by default, judged: each prompt goes through the rule of
`Pipeline.for_prompt` (the one-object checkpoint unless it would refuse the prompt for naming
several objects, then the scenes checkpoint), and the clip it draws is judged with the judge
of the prompt's world. Rows: the one-object `test` split and the scenes `test` split; which
checkpoint took the prompts, and all-correct.

    python benchmarks/default_rule.py [--n 1000]
"""
from __future__ import annotations

import argparse
from collections import Counter

import torch
from common import save

from tinyt2v.evaluate import BATCH_SEED_STRIDE
from tinyt2v.judge import read_clip, score
from tinyt2v.judge.scene import read_scene, score_scenes
from tinyt2v.pipeline import SCENES_CHECKPOINT, Pipeline
from tinyt2v.world import clips, get_world


def judged(world_name: str, n: int) -> dict:
    one, scenes = Pipeline.from_pretrained(), Pipeline.from_pretrained(SCENES_CHECKPOINT)
    world = get_world(world_name)
    read = read_scene if world.objects > 1 else read_clip
    pairs, took = [], Counter()
    for i, batch in enumerate(clips(world, "test", n, seed=1, batch_size=50)):
        routed = [scenes if one.names_too_many(c) else one for c in batch.captions]  # for_prompt's rule
        for pipe in (one, scenes):  # each checkpoint draws its own prompts of the batch in one call
            ks = [k for k, p in enumerate(routed) if p is pipe]
            if ks:
                took[pipe.config["model"]] += len(ks)
                videos = pipe.generate([batch.captions[k] for k in ks], seed=i * BATCH_SEED_STRIDE)
                pairs += [(read(v), batch.labels[k]) for v, k in zip(videos, ks)]
    report = (score_scenes if world.objects > 1 else score)(pairs)
    return dict(world=world_name, split="test", n=report["n"],
                **{f"took_{m}": took[m] for m in ("sprite-flow", "scene-flow")},
                all_correct=report["all_correct"])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(2)
    rows = [judged(w, args.n) for w in ("default", "scenes")]
    save("default_rule", rows, "What tinyt2v generate uses by default, judged",
         f"python benchmarks/default_rule.py --n {args.n}")


if __name__ == "__main__":
    main()
