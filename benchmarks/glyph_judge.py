"""Glyph clips, drawn and read back: a character of an installed font moving over a plain colour.

`render` draws a clip; `read_clip` reads which character a clip shows and how it moves, from the
pixels alone and with no model: the background is the colour of the frame's border, the glyph
what differs from it. Its shape (cropped to its extent, scaled to TEMPLATE px on its longer side)
is compared by correlation with every character drawn in every face, and its edges must be as
sharp as a drawn glyph's: a blurred glyph keeps its colours, place and rough shape (it still
correlates) but not its edges, and reads no character. Its centre and area from the first frame
to the last give the motion. `python benchmarks/glyph_judge.py` checks both on the real clips.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
CHARACTERS = "BGKRSZ3&"
MOTIONS = ("left", "right", "up", "down", "grow", "shrink", "still")
STEP = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
FRAMES, SIZE = 16, 64
SUPER = 4            # glyphs are drawn at 4x and averaged down: quarter-pixel places, soft edges
HEIGHT = (22, 30)    # a glyph's font size at its smallest (px)
GROW = 1.6           # its size at the end over the start, growing
TRAVEL = 18          # px a moving glyph travels over a clip
MIN_CONTRAST = 90    # grey levels between the glyph's colour and the background's, at least
TEMPLATE = 24        # px a glyph's shape is compared at
MARGIN = 3           # px around a glyph's largest inked part in which ink counts as its (`main_part`):
                     # a thin stroke may part from it; a speck of mismatch far off is no glyph
SHOWN = 0.75         # correlation from which a character counts as shown ...
SHARP = 0.28         # ... if its edges are this sharp (`sharpness`; real clips and their blurred
                     # copies either side of it: results/glyphs_judge.md)


@lru_cache(maxsize=1)
def fonts() -> tuple[Path, ...]:
    faces = tuple(sorted(p for p in FONT_DIR.glob("DejaVu*.ttf") if "Math" not in p.name))
    if not faces:
        raise SystemExit(f"no DejaVu fonts in {FONT_DIR}: apt install fonts-dejavu-core")
    return faces


def _mask(ch: str, face: Path, size: float) -> np.ndarray:
    """The glyph's coverage (h, w) in [0, 1] at font size `size` * SUPER, cropped to its ink."""
    font = ImageFont.truetype(str(face), size=max(4, round(size * SUPER)))
    left, top, right, bottom = font.getbbox(ch)
    im = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(im).text((-left, -top), ch, font=font, fill=255)
    return np.asarray(im, np.float32) / 255


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    while True:
        bg, fg = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        if abs(bg.mean() - fg.mean()) >= MIN_CONTRAST:
            return bg, fg


def coverage(ch: str, motion: str, faces: Sequence[Path], rng: np.random.Generator) -> np.ndarray:
    """(FRAMES, SIZE, SIZE) in [0, 1]: how much of each pixel `ch` covers, in a random face and
    size, moving as `motion` says, always whole in the frame."""
    face = faces[rng.integers(len(faces))]
    return moving(lambda size: _mask(ch, face, size), motion, rng)


def moving(mask_at: Callable[[float], np.ndarray], motion: str, rng: np.random.Generator) -> np.ndarray:
    """(FRAMES, SIZE, SIZE) in [0, 1]: a shape (`mask_at(size)`: its coverage, SUPER times over,
    at a size drawn from HEIGHT, a font size for a glyph) at a random place, moving as `motion`
    says, always whole in the frame."""
    size = rng.uniform(*HEIGHT) * np.ones(FRAMES)
    if motion in ("grow", "shrink"):
        size *= GROW ** np.linspace(0, 1, FRAMES)[:: 1 if motion == "grow" else -1]
    masks = [mask_at(s) for s in size]
    extent = np.max([m.shape for m in masks], 0)[::-1] / SUPER  # (w, h) px at the largest
    path = np.outer(np.linspace(0, 1, FRAMES), STEP.get(motion, (0, 0))) * TRAVEL
    lo = extent / 2 + 1 - path.min(0)
    hi = SIZE - extent / 2 - 1 - path.max(0)
    centre = lo + rng.random(2) * np.maximum(hi - lo, 0) + path  # (FRAMES, 2): x, y
    out = []
    for m, (x, y) in zip(masks, centre):
        canvas = np.zeros((SIZE * SUPER, SIZE * SUPER), np.float32)
        top, left = round(y * SUPER - m.shape[0] / 2), round(x * SUPER - m.shape[1] / 2)
        canvas[top:top + m.shape[0], left:left + m.shape[1]] = m
        out.append(canvas.reshape(SIZE, SUPER, SIZE, SUPER).mean((1, 3)))
    return np.stack(out)


def over(alpha: np.ndarray, fg: np.ndarray, under: np.ndarray) -> np.ndarray:
    """Coverage (FRAMES, SIZE, SIZE) of colour fg (3,) over `under` (a colour (3,) or frames
    (FRAMES, SIZE, SIZE, 3)): uint8 frames."""
    a = alpha[..., None]
    return (under * (1 - a) + fg * a).round().astype(np.uint8)


def render(ch: str, motion: str, faces: Sequence[Path], rng: np.random.Generator) -> np.ndarray:
    """(FRAMES, SIZE, SIZE, 3) uint8: `ch` (`coverage`) in a random colour over another plain
    colour."""
    alpha = coverage(ch, motion, faces, rng)
    bg, fg = _colours(rng)
    return over(alpha, fg, bg)


def ink_of(frame: np.ndarray) -> np.ndarray:
    """How far each pixel is from the frame's border colour, scaled to 1 at the glyph's body."""
    f = frame.astype(np.float32)
    border = np.concatenate([f[0], f[-1], f[:, 0], f[:, -1]])
    dist = np.linalg.norm(f - np.median(border, 0), axis=-1)
    body = np.percentile(dist, 99)
    return np.clip(dist / body, 0, 1) if body > MIN_CONTRAST / 4 else np.zeros_like(dist)


def main_part(ink: np.ndarray) -> np.ndarray:
    """The ink within MARGIN px of the box around its largest connected part over half."""
    parts, n = ndimage.label(ink > 0.5, structure=np.ones((3, 3)))
    if n == 0:
        return ink
    largest = 1 + int(np.argmax(ndimage.sum_labels(np.ones_like(ink), parts, range(1, n + 1))))
    ys, xs = np.nonzero(parts == largest)
    keep = np.zeros_like(ink)
    keep[max(0, ys.min() - MARGIN):ys.max() + MARGIN + 1, max(0, xs.min() - MARGIN):xs.max() + MARGIN + 1] = 1
    return ink * keep


def shape_of(ink: np.ndarray) -> np.ndarray | None:
    """The ink cropped to where it is over half, scaled to TEMPLATE px on its longer side and
    centred in a TEMPLATE square, less its mean, norm 1 (None: no ink)."""
    ys, xs = np.nonzero(ink > 0.5)
    if len(ys) < 4:
        return None
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = TEMPLATE / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray(crop).resize((w, h), Image.Resampling.BILINEAR))
    square = np.zeros((TEMPLATE, TEMPLATE), np.float32)
    top, left = (TEMPLATE - h) // 2, (TEMPLATE - w) // 2
    square[top:top + h, left:left + w] = small
    square -= square.mean()
    return square / max(float(np.linalg.norm(square)), 1e-9)


@lru_cache(maxsize=1)
def _templates() -> dict[str, np.ndarray]:
    """Each character's shape in every face (n_faces, TEMPLATE, TEMPLATE)."""
    return {ch: np.stack([shape_of(_mask(ch, face, 40)) for face in fonts()]) for ch in CHARACTERS}


def sharpness(ink: np.ndarray) -> float:
    """How sharp the glyph's edges are: the 90th percentile of the ink's change per px over the
    inked pixels (a drawn edge goes from background to glyph in about a pixel)."""
    inked = ink > 0.05
    if inked.sum() < 4:
        return 0.0
    gy, gx = np.gradient(ink)
    return float(np.percentile(np.hypot(gx, gy)[inked], 90))


def correlations(ink: np.ndarray) -> dict[str, float] | None:
    """Each character's best correlation in any face with a frame's ink (None: no ink)."""
    shape = shape_of(ink)
    if shape is None:
        return None
    return {ch: float((t * shape).sum((1, 2)).max()) for ch, t in _templates().items()}


def read_character(ink: np.ndarray) -> tuple[str | None, float]:
    """The character a frame's ink (`ink_of`) shows, by the best correlation of its shape with each
    character's in any face, and that correlation; None when nothing reaches SHOWN or the edges
    are not SHARP."""
    corr = correlations(ink)
    if corr is None:
        return None, 0.0
    best = max(corr, key=corr.get)
    return (best if corr[best] >= SHOWN and sharpness(ink) >= SHARP else None), corr[best]


def _where(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """The glyph's centre (x, y) and area (px) in a frame."""
    mass = ink > 0.5
    ys, xs = np.nonzero(mass)
    if not len(ys):
        return np.array([SIZE / 2, SIZE / 2]), 0.0
    return np.array([xs.mean(), ys.mean()]), float(mass.sum())


def read_motion(first: np.ndarray, last: np.ndarray) -> str:
    """How the glyph moves from the first frame's ink to the last's: its area grown or shrunk by more
    than GROW times (half of a whole growth's GROW squared, in log), else its centre moved by more
    than a third of TRAVEL, else still."""
    (c0, a0), (c1, a1) = _where(first), _where(last)
    ratio = (a1 + 1) / (a0 + 1)
    if ratio > GROW:
        return "grow"
    if ratio < 1 / GROW:
        return "shrink"
    d = c1 - c0
    if np.abs(d).max() < TRAVEL / 3:
        return "still"
    axis = int(abs(d[1]) > abs(d[0]))
    return {(0, 1): "right", (0, -1): "left", (1, 1): "down", (1, -1): "up"}[(axis, int(np.sign(d[axis])))]


def read_inks(first: np.ndarray, last: np.ndarray) -> tuple[str | None, str]:
    """(character, motion) from a clip's first and last frames' ink: the character must be read
    alike in both, else none is."""
    a, b = read_character(first)[0], read_character(last)[0]
    return (a if a == b else None), read_motion(first, last)


def read_clip(video: np.ndarray) -> tuple[str | None, str]:
    """(character, motion) a clip over a plain colour shows."""
    return read_inks(ink_of(video[0]), ink_of(video[-1]))


def main():
    """Check the judge on the real clips of glyphs.py before it judges a model."""
    from glyphs import GLYPHS

    GLYPHS.check_judge(correlations, "glyph", f"A character is read at correlation >= SHOWN = {SHOWN} with "
                       f"sharpness >= SHARP = {SHARP}.")


if __name__ == "__main__":
    main()
