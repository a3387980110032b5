"""Characters moving over photographs (the footage issue's dataset (c)): an object layer over a
real, textured background, to check that a model trained on people's own clips draws the object
named, moving as the caption says, over the photograph named.

    python benchmarks/objects.py build --out runs/objects
    tinyt2v train --data videos:runs/objects/train/manifest.csv --cpu-minutes 30 --threads 2 \\
        --out runs/objects-run  # layer-flow, an object layer read off the clips
    python benchmarks/objects.py measure --checkpoint runs/objects-run/checkpoint
    python benchmarks/objects.py by-photo --checkpoint runs/objects-run/checkpoint
    python benchmarks/objects.py layers --checkpoint runs/objects-run/checkpoint

The glyphs of glyphs.py (8 characters; 20 faces, all but ExtraLight; 7 motions; the same
held-out pairs) in a colour that stands out from the photograph, over a still window of one of four photographs: "the
letter K sliding to the left over a cup of coffee". The judge (`object_judge.py`) finds the
photograph's window, reads the glyph as what differs from it, and is checked on the real clips
first.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from common import command_line, save
from footage import SUBJECTS as PHOTO_WORDS
from footage import photo
from glyph_judge import CHARACTERS, MOTIONS, coverage, fonts, over, read_clip, read_inks
from glyphs import GLYPHS, HELDOUT, MOTION_WORDS, SUBJECT_WORDS, all_pairs, real_clips
from object_judge import Backgrounds, window
from read_back import dataset_parser, measure_readings, run, sample_grid, write_clips

PHOTOS = ("coffee", "chelsea", "astronaut", "rocket")
SHARE = (0.45, 0.65)  # a clip's window side, as a share of its photograph's short side
COLOURS_TRIED = 16    # a glyph's colour is the one of this many random ones farthest from the
                      # photograph's colours where the glyph goes (their 10th percentile distance)
SEED = 13


def caption(subject: str, motion: str, background: str, rng: np.random.Generator | None = None) -> str:
    """A wording of the pair over the photograph: drawn at random with `rng`, else the first of each."""
    pick = (lambda ws: ws[rng.integers(len(ws))]) if rng is not None else (lambda ws: ws[0])
    return f"{pick(SUBJECT_WORDS[subject])} {pick(MOTION_WORDS[motion])} over {PHOTO_WORDS[background]}"


def _standing_out(under: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A colour (3,) far from most of the colours of `under` (N, 3)."""
    tried = rng.uniform(0, 255, (COLOURS_TRIED, 3))
    far = [np.percentile(np.linalg.norm(under - c, axis=-1), 10) for c in tried]
    return tried[int(np.argmax(far))]


def film(ch: str, motion: str, background: str, faces, rng: np.random.Generator) -> np.ndarray:
    """(FRAMES, SIZE, SIZE, 3) uint8: the glyph moving over a still window of the photograph, in
    a colour that stands out from what it passes over."""
    im = photo(background)
    side = rng.uniform(*SHARE) * min(im.size)
    left, top = rng.uniform(0, im.size[0] - side), rng.uniform(0, im.size[1] - side)
    under = window(im, (left, top, left + side, top + side))
    alpha = coverage(ch, motion, faces, rng)
    return over(alpha, _standing_out(under[alpha.max(0) > 0.05], rng), under)


def build(out: Path, per_pair: int) -> None:
    """Training clips of every pair but the held-out ones (.mp4, as people's clips come), and
    real clips of every pair for checking the judge (PNG frames: a video codec keeps colour at
    every other pixel only, and a glyph's thin strokes over a photograph lose their colour in it),
    over a photograph drawn at random, each wording drawn at random."""
    rng = np.random.default_rng(SEED)
    faces = [f for f in fonts() if "ExtraLight" not in f.name]  # 1 px strokes: a pixel of them is
    # more photograph than glyph, and no judge reads them over a textured photograph

    def clip(subject: str, motion: str):
        background = PHOTOS[rng.integers(len(PHOTOS))]
        return film(subject, motion, background, faces, rng), caption(subject, motion, background, rng)

    write_clips(out, (("train", GLYPHS.kinds()["seen"], per_pair, ".mp4"),
                      ("real", all_pairs(), 4, "")), CHARACTERS, clip)


def judge() -> Backgrounds:
    return Backgrounds({name: photo(name) for name in PHOTOS})


def measure(args) -> None:
    """The judge on the real clips, then each checkpoint's clips for seen and held-out pairs,
    each prompt in a wording and over a photograph drawn at random."""
    kinds = GLYPHS.kinds()
    rng = np.random.default_rng(0)
    prompts = {p: [caption(*p, PHOTOS[rng.integers(len(PHOTOS))], rng) for _ in range(args.per_prompt)]
               for p in all_pairs()}
    measure_readings(args, real_clips(Path(args.data)), kinds, judge().read_clip, prompts,
                     "Characters over photographs: character and motion",
                     "the glyph's colours and place without its shape: must read no character",
                     f"{args.per_prompt} clips per prompt, each in a wording and over a photograph drawn at "
                     f"random; chance: motion 1/{len(MOTIONS)}, character 1/{len(CHARACTERS)}.",
                     values=(("character", CHARACTERS), ("motion", MOTIONS)))


def grid(args) -> None:
    """Real clips of held-out and seen pairs, each beside the model's clip for the real clip's
    own caption (so the same photograph is asked for)."""
    import csv

    from tinyt2v.io import read_video
    from tinyt2v.pipeline import Pipeline

    real = Path(args.data) / "real"
    with open(real / "manifest.csv", newline="") as f:
        caption_of = {r["path"]: r["text"] for r in csv.DictReader(f)}
    pairs = sorted(HELDOUT)[:3] + GLYPHS.kinds()["seen"][::11][:3]
    names = [f"{CHARACTERS.index(s)}_{m}_0" for s, m in pairs]
    sample_grid(Pipeline.from_pretrained(args.checkpoint), [caption_of[n] for n in names],
                [read_video(real / n) for n in names], Path(args.out), args.temperature)


def by_photo(args) -> None:
    """Each checkpoint's clips read back per photograph: every pair over every photograph, in a
    wording drawn at random. Over a photograph whose canvas the model draws worse, the judge
    finds less of the glyph."""
    from tinyt2v.pipeline import Pipeline

    rng, read_clip = np.random.default_rng(0), judge().read_clip
    rows = []
    for checkpoint in args.checkpoint:
        pipe = Pipeline.from_pretrained(checkpoint)
        for background in PHOTOS:
            pairs = [p for p in all_pairs() for _ in range(args.per_photo)]
            clips = pipe.generate([caption(*p, background, rng) for p in pairs], seed=1)
            read = [read_clip(v) for v in clips]
            rows.append(dict(checkpoint=checkpoint, photograph=background, clips=len(pairs),
                             character=float(np.mean([r[0] == p[0] for r, p in zip(read, pairs)])),
                             motion=float(np.mean([r[1] == p[1] for r, p in zip(read, pairs)])),
                             no_character=float(np.mean([r[0] is None for r in read]))))
    save(args.save_as, rows, "Characters over photographs: read back per photograph", command_line(),
         notes=f"Every (character, motion) pair, seen and held out, {args.per_photo} per photograph; "
               "no_character: clips in which the judge reads no character.")


def layers(args) -> None:
    """Where a checkpoint's misses come from, per photograph: its clips read as the judge reads
    them (clip); the object's coverage alone, white over black, read as a glyph over a plain
    colour (coverage); and the clips read against the canvas the model drew instead of the
    photograph's window the judge finds (on canvas). Coverage low: the shape is drawn wrong;
    clip below the others: the canvas differs from the photograph, or the colour hardly shows on
    it. colour_shows: median over clips of how far the painted colour lies from the nearest
    tenth of the canvas pixels the object covers (`object_layer.shows`; grey levels, 0-441)."""
    import torch

    from tinyt2v.io import to_uint8
    from tinyt2v.models.object_layer import as_clip, paint, shows
    from tinyt2v.pipeline import Pipeline

    rng, backgrounds = np.random.default_rng(0), judge()
    pipe = Pipeline.from_pretrained(args.checkpoint)
    rows, right = [], {}
    for background in PHOTOS:
        pairs = [p for p in all_pairs() for _ in range(args.per_photo)]
        texts = [pipe.understand(caption(*p, background, rng)).text for p in pairs]
        with torch.no_grad():
            canvas, (alpha, colour) = pipe.system.layers(texts, torch.Generator().manual_seed(1))
        clips, drawn = to_uint8(paint(alpha, colour, canvas)), to_uint8(canvas).astype(np.float32)
        read = {"clip": [backgrounds.read_clip(v) for v in clips],
                "coverage": [read_clip(v) for v in to_uint8(as_clip(alpha))],
                "on canvas": [read_inks(backgrounds.ink(v[0], u[0]), backgrounds.ink(v[-1], u[-1]))
                              for v, u in zip(clips, drawn)]}
        row = dict(photograph=background, clips=len(pairs))
        for i, measure in enumerate(("character", "motion")):
            for how, got in read.items():
                hits = [r[i] == p[i] for r, p in zip(got, pairs)]
                right.setdefault((measure, how), []).extend(hits)
                row[f"{measure} ({how})"] = float(np.mean(hits))
        row["colour_shows"] = float(shows(alpha, colour[:, None], canvas).median() * 127.5)
        rows.append(row)
    rows.append(dict(photograph="all", clips=sum(r["clips"] for r in rows),
                     **{f"{m} ({how})": float(np.mean(h)) for (m, how), h in right.items()},
                     colour_shows=float(np.median([r["colour_shows"] for r in rows]))))
    save(args.save_as, rows, "Characters over photographs: each layer read back", command_line(),
         notes=f"{args.checkpoint}; every (character, motion) pair, seen and held out, {args.per_photo} per "
               "photograph, in a wording drawn at random. colour_shows of all: the median of the photographs'.")


def main():
    ap, sub, _ = dataset_parser(__doc__.split("\n")[0], "runs/objects", per_pair=15, per_prompt=25,
                                save_as="objects")
    p = sub.add_parser("by-photo", help="a checkpoint's clips read back per photograph")
    p.add_argument("--checkpoint", action="append", default=[], help="repeat to compare models")
    p.add_argument("--per-photo", type=int, default=2, help="clips per pair and photograph")
    p.add_argument("--save-as", default="objects_by_photo", help="results/NAME.md and .json")
    p = sub.add_parser("layers", help="a checkpoint's clips, coverage and canvas read back apart")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--per-photo", type=int, default=2, help="clips per pair and photograph")
    p.add_argument("--save-as", default="objects_layers", help="results/NAME.md and .json")
    run(ap, build, measure, grid, **{"by-photo": by_photo, "layers": layers})


if __name__ == "__main__":
    main()
