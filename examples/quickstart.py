"""tinyt2v quickstart, top to bottom: generate with the shipped model, let the judge read the
clip, train a small model of your own, and score it. Run it from the repo root:

    python examples/quickstart.py            # about 3 minutes on a 2-core laptop
    python examples/quickstart.py --steps 5  # a smoke run
"""
import argparse

from tinyt2v import Pipeline
from tinyt2v.evaluate import evaluate
from tinyt2v.judge import describe_verdict, format_report, judge_prompt
from tinyt2v.train import TrainConfig, train

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=None, help="train this many steps (default: 2 minutes)")
ap.add_argument("--out", default="runs/quickstart")
args = ap.parse_args()

# 1. The shipped checkpoint: a prompt in, a video out.
pipe = Pipeline.from_pretrained()
prompt = "a small red circle moving up-right"
video = pipe(prompt, seed=0)
print("wrote", video.save("quickstart.mp4"), video.frames.shape)

# 2. The judge reads the pixels back and compares them with the prompt.
print(describe_verdict(*judge_prompt(video.frames, prompt)))

# 3. Train a tiny model of your own on the streamed procedural world (afresh on each run of this example).
cfg = TrainConfig(model="latent-flow", preset="tiny", out=args.out, steps=args.steps, overwrite=True,
                  minutes=None if args.steps else 2.0, sample_every=None)
checkpoint = train(cfg)
print("checkpoint:", checkpoint, "- samples in", f"{args.out}/samples/")

# 4. Score it on combinations it never saw: one clip per prompt, judged.
mine = Pipeline.from_pretrained(checkpoint)
print(format_report(evaluate(mine, "heldout", n=20, seed=0)))
