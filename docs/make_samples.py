"""Make the README's sample grids, one row per prompt, and print what the judge reads in each:
- docs/default_samples.png and .gif: the shipped checkpoint on fixed prompts (two seen
  combinations, two held-out combinations, two paraphrases);
- docs/scenes_samples.png and .gif (--scenes): the shipped scenes checkpoint on the issue's three
  example prompts, then one prompt of each of the binding, heldout and count splits;
- docs/relations_samples.png and .gif (--relations): the same checkpoint on prompts that place
  two objects against each other, then one prompt of each relation split.

    python docs/make_samples.py [--scenes | --relations]
"""
import sys
from pathlib import Path

from tinyt2v import Pipeline
from tinyt2v.judge import describe_verdict, judge_prompt
from tinyt2v.pipeline import SCENES_CHECKPOINT
from tinyt2v.visuals import save_samples
from tinyt2v.world import clip_batch
from tinyt2v.world.splits import RELATION_SPLITS

PROMPTS = [
    "a large blue square rotating clockwise",            # seen combination
    "a small yellow triangle moving left",               # seen
    "a small red circle moving up-right",                # held out: circle x up-right
    "a medium cyan square bouncing vertically",          # held out: cyan x square
    "crimson ball sliding toward the upper right",       # paraphrase wording
    "a huge emerald plus shape, motionless",             # paraphrase wording
]
SCENE_PROMPTS = [
    "a red circle moving left and a small blue square rising",
    "two green stars falling",
    "a big purple cross spinning clockwise, a yellow triangle going right",
]
SCENE_SPLITS = ("binding", "heldout", "count")  # one prompt each, drawn from the split itself
RELATION_PROMPTS = [
    "a red circle above a blue square",
    "a yellow star moving right to the left of a green square moving down",
    "a purple triangle spinning clockwise below an orange circle",
    "a black cross next to a cyan diamond moving up",
]


def main():
    relations = "--relations" in sys.argv[1:]
    scenes = relations or "--scenes" in sys.argv[1:]
    pipe = Pipeline.from_pretrained(SCENES_CHECKPOINT if scenes else None)
    prompts = PROMPTS
    if scenes:
        mine, splits = (RELATION_PROMPTS, RELATION_SPLITS) if relations else (SCENE_PROMPTS, SCENE_SPLITS)
        prompts = mine + [clip_batch(pipe.world, s, 1, seed=0).captions[0] for s in splits]
    videos = pipe.generate(prompts, seed=0)
    stem = "relations_samples" if relations else "scenes_samples" if scenes else "default_samples"
    save_samples(Path(__file__).parent, stem, videos, captions=prompts if scenes else None)
    for prompt, video in zip(prompts, videos):
        print(f"{prompt!r}: {describe_verdict(*judge_prompt(video, prompt, scene=scenes))}")


if __name__ == "__main__":
    main()
