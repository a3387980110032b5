"""Reading and scoring scenes: clips of several objects.

Reading: each frame's pixels that differ from its median colour split into connected blobs;
blobs are linked frame to frame by position and colour (Hungarian matching), so each object
gets a track; each track is cut out (its blob's neighbourhood over that frame's background) and
read by the one-object judge (`read_clip`). World scenes keep objects apart (world/scenes.py),
so a blob is one object.

Scoring: a prompt's objects and a clip's are matched one to one, most attributes right first;
all-correct needs the same number of objects, every attribute of every match right and, when
the prompt relates two objects ("a red circle above a blue square"), the relation right where
they start. A binding error is a clip whose attribute values are the prompt's, only on the wrong
objects.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from .definitions import RELATION_AXES
from .read import Reading, read_clip
from .score import ATTRIBUTES
from .track import _STRUCT, FAINTEST

MIN_BLOB = 6       # px at 64 px frames: smaller blobs are noise, not objects
THRESHOLD = 0.3    # a pixel differs when its (smoothed) colour distance exceeds this share of
                   # the frame's largest, and the one-object judge's FAINTEST


@dataclass
class SceneReading:
    """What the judge sees in a scene: one Reading per object, or why it could not tell."""
    readable: bool
    objects: list[Reading] = field(default_factory=list)
    why: str = ""
    starts: list[tuple[float, float]] = field(default_factory=list)  # each object's centre (x, y px)
                                                                     # in the first frame all are seen

    def describe(self) -> str:
        if not self.readable:
            return f"unreadable ({self.why})"
        return " + ".join(r.describe() for r in self.objects)


def _blobs(frame: np.ndarray, bg: np.ndarray, min_px: float) -> tuple[np.ndarray, list[int]]:
    """Labelled blobs of one frame (H, W, 3) in [0, 1] and the labels big enough to count."""
    smooth = ndimage.uniform_filter(frame - bg, size=(3, 3, 1), mode="nearest")
    dist = np.sqrt((smooth ** 2).sum(-1))
    mask = dist > max(FAINTEST, THRESHOLD * dist.max())
    labels, count = ndimage.label(mask, _STRUCT)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    return labels, [k for k in range(1, count + 1) if sizes[k] >= min_px]


def _features(frame, labels, keep):
    """(K, 5) per blob: centroid x, y and mean colour."""
    out = []
    for k in keep:
        ys, xs = np.nonzero(labels == k)
        out.append([xs.mean(), ys.mean(), *frame[ys, xs].mean(0)])
    return np.array(out).reshape(-1, 5)


def read_scene(video: np.ndarray) -> SceneReading:
    """Judge a scene (T, H, W, 3) uint8 from its pixels alone."""
    t, h, w, _ = video.shape
    x = video.astype(np.float32) / 255.0
    bg = np.median(x.reshape(t, -1, 3), axis=1)  # (T, 3)
    min_px = MIN_BLOB * (min(h, w) / 64) ** 2
    frames = [_blobs(x[i], bg[i], min_px) for i in range(t)]
    counts = [len(keep) for _, keep in frames]
    if max(counts) == 0:
        return SceneReading(False, why="no object in any frame")
    k = Counter(counts).most_common(1)[0][0]
    if sum(c != k for c in counts) > t // 4:
        return SceneReading(False, why=f"objects appear and vanish ({min(counts)}-{max(counts)} per frame)")
    # Link blobs frame to frame: each object's blob label per frame (-1: not seen).
    tracks = np.full((k, t), -1)
    last = None
    for i, (labels, keep) in enumerate(frames):
        if len(keep) != k:
            continue
        feats = _features(x[i], labels, keep)
        if last is None:
            order = np.arange(k)
        else:
            cost = np.linalg.norm(last[:, None, :2] - feats[None, :, :2], axis=-1) / max(h, w) \
                + np.linalg.norm(last[:, None, 2:] - feats[None, :, 2:], axis=-1)
            rows, order = linear_sum_assignment(cost)
        tracks[:, i] = [keep[j] for j in order]
        last = feats[order]
    readings = [read_clip(_cut_out(x, bg, frames, tracks[j])) for j in range(k)]
    first = int(np.argmax((tracks >= 0).all(0)))  # a frame with k objects: there is one
    labels = frames[first][0]
    starts = [tuple(float(v) for v in _features(x[first], labels, [tracks[j, first]])[0, :2]) for j in range(k)]
    return SceneReading(True, readings, starts=starts)


def _cut_out(x, bg, frames, track) -> np.ndarray:
    """One object's clip: its blob and a 2-px rim, over each frame's background colour; a frame
    where it was not seen is left empty (the one-object judge then says so)."""
    out = np.broadcast_to(bg[:, None, None, :], x.shape).copy()
    for i, label in enumerate(track):
        if label < 0:
            continue
        labels, keep = frames[i]
        mine = labels == label
        others = np.isin(labels, [k for k in keep if k != label])
        region = ndimage.binary_dilation(mine, _STRUCT, iterations=2) & \
            ~ndimage.binary_dilation(others, _STRUCT, iterations=1)
        out[i][region] = x[i][region]
    return np.rint(out * 255).astype(np.uint8)


def match(reading: SceneReading, objects: list[dict]) -> list[tuple[dict, Reading | None]]:
    """Pairs (prompt object, the clip's object matched to it or None), one to one, matching the
    most attributes first. A prompt attribute that is None counts as right."""
    got = reading.objects if reading.readable else []
    if not got:
        return [(o, None) for o in objects]
    agree = np.array([[sum(o.get(a) is None or getattr(r, a) == o[a] for a in ATTRIBUTES)
                       if r.readable else 0 for r in got] for o in objects])
    rows, cols = linear_sum_assignment(-agree)
    paired = dict(zip(rows, cols))
    return [(o, got[paired[i]] if i in paired else None) for i, o in enumerate(objects)]


def related(relation: dict, reading: SceneReading, matched: list[tuple[dict, Reading | None]]) -> bool:
    """Whether the objects matched to the relation's subject and object start as it says: the
    offset from subject to object lies mostly along the relation's axis (more than across it),
    on its side (image rows grow downward: "above" is a smaller y)."""
    subject, obj = (matched[relation[k]][1] for k in ("subject", "object"))
    if subject is None or obj is None:
        return False
    at = {id(r): xy for r, xy in zip(reading.objects, reading.starts)}
    dx, dy = np.subtract(at[id(obj)], at[id(subject)])
    axis, first = RELATION_AXES[relation["kind"]]
    along, across = (dy, dx) if axis == "vertical" else (dx, dy)
    return abs(along) > abs(across) and (first is None or (along > 0) == first)


def _right(o: dict, r: Reading | None, a: str) -> bool:
    return o.get(a) is None or (r is not None and r.readable and getattr(r, a) == o[a])


def score_scenes(pairs) -> dict:
    """Report for (SceneReading, scene label {objects: [...], count}) pairs: all-correct,
    per-object and per-attribute accuracy, object-count accuracy and binding errors."""
    n = all_correct = count_right = binding = readable = 0
    objects = objects_right = relations = relations_right = 0
    attr = Counter()
    for reading, label in pairs:
        want = label["objects"]
        n += 1
        readable += reading.readable
        matched = match(reading, want)
        right = [all(_right(o, r, a) for a in ATTRIBUTES) for o, r in matched]
        for a in ATTRIBUTES:
            attr[a] += sum(_right(o, r, a) for o, r in matched)
        objects += len(want)
        objects_right += sum(right)
        got = reading.objects if reading.readable else []
        same_count = len(got) == len(want)
        count_right += same_count
        objects_ok = same_count and all(right) and all(r.readable for r in got)
        placed = True
        if label.get("relation"):
            placed = reading.readable and related(label["relation"], reading, matched)
            relations += 1
            relations_right += placed
        all_correct += objects_ok and placed
        if not objects_ok and same_count and got and all(r.readable for r in got) and all(
                sorted(str(o.get(a)) for o in want) == sorted(str(getattr(r, a)) for r in got)
                for a in ATTRIBUTES):
            binding += 1  # every value is there, on the wrong objects
    if n == 0:
        raise ValueError("nothing to score: no clips")
    return {"n": n, "all_correct": all_correct / n, "readable": readable / n,
            "count_correct": count_right / n, "per_object": objects_right / max(objects, 1),
            "accuracy": {a: attr[a] / max(objects, 1) for a in ATTRIBUTES},
            "relation": relations_right / relations if relations else None, "relations": relations,
            "binding_errors": binding}


def format_scene_report(report: dict) -> str:
    """A scene report as a few lines of text."""
    acc = "  ".join(f"{a} {100 * v:.1f}%" for a, v in report["accuracy"].items())
    return (f"scenes: {report['n']}   all correct: {100 * report['all_correct']:.1f}%   "
            f"object count right: {100 * report['count_correct']:.1f}%   "
            f"objects right: {100 * report['per_object']:.1f}%"
            + (f"   relations right: {100 * report['relation']:.1f}% of {report['relations']}"
               if report.get("relation") is not None else "") + "\n"
            f"per attribute (objects matched one to one): {acc}\n"
            f"binding errors (right values on the wrong objects): {report['binding_errors']}")
