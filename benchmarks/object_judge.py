"""Glyphs moving over photographs, read back: which character a clip shows and how it moves.

The background is found first, with no model: the window of one of the dataset's photographs
that the frame shows (scikit-image's `match_template` on grey levels at half size, over the
window sizes a clip can have, then refined below a pixel by the least median difference at full
size). The glyph is what differs from that window: each pixel a mix of the glyph's one colour
and the window's (`Backgrounds.ink`). Its shape, its edges and its motion are read as `glyph_judge` reads
a glyph over a plain colour: a blurred glyph keeps its place and colours but reads no character.
The model measures its layers otherwise (Lucas-Kanade, correlation with its own atlas) and never
sees the photographs. `python benchmarks/objects.py measure` checks this on the real clips first.
"""
from __future__ import annotations

import numpy as np
from glyph_judge import MIN_CONTRAST, SIZE, main_part, read_inks
from PIL import Image
from skimage.feature import match_template

HALF = SIZE // 2        # frames are searched at this side
WINDOW = (0.3, 0.85)    # window sides searched, as a share of the photo's short side (the
                        # dataset's are 0.45-0.65; a model's may stray)
SCALES = 24             # window sides tried, evenly in log between those
REFINE = 4              # rounds of the refinement, each at half the last one's step
OFF_MIX = 40            # grey levels a pixel may lie off the mix of glyph and window and still be
                        # read as one: beyond, it is the window's own edge a little misplaced
BODY = 99.5             # percentile of the distance from the window above which pixels are
                        # the glyph's body: a shrunk glyph covers 1% of a frame


def window(photo: Image.Image, box: tuple[float, float, float, float]) -> np.ndarray:
    """The photograph's box (left, top, right, bottom in its px) as a SIZE x SIZE frame (float),
    sampled as the dataset films it."""
    return np.asarray(photo.transform((SIZE, SIZE), Image.Transform.EXTENT, box, Image.Resampling.BILINEAR),
                      np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Brightness of colours (..., 3) in grey levels, as a video codec weighs them (Rec. 601)."""
    return rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


class Backgrounds:
    """The dataset's photographs, each at every searched size."""

    def __init__(self, photos: dict[str, Image.Image]):
        self.photos = photos
        self.levels = []  # (name, px per photo px, grey photo at that size)
        for name, im in photos.items():
            grey = np.asarray(im.convert("L"), np.float32) / 255
            for share in np.geomspace(*WINDOW, SCALES):
                zoom = HALF / (share * min(im.size))
                small = Image.fromarray(grey).resize((round(im.size[0] * zoom), round(im.size[1] * zoom)),
                                                     Image.Resampling.BOX)
                self.levels.append((name, zoom, np.asarray(small)))

    def find(self, frame: np.ndarray) -> np.ndarray:
        """The photograph's window (SIZE, SIZE, 3) a frame (SIZE, SIZE, 3 uint8) shows: at each
        size the best-correlated place in each photograph, of which the one whose colours differ
        least (correlation ignores brightness: a plain sky correlates anywhere), refined."""
        f = frame.astype(np.float32)
        grey = f.mean(-1).reshape(HALF, 2, HALF, 2).mean((1, 3)) / 255
        best = (np.inf, None)
        for name, zoom, level in self.levels:
            corr = match_template(level, grey)
            y, x = np.unravel_index(np.argmax(corr), corr.shape)
            box = (x / zoom, y / zoom, (x + HALF) / zoom, (y + HALF) / zoom)
            diff = float(np.median(np.abs(f - window(self.photos[name], box))))
            if diff < best[0]:
                best = (diff, (name, box))
        name, box = best[1]
        return self._refine(f, self.photos[name], *box[:2], box[2] - box[0])

    @staticmethod
    def _refine(frame: np.ndarray, photo: Image.Image, left: float, top: float, side: float) -> np.ndarray:
        """The window near (left, top, side) that differs least from the frame (the median over
        px, so the glyph does not count): steps of half a search px in place and size, then
        halved, REFINE times."""
        step = side / HALF / 2  # half a search px, in photo px
        box = np.array([left, top, left + side, top + side])
        best = (float(np.median(np.abs(frame - window(photo, tuple(box))))), box)
        for _ in range(REFINE):
            centre = best[1]
            for ds in (-step, 0.0, step):
                for dy in (-step, 0.0, step):
                    for dx in (-step, 0.0, step):
                        tried = centre + np.array([dx - ds / 2, dy - ds / 2, dx + ds / 2, dy + ds / 2])
                        diff = float(np.median(np.abs(frame - window(photo, tuple(tried)))))
                        if diff < best[0]:
                            best = (diff, tried)
            step /= 2
        return window(photo, tuple(best[1]))

    def ink(self, frame: np.ndarray, under: np.ndarray) -> np.ndarray:
        """How much of each pixel (SIZE, SIZE) in [0, 1] is glyph: the frame is the glyph's one
        colour over the photograph's window in that share (a x glyph + (1 - a) x window, a by
        least squares), the glyph's colour being that of the pixels farthest from the window.
        None where the frame has no glyph's contrast. under: the window `find` gives."""
        f = frame.astype(np.float32)
        dist = np.linalg.norm(f - under, axis=-1)
        body = dist >= np.percentile(dist, BODY)
        if np.median(dist[body]) < MIN_CONTRAST / 4:
            return np.zeros_like(dist)
        away = np.median(f[body], 0) - under  # (SIZE, SIZE, 3)
        reach = (away * away).sum(-1)
        share = np.clip(((f - under) * away).sum(-1) / np.where(reach < (MIN_CONTRAST / 4) ** 2, np.inf, reach), 0, 1)
        off = np.linalg.norm(f - under - share[..., None] * away, axis=-1)  # what the mix leaves out
        return main_part(np.where(off <= OFF_MIX, share, 0.0))

    def read_clip(self, video: np.ndarray) -> tuple[str | None, str]:
        """(character, motion) a clip of a glyph over a still window of one of the photographs
        shows. The window is found in the clip's median frame, where a moving or growing glyph
        hides less of it."""
        under = self.find(np.median(video, 0))
        return read_inks(self.ink(video[0], under), self.ink(video[-1], under))
