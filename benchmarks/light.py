"""Footage outside the layered class: the footage benchmark's photographs through a moving
camera while the light changes.

    python benchmarks/light.py build --out runs/light
    tinyt2v train --data videos:runs/light/train/manifest.csv --cpu-minutes 30 --threads 2 --out runs/light-run
    python benchmarks/light.py measure --checkpoint runs/light-run/checkpoint
    python benchmarks/explained.py --dataset light=runs/light-run/checkpoint --save-as explained_light

Each clip of footage.py (ten photographs, seven camera motions, the same held-out pairs) is lit
by a light that fades to LOW of itself over the clip, rises from LOW, or stays as it is: "a cat,
the camera panning left, the light fading" (a steady light is not said). A still canvas seen
through a camera draws one light for a whole clip; what changes is left to a residual layer.
`measure` reads the subject (on the clip with its light evened out, `evened`) and the camera's
motion as footage.py does, and the light from the pixels (`read_light`), on the real clips first.
"""
from __future__ import annotations

import numpy as np
from common import command_line, save
from footage import HELDOUT, MOTIONS, SUBJECTS, film, photo, read_motion
from footage_judge import photo_pyramid, read_subject
from read_back import blurred, dataset_parser, read_back, run, sample_grid

LIGHTS = {"fading": ", the light fading", "rising": ", the light rising", "steady": ""}
LOW = 0.45   # the light at a fading clip's end and a rising one's start, as a share of full light
CHANGED = 0.7  # a clip's light changed when its late frames are below this share of its early
               # frames' brightness (fading) or above its inverse (rising): about the square root of
               # LOW, halfway in log (the real clips' light reads right in 99.4% / 95%:
               # benchmarks/results/light_judge.md)
SEED = 11

Key = tuple[str, str, str]  # (subject, motion, light)


def light(video: np.ndarray, kind: str) -> np.ndarray:
    """A clip (T, H, W, 3) uint8 lit as `kind` says, frame by frame."""
    level = {"fading": np.linspace(1, LOW, len(video)), "rising": np.linspace(LOW, 1, len(video)),
             "steady": np.ones(len(video))}[kind]
    return (video * level[:, None, None, None]).round().astype(np.uint8)


def caption(subject: str, motion: str, kind: str) -> str:
    return f"{SUBJECTS[subject]}, {MOTIONS[motion]}{LIGHTS[kind]}"


def keys(pairs) -> list[Key]:
    return [(s, m, k) for s, m in pairs for k in LIGHTS]


def _pairs():
    return [(s, m) for s in SUBJECTS for m in MOTIONS]


def build(out, per_pair: int) -> None:
    """Training clips of every (subject, motion) pair but footage.py's held-out ones, their
    lights taken in turn, and real clips of every (subject, motion, light) for measuring."""
    import sys

    from tinyt2v.io import write_text, write_video

    rng = np.random.default_rng(SEED)
    seen = [p for p in _pairs() if p not in HELDOUT]
    for part, clips in (("train", [(s, m, list(LIGHTS)[i % len(LIGHTS)]) for s, m in seen for i in range(per_pair)]),
                        ("real", [key for key in keys(_pairs()) for _ in range(2)])):
        (out / part).mkdir(parents=True, exist_ok=True)
        rows, images = ["path,text"], {}
        for i, (subject, motion, kind) in enumerate(clips):
            images.setdefault(subject, photo(subject))
            name = f"{subject}_{motion}_{kind}_{i}.mp4"
            write_video(out / part / name, light(film(images[subject], motion, rng), kind), fps=8)
            rows.append(f'{name},"{caption(subject, motion, kind)}"')
        write_text(out / part / "manifest.csv", "\n".join(rows) + "\n")
        print(f"{part}: {len(rows) - 1} clips in {out / part}", file=sys.stderr)


def read_light(video: np.ndarray) -> str:
    """Fading, rising or steady: the mean brightness of the clip's last quarter against its
    first quarter's."""
    q = max(1, len(video) // 4)
    ratio = video[-q:].astype(np.float32).mean() / max(float(video[:q].astype(np.float32).mean()), 1.0)
    return "fading" if ratio < CHANGED else "rising" if ratio > 1 / CHANGED else "steady"


def evened(video: np.ndarray) -> np.ndarray:
    """The clip with each frame's brightness scaled to its brightest frame's, for the subject's
    judge (which weighs a frame's contrast: a dark frame of the photograph has less): scaling
    brings back no structure a blur took."""
    means = video.astype(np.float32).mean((1, 2, 3))
    gain = means.max() / np.maximum(means, 1.0)
    return (video * gain[:, None, None, None]).clip(0, 255).round().astype(np.uint8)


def _real(root) -> dict[Key, list[np.ndarray]]:
    from tinyt2v.io import read_video

    return {(s, m, k): [read_video(p) for p in sorted((root / "real").glob(f"{s}_{m}_{k}_*.mp4"))]
            for s, m, k in keys(_pairs())}


def measure(args) -> None:
    from pathlib import Path

    from tinyt2v.pipeline import Pipeline

    refs = {s: photo_pyramid(np.asarray(photo(s))) for s in SUBJECTS}
    real = _real(Path(args.data))

    def read(video):
        return read_subject(evened(video), refs), read_motion(video), read_light(video)

    kinds = {"seen": keys(p for p in _pairs() if p not in HELDOUT), "held out": keys(sorted(HELDOUT))}
    columns = ("subject", "motion", "light")
    rows = read_back(None, kinds, real, read, "real clips (the measures' own check)", columns=columns)[0]
    held = kinds["held out"]
    rows += read_back(None, {"held out": held}, {k: [blurred(v) for v in real[k]] for k in held}, read,
                      "real clips blurred (a blob of the right colours: must read no subject)", columns=columns)[0]
    prompts = {key: [caption(*key)] * args.per_prompt for key in keys(_pairs())}
    for checkpoint in args.checkpoint:
        rows += read_back(Pipeline.from_pretrained(checkpoint), kinds, prompts, read,
                          temperature=args.temperature, columns=columns)[0]
    save(args.save_as, rows, "Photographs through a moving camera as the light changes: subject, motion and "
         "light read back", command_line(),
         notes=f"Checkpoints: {', '.join(args.checkpoint)}; {args.per_prompt} clips per prompt (each subject, "
               f"motion and light); chance: light 1/{len(LIGHTS)}, motion 1/{len(MOTIONS)}, subject "
               f"1/{len(SUBJECTS)}.")


def grid(args) -> None:
    """A fading and a rising prompt of a held-out pair and of a seen one, beside real clips."""
    from pathlib import Path

    from tinyt2v.pipeline import Pipeline

    real = _real(Path(args.data))
    chosen = [("chelsea", "zoom_in", "fading"), ("coffee", "pan_up", "rising"),
              ("moon", "pan_right", "fading"), ("astronaut", "zoom_out", "rising")]
    sample_grid(Pipeline.from_pretrained(args.checkpoint), [caption(*k) for k in chosen],
                [real[k][0] for k in chosen], Path(args.out), args.temperature)


if __name__ == "__main__":
    ap, _, _ = dataset_parser(__doc__.split("\n")[0], "runs/light", per_pair=12, per_prompt=4, save_as="light")
    run(ap, build, measure, grid)
