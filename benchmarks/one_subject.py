"""A dataset of one subject per clip moving one way over a plain background (glyphs.py,
handwriting.py): its (subject, motion) pairs, some held out of training, captions in several
wordings, the clips it films and the judge that reads them back; build, measure and grid."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from glyph_judge import MOTIONS
from read_back import dataset_parser, measure_readings, read_clips, run, sample_grid, write_clips

MOTION_WORDS = {"left": ["moving left", "sliding to the left", "drifting leftwards"],
                "right": ["moving right", "sliding to the right", "drifting rightwards"],
                "up": ["moving up", "sliding upwards", "rising"],
                "down": ["moving down", "sliding downwards", "falling"],
                "grow": ["growing", "getting bigger", "swelling"],
                "shrink": ["shrinking", "getting smaller", "dwindling"],
                "still": ["standing still", "not moving", "staying put"]}
REAL_PER_PAIR = 4  # real clips per pair, for the judge's own check


@dataclass(frozen=True)
class OneSubject:
    name: str            # runs/NAME and results/NAME by default
    title: str           # the results' title: what the clips show
    subject: str         # what a subject is called in the results ("character", "digit")
    subjects: str        # the subjects, one character each (a clip file is named by its index)
    subject_words: dict  # subject -> its wordings
    heldout: frozenset   # (subject, motion) pairs no training clip shows
    seed: int            # of the random draws that film the clips and word their captions
    film: Callable       # (subject, motion, rng) -> a clip (T, H, W, 3) uint8
    read: Callable       # a clip -> (subject or None, motion), the judge's reading
    per_prompt: int      # clips `measure` draws per (subject, motion)

    def caption(self, subject: str, motion: str, rng: np.random.Generator | None = None) -> str:
        """A wording of the pair: drawn at random with `rng`, else the first of each."""
        pick = (lambda ws: ws[rng.integers(len(ws))]) if rng is not None else (lambda ws: ws[0])
        return f"{pick(self.subject_words[subject])} {pick(MOTION_WORDS[motion])}"

    def pairs(self) -> list[tuple[str, str]]:
        return [(s, m) for s in self.subjects for m in MOTIONS]

    def kinds(self) -> dict[str, list[tuple[str, str]]]:
        return {"seen": [p for p in self.pairs() if p not in self.heldout], "held out": sorted(self.heldout)}

    def build(self, out: Path, per_pair: int) -> None:
        """Training clips of every pair but the held-out ones, and real clips of every pair for
        measuring, each wording drawn at random, with a manifest.csv each."""
        rng = np.random.default_rng(self.seed)
        write_clips(out, (("train", self.kinds()["seen"], per_pair, ".mp4"),
                          ("real", self.pairs(), REAL_PER_PAIR, ".mp4")), self.subjects,
                    lambda s, m: (self.film(s, m, rng), self.caption(s, m, rng)))

    def real_clips(self, root: Path) -> dict[tuple[str, str], list[np.ndarray]]:
        return read_clips(root / "real", self.pairs(), self.subjects)

    def measure(self, args) -> None:
        """The judge on the real clips, then each checkpoint's clips for seen and held-out pairs,
        each prompt in a wording drawn at random."""
        rng = np.random.default_rng(0)
        prompts = {p: [self.caption(*p, rng) for _ in range(args.per_prompt)] for p in self.pairs()}
        measure_readings(args, self.real_clips(Path(args.data)), self.kinds(), self.read, prompts,
                         f"{self.title}: {self.subject} and motion",
                         f"a blob of the right colours: must read no {self.subject}",
                         f"{args.per_prompt} clips per prompt, each in a wording drawn at random; chance: "
                         f"motion 1/{len(MOTIONS)}, {self.subject} 1/{len(self.subjects)}.",
                         values=((self.subject, self.subjects), ("motion", MOTIONS)))

    def grid(self, args) -> None:
        """Real clips of three held-out and three seen pairs, each beside the model's clip."""
        from tinyt2v.pipeline import Pipeline

        pairs = sorted(self.heldout)[:3] + self.kinds()["seen"][::11][:3]
        real = self.real_clips(Path(args.data))
        sample_grid(Pipeline.from_pretrained(args.checkpoint), [self.caption(*p) for p in pairs],
                    [real[p][0] for p in pairs], Path(args.out), args.temperature)

    def check_judge(self, correlations: Callable, judge: str, notes: str) -> None:
        """The judge's measures on the real clips (--data), before it judges a model: from a
        frame's ink, `correlations` gives each subject's; the right subject's, the best wrong
        one's and the edges' sharpness, in the first and last frames and in them blurred."""
        import argparse

        from common import command_line, save
        from glyph_judge import ink_of, sharpness
        from read_back import blurred

        ap = argparse.ArgumentParser(description=f"Check the {judge} judge on the real clips")
        ap.add_argument("--data", default=f"runs/{self.name}", help=f"what `{self.name}.py build` wrote")
        args = ap.parse_args()
        measured = {k: [] for k in ("right", "wrong", "sharp", "blur_right", "blur_sharp")}
        for (subject, _), videos in self.real_clips(Path(args.data)).items():
            for video in videos:
                soft = blurred(video)
                for frame, blur in ((video[0], soft[0]), (video[-1], soft[-1])):
                    for ink, pre in ((ink_of(frame), ""), (ink_of(blur), "blur_")):
                        corr = correlations(ink)
                        measured[pre + "right"].append(corr[subject])
                        measured[pre + "sharp"].append(sharpness(ink))
                        if not pre:
                            measured["wrong"].append(max(v for c, v in corr.items() if c != subject))
        it = self.subject
        names = {"right": f"correlation with its own {it}", "wrong": f"with the best other {it}",
                 "sharp": "sharpness", "blur_right": f"blurred (3 px): correlation with its own {it}",
                 "blur_sharp": "blurred (3 px): sharpness"}
        rows = [dict(measure=names[k], frames=len(v), min=float(np.min(v)), median=float(np.median(v)),
                     max=float(np.max(v))) for k, v in measured.items()]
        save(f"{self.name}_judge", rows, f"The {judge} judge on real clips: first and last frames", command_line(),
             notes=notes)

    def main(self, description: str) -> None:
        ap, _, _ = dataset_parser(description, f"runs/{self.name}", per_pair=15, per_prompt=self.per_prompt,
                                  save_as=self.name)
        run(ap, self.build, self.measure, self.grid)
