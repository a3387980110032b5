"""Streams of labelled clips: sample labels, lay out trajectories, caption, render.

Clips come in blocks of BLOCK, each from its own random stream seeded by (seed, split, block),
so the same seed gives the same bytes whatever the batch size, and memory stays flat however
many clips are drawn. A block's random draws make a `Layout` (what to draw where, and what it
shows); drawing it is deterministic, with numpy on the CPU or with torch on a training device.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .attributes import COLORS, MOTIONS, SHAPES, SIZES, SPEEDS
from .captions import make_caption
from .config import WorldConfig
from .motion import start_range, trajectories
from .layout import Batch, PerClip, fill_backgrounds
from .render import extent, render
from .scenes import layout_scene_block
from .splits import STREAMS, combos, splits_of

BLOCK = 64


@dataclass
class Layout(PerClip):
    """A batch of clips before drawing: one object per clip and frame (see render.render)."""

    shape: np.ndarray       # (N,) index into SHAPES
    rgb: np.ndarray         # (N, 3) uint8
    radius: np.ndarray      # (N,) equal-area radius, px
    center: np.ndarray      # (N, T, 2) px as (x, y)
    scale: np.ndarray       # (N, T) radius multiplier per frame
    angle: np.ndarray       # (N, T) clockwise turn, rad
    background: np.ndarray  # (N, H, W, 3) uint8
    captions: list[str]
    labels: list[dict]

    def draw(self, device=None) -> Batch:
        """The clips, with numpy (device None) or with torch on `device`."""
        if device is None:
            video = render(self.shape, self.rgb, self.radius, self.center, self.scale, self.angle,
                           self.background)
        else:
            from .render_torch import render_on

            video = render_on(device, self.shape, self.rgb, self.radius, self.center, self.scale,
                              self.angle, self.background)
        return Batch(video, self.captions, self.labels)


def sample_block(world: WorldConfig, split: str, seed: int, block: int) -> Batch:
    """The block-th BLOCK clips of a split's stream."""
    return layout_block(world, split, seed, block).draw()


def layout_block(world: WorldConfig, split: str, seed: int, block: int) -> Layout:
    """The layout of the block-th BLOCK clips of a split's stream."""
    if world.objects > 1:
        return layout_scene_block(world, split, np.random.default_rng([seed, STREAMS.index(split), block]), BLOCK)
    pool = combos(world, split)
    if not pool:
        raise ValueError(f"split {split!r} of world {world.name!r} has no combinations")
    rng = np.random.default_rng([seed, STREAMS.index(split), block])
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

    background = fill_backgrounds(world, rng, n)
    rgb = np.array([COLORS[c] for c in color], np.uint8)

    if world.prompts and split not in ("freeform", "paraphrase"):
        table = world.heldout_prompts if split == "heldout" else world.prompts
        captions = [table[i][0] for i in pick]
    else:
        style = split if split in ("freeform", "paraphrase") else world.captions
        captions = [make_caption(rng, r[0], r[1], r[2], r[3], s, style) for r, s in zip(rows, speed)]
    labels = [dict(shape=r[0], color=r[1], size=r[2], motion=r[3], speed=s,
                   start_x=round(float(st[0]), 2), start_y=round(float(st[1]), 2),
                   radius=round(float(rad), 3))
              for r, s, st, rad in zip(rows, speed, start, radius)]
    return Layout(shape, rgb, radius, center, scale, angle, background, captions, labels)


def blocks(make, world: WorldConfig, split: str, seed: int, first: int, workers: int, device) -> Iterator:
    """make(world, split, seed, b) for b = first, first + 1, ... forever; with workers > 1,
    2 * workers blocks are prepared ahead: in threads when numpy renders (it releases the GIL),
    in processes when only laying out (Python-bound)."""
    if workers <= 1:
        b = first
        while True:
            yield make(world, split, seed, b)
            b += 1
    depth = 2 * workers  # blocks in flight
    # spawned, not forked: the parent may hold a CUDA context, which a fork must not copy
    pool = (ThreadPoolExecutor(workers) if device is None else
            ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")))
    with pool:
        b = first
        ahead = [pool.submit(make, world, split, seed, b + i) for i in range(depth)]
        while True:
            done = ahead.pop(0)
            ahead.append(pool.submit(make, world, split, seed, b + depth))
            b += 1
            yield done.result()


def clips(world: WorldConfig, split: str, n: int | None = None, seed: int = 0,
          batch_size: int = BLOCK, workers: int = 1, start: int = 0, device=None,
          shard: tuple[int, int] = (0, 1)) -> Iterator[Batch]:
    """Yield batches of `batch_size` clips (the last may be smaller) until n clips, or forever
    when n is None. Clip i of a stream is the same whatever batch_size and workers are;
    `start` skips the first clips (a shard or a resumed run starts there).
    With a torch `device`, each batch is drawn there in one go (a torch uint8 tensor) and the
    CPU only lays clips out. workers > 1 prepares blocks in parallel (`blocks`).
    shard=(r, k) yields only batches r, r + k, r + 2k, ... (a data-parallel rank's share), and
    draws only those on the device."""
    if split not in splits_of(world):
        known = "unknown split" if split not in STREAMS else f"world {world.name!r} has no split"
        raise ValueError(f"{known} {split!r}; choose from {', '.join(splits_of(world))}")
    end = None if n is None else start + n
    first = start // BLOCK

    make = sample_block if device is None else layout_block
    rank, ranks = shard
    pending: list[Batch] = []
    have, count = 0, 0
    pos = first * BLOCK  # stream index of pending[0]'s first clip
    skip = start - pos
    for block in blocks(make, world, split, seed, first, workers, device):
        if skip:
            block, skip = block.slice(skip, BLOCK), 0
            pos = start
        pending.append(block)
        have += len(block)
        while have >= batch_size or (end is not None and pos + have >= end):
            take = batch_size if end is None else min(batch_size, end - pos)
            if take <= 0:
                return
            joined = type(pending[0]).concat(pending) if len(pending) > 1 else pending[0]
            out, rest = joined.slice(0, take), joined.slice(take, len(joined))
            if count % ranks == rank:
                yield out if device is None else out.draw(device)
            count += 1
            pos += take
            pending, have = ([rest] if len(rest) else []), len(rest)
            if end is not None and pos >= end:
                return


def clip_batch(world: WorldConfig, split: str, n: int, seed: int = 0) -> Batch:
    """The first n clips of a split's stream, in memory."""
    return Batch.concat(list(clips(world, split, n, seed, batch_size=max(n, 1))))
