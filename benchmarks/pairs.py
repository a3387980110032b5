"""Two characters per clip, each moving its own way (the footage issue's dataset (d)): a model must
bind each thing's words to it, "a red K moving left and a blue 3 growing".

    python benchmarks/pairs.py build --out runs/pairs
    tinyt2v train --data videos:runs/pairs/train/manifest.csv \\
        --cpu-minutes 30 --threads 2 --out runs/pairs-run
    python benchmarks/pairs.py measure --checkpoint runs/pairs-run/checkpoint

(With no --model the run is layer-flow with an object layer per glyph; `--model scene-flow`
trains the world's several-object model on the same clips.)

Two different characters of glyphs.py (20 faces; ExtraLight's 1 px strokes are left out), each
in a named colour of its own and with a motion of its own, over a plain dark colour, never
touching. A clip whose either (character, motion) is one of glyphs.py's held-out pairs is held out
of training. The judge reads the clip with no model: the glyphs are what differs from the border
colour, told apart by their colours (two clusters), each read as glyph_judge reads one glyph. A
clip's characters are right when both are read; its motions when each character read moves as
the caption says that character moves (a motion on the wrong character is wrong).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from glyph_judge import (
    CHARACTERS,
    MOTIONS,
    coverage,
    fonts,
    main_part,
    read_character,
    read_motion,
)
from glyphs import HELDOUT, MOTION_WORDS
from read_back import dataset_parser, measure_readings, run, sample_grid
from scipy import ndimage
from scipy.cluster.vq import kmeans2

PALETTE = {"red": (230, 40, 40), "green": (40, 200, 60), "blue": (60, 90, 255), "yellow": (240, 220, 40),
           "white": (245, 245, 245), "pink": (250, 120, 200)}
DARK = 60        # the background's channels lie under this
APART = 2        # px the two glyphs keep between them in every frame
TRIES = 100      # placements drawn before a pair of motions is drawn again
BODY = 120       # grey levels from the background beyond which a pixel is a glyph's body, not
                 # its edge (every colour of the palette is 180 from any background)
SEED = 17

Thing = tuple[str, str, str]  # (colour, character, motion)


NOUNS = {c: [f"letter {c}", f"capital {c}", c] for c in "BGKRSZ"}
NOUNS |= {"3": ["digit 3", "number 3", "3"], "&": ["ampersand", "ampersand sign", "ampersand symbol"]}


def caption(things, rng: np.random.Generator | None = None) -> str:
    """A wording of both things, each "the red letter K moving left": drawn at random with `rng`,
    else the first of each."""
    pick = (lambda ws: ws[rng.integers(len(ws))]) if rng is not None else (lambda ws: ws[0])
    return " and ".join(f"{pick(['the', 'a'])} {colour} {pick(NOUNS[ch])} {pick(MOTION_WORDS[m])}"
                        for colour, ch, m in things)


def _faces():
    return [f for f in fonts() if "ExtraLight" not in f.name]


def film(things: tuple[Thing, Thing], faces, rng: np.random.Generator) -> np.ndarray | None:
    """(FRAMES, SIZE, SIZE, 3) uint8: both glyphs over a plain dark colour, apart in every frame;
    None when no placement of TRIES keeps them apart."""
    for _ in range(TRIES):
        alphas = [coverage(ch, motion, faces, rng) for _, ch, motion in things]
        near = ndimage.binary_dilation(alphas[0] > 0.02, np.ones((1, 2 * APART + 1, 2 * APART + 1)))
        if not (near & (alphas[1] > 0.02)).any():
            break
    else:
        return None
    frames = np.broadcast_to(rng.uniform(0, DARK, 3), (*alphas[0].shape, 3)).astype(np.float32)
    for (colour, _, _), a in zip(things, alphas):
        frames = frames * (1 - a[..., None]) + np.array(PALETTE[colour], np.float32) * a[..., None]
    return frames.round().astype(np.uint8)


def _things(rng: np.random.Generator, held_out: bool) -> tuple[Thing, Thing]:
    """Two things of different characters and colours; with `held_out`, one of them (at least) a
    held-out (character, motion) pair, else neither."""
    while True:
        chars = rng.choice(list(CHARACTERS), 2, replace=False)
        colours = rng.choice(list(PALETTE), 2, replace=False)
        motions = rng.choice(list(MOTIONS), 2)
        things = tuple((str(c), str(ch), str(m)) for c, ch, m in zip(colours, chars, motions))
        if any((ch, m) in HELDOUT for _, ch, m in things) == held_out:
            return things


def build(out: Path, per_pair: int) -> None:
    """Training clips, as many as glyphs.py has (`per_pair` per seen (character, motion) pair),
    none with a held-out pair; and real clips for checking the judge, seen and held out, each
    captioned in a wording drawn at random (their things in things.json)."""
    from tinyt2v.io import write_text, write_video

    rng = np.random.default_rng(SEED)
    faces = _faces()
    seen_pairs = len(CHARACTERS) * len(MOTIONS) - len(HELDOUT)
    for part, n, held in (("train", per_pair * seen_pairs, (False,)), ("real", 112, (False, True))):
        (out / part).mkdir(parents=True, exist_ok=True)
        rows, things_of = ["path,text"], {}
        for i in range(n):
            for h in held:
                things, video = None, None
                while video is None:
                    things = _things(rng, h)
                    video = film(things, faces, rng)
                name = f"{'held' if h else 'seen'}_{i}.mp4"
                write_video(out / part / name, video, fps=8)
                rows.append(f'{name},"{caption(things, rng)}"')
                things_of[name] = things
        write_text(out / part / "manifest.csv", "\n".join(rows) + "\n")
        write_text(out / part / "things.json", json.dumps(things_of, indent=0) + "\n")
        print(f"{part}: {len(rows) - 1} clips in {out / part}", file=sys.stderr)


def _border(frame: np.ndarray) -> np.ndarray:
    f = frame.astype(np.float32)
    return np.median(np.concatenate([f[0], f[-1], f[:, 0], f[:, -1]]), 0)


def _colours(frame: np.ndarray) -> np.ndarray | None:
    """The two glyphs' colours (2, 3): two clusters of the pixels over BODY from the border colour, each
    cluster's colour that of its pixels farthest from it (the edges' mixes pull a mean towards
    the background). None: too little differs."""
    bg = _border(frame)
    f = frame.astype(np.float32)
    dist = np.linalg.norm(f - bg, axis=-1)
    far = f[dist > BODY]
    if len(far) < 8:
        return None
    _, labels = kmeans2(far, 2, seed=0, minit="++")
    out = []
    for k in range(2):
        mine = far[labels == k] if (labels == k).any() else far
        d = np.linalg.norm(mine - bg, axis=-1)
        out.append(np.median(mine[d >= np.percentile(d, 70)], 0))
    return np.stack(out)


def _inks(frame: np.ndarray, colours: np.ndarray) -> list[np.ndarray]:
    """Each glyph's ink (H, W) in [0, 1]: a pixel's share of that glyph's colour over the border
    colour, for the pixels nearer that glyph's line from the background than the other's."""
    bg = _border(frame)
    f = frame.astype(np.float32) - bg
    away = colours - bg  # (2, 3)
    share = np.clip(f @ away.T / (away * away).sum(-1), 0, 1)  # (H, W, 2)
    off = np.linalg.norm(f[..., None, :] - share[..., None] * away, axis=-1)  # from each glyph's line
    nearest = off.argmin(-1)
    return [main_part(share[..., k] * (nearest == k)) for k in range(2)]


Reading = tuple[frozenset, frozenset]  # (characters, (character, motion) pairs)


def read_clip(video: np.ndarray) -> Reading:
    """The characters a clip shows, and each with the motion it has: the glyphs told apart by
    their colours (found in the first frame), each read in the first frame and in the last."""
    colours = _colours(video[0])
    if colours is None:
        return frozenset(), frozenset()
    chars, moves = set(), set()
    for a, b in zip(_inks(video[0], colours), _inks(video[-1], colours)):
        ch = read_character(a)[0]
        if ch is not None and ch == read_character(b)[0]:
            chars.add(ch)
            moves.add((ch, read_motion(a, b)))
    return frozenset(chars), frozenset(moves)


def truth(things) -> Reading:
    return frozenset(ch for _, ch, _ in things), frozenset((ch, m) for _, ch, m in things)


def real_clips(root: Path) -> dict[str, dict[Reading, list[np.ndarray]]]:
    """The real clips by kind (seen, held out) and by what they show."""
    from tinyt2v.io import read_video

    things_of = json.loads((root / "real" / "things.json").read_text())
    out = {"seen": {}, "held out": {}}
    for name, things in things_of.items():
        kind = "held out" if name.startswith("held") else "seen"
        out[kind].setdefault(truth(things), []).append(read_video(root / "real" / name))
    return out


def measure(args) -> None:
    """The judge on the real clips, then each checkpoint's clips for seen and held-out prompts
    drawn at random (`args.per_prompt` of each kind)."""
    real = real_clips(Path(args.data))
    rng = np.random.default_rng(0)
    prompts, kinds = {}, {"seen": [], "held out": []}
    for kind, held in (("seen", False), ("held out", True)):
        for _ in range(args.per_prompt):
            things = _things(rng, held)
            prompts.setdefault(truth(things), []).append(caption(things, rng))
            kinds[kind].append(truth(things))
    measure_readings(args, {k: v for clips in real.values() for k, v in clips.items()},
                     {kind: list(clips) for kind, clips in real.items()}, read_clip, prompts,
                     "Two characters per clip: both characters, and each one's motion",
                     "colours and places without shapes: must read no character",
                     f"{args.per_prompt} prompts per kind, each two (colour, character, motion) drawn at random. "
                     "'subject': both characters read; 'motion': each character read moves as its own words say.",
                     prompt_kinds={k: list(dict.fromkeys(v)) for k, v in kinds.items()})


def grid(args) -> None:
    from tinyt2v.pipeline import Pipeline

    real = real_clips(Path(args.data))
    things_of = json.loads((Path(args.data) / "real" / "things.json").read_text())
    names = [n for n in things_of if n.startswith("held")][:3] + [n for n in things_of if n.startswith("seen")][:3]
    videos = [real["held out" if n.startswith("held") else "seen"][truth(things_of[n])][0] for n in names]
    sample_grid(Pipeline.from_pretrained(args.checkpoint), [caption(things_of[n]) for n in names], videos,
                Path(args.out), args.temperature)


def main():
    ap, _, _ = dataset_parser(__doc__.split("\n")[0], "runs/pairs", per_pair=15, per_prompt=200, save_as="pairs")
    run(ap, build, measure, grid)


if __name__ == "__main__":
    main()
