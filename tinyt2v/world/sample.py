"""Streams of labelled clips: sample labels, lay out trajectories, render, caption.

Clips come in blocks of BLOCK, each from its own random stream seeded by (seed, split, block),
so the same seed gives the same bytes whatever the batch size, and memory stays flat however
many clips are drawn.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .attributes import COLORS, MOTIONS, SHAPES, SIZES, SPEEDS
from .captions import make_caption
from .config import WorldConfig
from .motion import start_range, trajectories
from .render import extent, render
from .splits import SPLITS, combos

BLOCK = 64


@dataclass
class Batch:
    """Clips and what they show. video (B, T, H, W, 3) uint8; one caption and label per clip."""

    video: np.ndarray
    captions: list[str]
    labels: list[dict]

    def __len__(self) -> int:
        return len(self.captions)

    @staticmethod
    def concat(batches: list["Batch"]) -> "Batch":
        return Batch(np.concatenate([b.video for b in batches]),
                     [c for b in batches for c in b.captions],
                     [lab for b in batches for lab in b.labels])

    def slice(self, start: int, stop: int) -> "Batch":
        return Batch(self.video[start:stop], self.captions[start:stop], self.labels[start:stop])


def sample_block(world: WorldConfig, split: str, seed: int, block: int) -> Batch:
    """The block-th BLOCK clips of a split's stream."""
    pool = combos(world, split)
    if not pool:
        raise ValueError(f"split {split!r} of world {world.name!r} has no combinations")
    rng = np.random.default_rng([seed, SPLITS.index(split), block])
    n = BLOCK
    pick = rng.integers(len(pool), size=n)
    rows = [pool[i] for i in pick]
    shape = np.array([SHAPES.index(r[0]) for r in rows])
    color = [r[1] for r in rows]
    size = [r[2] for r in rows]
    motion = np.array([MOTIONS.index(r[3]) for r in rows])
    speed = [world.speeds[i] for i in rng.integers(len(world.speeds), size=n)]
    sp = [world.speed_override or SPEEDS[s] for s in speed]
    px = world.px

    if world.radius is not None:
        radius = np.full(n, world.radius * px)
    else:
        lo_hi = np.array([SIZES[z] for z in size])
        radius = (lo_hi[:, 0] + rng.random(n) * (lo_hi[:, 1] - lo_hi[:, 0])) * px
    phase = rng.random(n)
    sign = rng.choice([-1.0, 1.0], size=n)
    offset, scale, angle = trajectories(
        motion, np.array([s.step for s in sp]) * px, np.array([s.spin for s in sp]),
        np.array([s.growth for s in sp]), np.array([s.swing for s in sp]) * px, phase, sign,
        world.frames)
    ext = radius[:, None] * extent(shape)[:, None] * scale  # (N, T) circumradius px
    lo, hi = start_range(offset, ext, (world.height, world.width), world.in_frame)
    start = lo + rng.random((n, 2)) * (hi - lo)
    center = start[:, None, :] + offset

    background = np.empty((n, world.height, world.width, 3), np.uint8)
    background[:] = np.array(world.background, np.uint8)
    if world.texture > 0:
        noise = rng.uniform(-world.texture, world.texture, background.shape) * 255
        background = np.clip(background + noise, 0, 255).astype(np.uint8)
    rgb = np.array([COLORS[c] for c in color], np.uint8)
    video = render(shape, rgb, radius, center, scale, angle, background)

    if world.prompts and split != "paraphrase":
        table = world.heldout_prompts if split == "heldout" else world.prompts
        captions = [table[i][0] for i in pick]
    else:
        style = "paraphrase" if split == "paraphrase" else "train"
        captions = [make_caption(rng, r[0], r[1], r[2], r[3], s, style) for r, s in zip(rows, speed)]
    labels = [dict(shape=r[0], color=r[1], size=r[2], motion=r[3], speed=s,
                   start_x=round(float(st[0]), 2), start_y=round(float(st[1]), 2),
                   radius=round(float(rad), 3))
              for r, s, st, rad in zip(rows, speed, start, radius)]
    return Batch(video, captions, labels)


def clips(world: WorldConfig, split: str, n: int | None = None, seed: int = 0,
          batch_size: int = BLOCK, workers: int = 1, start: int = 0) -> Iterator[Batch]:
    """Yield batches of `batch_size` clips (the last may be smaller) until n clips, or forever
    when n is None. Clip i of a stream is the same whatever batch_size and workers are;
    `start` skips the first clips (a shard or a resumed run starts there).
    workers > 1 renders blocks in threads (numpy releases the GIL)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    end = None if n is None else start + n
    first = start // BLOCK

    def blocks():
        if workers <= 1:
            b = first
            while True:
                yield sample_block(world, split, seed, b)
                b += 1
        with ThreadPoolExecutor(workers) as pool:
            b = first
            ahead = [pool.submit(sample_block, world, split, seed, b + i) for i in range(workers)]
            while True:
                done = ahead.pop(0)
                ahead.append(pool.submit(sample_block, world, split, seed, b + workers))
                b += 1
                yield done.result()

    pending: list[Batch] = []
    have = 0
    pos = first * BLOCK  # stream index of pending[0]'s first clip
    skip = start - pos
    for block in blocks():
        if skip:
            block, skip = block.slice(skip, BLOCK), 0
            pos = start
        pending.append(block)
        have += len(block)
        while have >= batch_size or (end is not None and pos + have >= end):
            take = batch_size if end is None else min(batch_size, end - pos)
            if take <= 0:
                return
            joined = Batch.concat(pending) if len(pending) > 1 else pending[0]
            out, rest = joined.slice(0, take), joined.slice(take, len(joined))
            yield out
            pos += take
            pending, have = ([rest] if len(rest) else []), len(rest)
            if end is not None and pos >= end:
                return


def clip_batch(world: WorldConfig, split: str, n: int, seed: int = 0) -> Batch:
    """The first n clips of a split's stream, in memory."""
    return Batch.concat(list(clips(world, split, n, seed, batch_size=max(n, 1))))
