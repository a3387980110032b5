"""Which photograph a clip shows, read from the picture's structure, not its colours.

A clip shows a subject when its frames are a view of that subject's photograph: for frames 0
and T-1, the best normalised cross-correlation (scikit-image's `match_template`) of the frame's
fine structure (grey level minus its Gaussian blur) with the photograph's, over every position
and over the scales a window can have, times the frame's contrast there relative to the
photograph's (`likeness`). A blurry blob of the right colours keeps too little of the structure
and fails; a smeared mix of two photographs correlates with neither. The subject read is the
photograph most alike, if its likeness reaches `SHOWN`; below it, none.

Nothing here is what the model measures (it measures a camera track by Lucas-Kanade; this
matches frames against the source photographs, which the model never sees).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.feature import match_template

SIDE = 32           # frames are compared at this side (half the clip's 64 px): cheaper, and
                    # tolerant of a scale a step off
FINE = 1.0          # the structure compared is the band between Gaussian blurs of FINE / 2 and
                    # 2 * FINE px (at SIDE): detail a blur of the picture loses
WINDOW = (0.27, 0.65)  # a frame's window side as a share of the photo's short side, at the
                       # extremes of the footage benchmark's camera (zoomed in or out)
SCALES = 10         # window sides tried, evenly in log between those
SHOWN = 0.6         # correlation from which a subject counts as shown (benchmarks/results/
                    # footage_judge.md: real clips and their blurred copies either side of it)


def fine_structure(grey: np.ndarray) -> np.ndarray:
    g = grey.astype(np.float32)
    return ndimage.gaussian_filter(g, FINE / 2) - ndimage.gaussian_filter(g, 2 * FINE)


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32).mean(-1) / 255.0


def photo_pyramid(photo: np.ndarray) -> list[np.ndarray]:
    """(H, W, 3) uint8 photograph -> its fine structure at each scale where a window of the
    photograph becomes SIDE px."""
    grey = _grey(photo)
    short = min(grey.shape)
    out = []
    for share in np.geomspace(*WINDOW, SCALES):
        zoom = SIDE / (share * short)
        out.append(fine_structure(ndimage.zoom(ndimage.gaussian_filter(grey, 0.4 / zoom), zoom, order=1)))
    return out


def frame_structure(frame: np.ndarray) -> np.ndarray:
    """(64, 64, 3) uint8 frame -> its fine structure at SIDE px."""
    grey = _grey(frame)
    small = grey.reshape(SIDE, grey.shape[0] // SIDE, SIDE, grey.shape[1] // SIDE).mean((1, 3))
    return fine_structure(small)


def likeness(frame: np.ndarray, pyramid: list[np.ndarray]) -> float:
    """How much of a photograph's structure the frame shows where it matches best: the
    correlation there times the frame's contrast relative to the photograph's (at most 1). A
    blurred frame correlates (correlation ignores contrast) but has too little contrast left;
    a wrong photograph does not correlate."""
    best, window = -np.inf, None
    for level in pyramid:
        corr = match_template(level, frame)
        y, x = np.unravel_index(np.argmax(corr), corr.shape)
        if corr[y, x] > best:
            best, window = corr[y, x], level[y:y + SIDE, x:x + SIDE]
    return float(best * min(1.0, frame.std() / max(float(window.std()), 1e-9)))


def correlations(video: np.ndarray, pyramids: dict[str, list[np.ndarray]]) -> dict[str, float]:
    """Each subject's `likeness` to the clip's first and last frames (their mean)."""
    frames = [frame_structure(video[0]), frame_structure(video[-1])]
    return {s: float(np.mean([likeness(f, pyr) for f in frames])) for s, pyr in pyramids.items()}


def read_subject(video: np.ndarray, pyramids: dict[str, list[np.ndarray]]) -> str | None:
    """The subject the clip shows, or None when no photograph's structure is there."""
    corr = correlations(video, pyramids)
    best = max(corr, key=corr.get)
    return best if corr[best] >= SHOWN else None


def main():
    """Check the judge on the real clips of the footage benchmark before it judges a model: the
    right photograph's correlation, the best wrong one's, and the right one's on the clip blurred."""
    import argparse
    from pathlib import Path

    from common import command_line, save
    from footage import SUBJECTS, photo
    from read_back import blurred

    from tinyt2v.io import read_video

    ap = argparse.ArgumentParser(description=main.__doc__.split(";")[0])
    ap.add_argument("--data", default="runs/footage", help="what `footage.py build` wrote")
    args = ap.parse_args()
    pyramids = {s: photo_pyramid(np.asarray(photo(s))) for s in SUBJECTS}
    right, wrong, blur = [], [], []
    for path in sorted((Path(args.data) / "real").glob("*.mp4")):
        subject = next(s for s in SUBJECTS if path.name.startswith(s + "_"))
        video = read_video(path)
        corr = correlations(video, pyramids)
        right.append(corr[subject])
        wrong.append(max(v for s, v in corr.items() if s != subject))
        blur.append(max(correlations(blurred(video), pyramids).values()))
    rows = []
    for name, values in (("the clip's own photograph", right), ("the best other photograph", wrong),
                         ("any photograph, the clip blurred (3 px)", blur)):
        v = np.array(values)
        rows.append(dict(correlation_with=name, clips=len(v), min=float(v.min()), median=float(np.median(v)),
                         max=float(v.max()), share_at_or_above_shown=float((v >= SHOWN).mean())))
    save("footage_judge", rows, "The footage judge's subject reading on real clips", command_line(),
         notes=f"SHOWN = {SHOWN}: a subject is read only at or above it. Real clips of the footage "
               "benchmark (every subject x motion, 4 each).")


if __name__ == "__main__":
    main()
