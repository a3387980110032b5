"""Handwritten digits, drawn and read back: a digit written by a person (scikit-learn's digits:
1,797 scans of 8x8 px, the UCI set's test part, by 13 writers) moving over black.

`render` draws a clip from one of the scans of the even rows; `read_clip` reads which digit a
clip shows and how it moves, from the pixels alone and with no model, by glyph_judge's means:
the ink is what differs from the frame's border, its shape (cropped, TEMPLATE px) is compared
by correlation with the scans of the odd rows (other scans by the same writers: the judge never
holds a scan a clip was drawn from), the best one's digit is read, and its edges must be as
sharp as a drawn stroke's, so a blurred digit reads none. `python benchmarks/handwriting_judge.py`
checks it on the real clips.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from glyph_judge import MOTIONS, SHARP, SUPER, ink_of, moving, over, read_motion, shape_of, sharpness
from PIL import Image

DIGITS = "0123456789"
INK = (0.25, 0.6)   # a scan's level (0-1) from which its upscaled ink starts, and where it is whole:
                    # an 8x8 scan scaled up bicubically has no edge, a pen stroke has one
SHOWN = 0.7         # correlation with the judge's best scan below which a shape is no digit at all;
                    # what tells a digit from a blurred one is glyph_judge's SHARP (real clips and
                    # their blurred copies lie either side of it: results/handwriting_judge.md)
TEMPLATE_HEIGHT = 40  # px the judge's scans are drawn at before their shapes are taken
EVEN, ODD = 0, 1    # the rows of the scans: the clips' and the judge's


@lru_cache(maxsize=1)
def scans() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digit scans (n, 8, 8) in [0, 1] and their digits (n,)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images / 16, digits.target


def scans_of(digit: str, rows: int) -> np.ndarray:
    """The scans of `digit` in the EVEN (the clips') or ODD (the judge's) rows."""
    images, target = scans()
    return images[rows::2][target[rows::2] == int(digit)]


def _mask(scan: np.ndarray, size: float) -> np.ndarray:
    """A scan's ink (h, w) in [0, 1], cropped to it and scaled to `size` px high, with pen-like
    edges."""
    ys, xs = np.nonzero(scan > 0)
    crop = scan[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    scale = size / crop.shape[0]
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    big = np.asarray(Image.fromarray(crop).resize((w, h), Image.Resampling.BICUBIC))
    return np.clip((big - INK[0]) / (INK[1] - INK[0]), 0, 1)


def render(digit: str, motion: str, rng: np.random.Generator) -> np.ndarray:
    """(FRAMES, SIZE, SIZE, 3) uint8: one of the clips' scans of `digit` moving as `motion` says,
    in a light colour over black."""
    pool = scans_of(digit, EVEN)
    scan = pool[rng.integers(len(pool))]
    alpha = moving(lambda size: _mask(scan, size * SUPER), motion, rng)
    return over(alpha, rng.uniform(160, 255, 3), np.zeros(3))


@lru_cache(maxsize=1)
def _templates() -> dict[str, np.ndarray]:
    """Each digit's shape in every scan of the judge's rows (n, TEMPLATE, TEMPLATE)."""
    return {d: np.stack([shape_of(_mask(s, TEMPLATE_HEIGHT)) for s in scans_of(d, ODD)]) for d in DIGITS}


def correlations(ink: np.ndarray) -> dict[str, float] | None:
    """Each digit's best correlation of any of its judge's scans with a frame's ink (None: no ink)."""
    shape = shape_of(ink)
    if shape is None:
        return None
    return {d: float((t * shape).sum((1, 2)).max()) for d, t in _templates().items()}


def read_digit(ink: np.ndarray) -> str | None:
    """The digit a frame's ink shows: the best correlated, if it reaches SHOWN with SHARP edges."""
    corr = correlations(ink)
    if corr is None:
        return None
    best = max(corr, key=corr.get)
    return best if corr[best] >= SHOWN and sharpness(ink) >= SHARP else None


def read_clip(video: np.ndarray) -> tuple[str | None, str]:
    """(digit, motion) a clip over black shows: the digit read alike in its first and last frames."""
    first, last = ink_of(video[0]), ink_of(video[-1])
    a, b = read_digit(first), read_digit(last)
    return (a if a == b else None), read_motion(first, last)


def main():
    """Check the judge on the real clips of handwriting.py before it judges a model."""
    from handwriting import HANDWRITING

    HANDWRITING.check_judge(correlations, "handwriting", f"A digit is read at correlation >= SHOWN = {SHOWN} "
                            f"with sharpness >= SHARP = {SHARP}.")


if __name__ == "__main__":
    main()
