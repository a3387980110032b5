"""What the shipped checkpoints drew when they were shipped, and how to compare across machines.

Another CPU rounds floats differently, so the same code and checkpoint may draw clips that
differ in a few levels here and there; a changed model moves whole objects. Clips are compared
by the share of pixels that differ by more than LEVELS in any channel, which must stay under
MAX_SHARE, and by the judge reading the same thing in every clip. The figures behind both
numbers: benchmarks/results/portable_clips.md.

Re-record (only when a checkpoint is replaced on purpose): python tests/shipped_clips.py NAME
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

EXPECTED = Path(__file__).parent / "data" / "shipped_clips.npz"
PROMPTS = {"default": ["a small red circle moving up-right", "a big blue star rotating clockwise",
                       "a medium black cross zigzagging horizontally quickly"],
           "scenes": ["a red circle moving left and a blue square moving down",
                      "two green triangles moving right"],
           "footage": ["a cat, the camera panning left", "old coins, the camera zooming in",
                       "the surface of the moon, the camera panning left"]}  # the last pair held out
SEED = 7
LEVELS = 8         # of 255: a pixel differs when some channel moved further than this
MAX_SHARE = 0.005  # share of differing pixels float rounding may leave


def checkpoint(name: str) -> Path:
    import tinyt2v

    return Path(tinyt2v.__file__).parent / "checkpoints" / name


def draw(name: str, system=None) -> np.ndarray:
    """(N, T, H, W, 3) uint8: the shipped checkpoint NAME's clips of its PROMPTS (or those of
    `system`, a model built from that checkpoint and then changed)."""
    from tinyt2v.pipeline import Pipeline

    pipe = Pipeline.from_pretrained(checkpoint(name))
    if system is not None:
        pipe.system = system.eval()
    return pipe.generate(PROMPTS[name], seed=SEED)


def perturbed(system, share: float = 0.01, seed: int = 0):
    """`system` with Gaussian noise added to every weight, its size `share` of that tensor's
    root mean square: a stand-in for a model that changed (in place; returns it)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in system.parameters():
            p.add_(torch.randn(p.shape, generator=g) * share * p.pow(2).mean().sqrt())
    return system


def verdicts(clips: np.ndarray, name: str) -> list[str]:
    """What the judge reads in each clip (footage: the footage benchmark's own judge)."""
    from tinyt2v.judge import read_clip
    from tinyt2v.judge.scene import read_scene

    if name == "footage":
        subject, motion = footage_reader()
        return [f"{subject(c)} {motion(c)}" for c in clips]
    read = read_scene if name == "scenes" else read_clip
    return [read(c).describe() for c in clips]


def footage_reader():
    """(clip -> the photograph it shows or None, clip -> its camera motion): the footage
    benchmark's judge (benchmarks/footage.py), which the model never saw."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from footage import SUBJECTS, photo, read_motion
    from footage_judge import photo_pyramid, read_subject

    refs = {s: photo_pyramid(np.asarray(photo(s))) for s in SUBJECTS}
    return (lambda clip: read_subject(clip, refs)), read_motion


def differing_share(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels (over clips and frames) where some channel differs by more than LEVELS."""
    return float((np.abs(a.astype(np.int16) - b.astype(np.int16)).max(-1) > LEVELS).mean())


def expected(name: str) -> tuple[np.ndarray, list[str]]:
    with np.load(EXPECTED) as f:
        return f[name], [str(v) for v in f[f"{name}_verdicts"]]


def record(names: list[str]) -> None:
    """Draw and save the clips of the checkpoints `names`, keeping the others' as they are."""
    EXPECTED.parent.mkdir(exist_ok=True)
    saved = dict(np.load(EXPECTED)) if EXPECTED.exists() else {}
    for name in names:
        clips = draw(name)
        saved[name], saved[f"{name}_verdicts"] = clips, np.array(verdicts(clips, name))
        print(name, list(saved[f"{name}_verdicts"]))
    np.savez_compressed(EXPECTED, **saved)


if __name__ == "__main__":
    sys.exit(record(sys.argv[1:] or list(PROMPTS)))
