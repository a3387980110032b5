"""Splitting clips into their objects from pixels alone: what the layered scenes model learns from.

A pixel belongs to an object when its colour differs from the frame's background; in a frame,
the connected blobs of such pixels are the objects (scenes keep objects apart, so a blob is
one object). Blobs are linked frame to frame by position and colour (Hungarian matching), so
each object gets its own coverage in every frame, which `object_tracks` turns into a pose
track as sprite-flow measures one object's. No labels: this is a measurement, like sprite-flow's
one-object track.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from .tracks import NOISE_FLOOR, pixel_track

MIN_BLOB = 4        # px at 64 px frames: smaller blobs are codec specks, not objects (the judge,
                    # reading imperfect generated clips, asks for more)
COLOUR_COST = 64.0  # px of centroid distance that one unit of RGB distance weighs as when linking
# one frame's blobs: 8-connected in space, never across frames or clips
_FRAME_BLOBS = np.zeros((3, 3, 3, 3), bool)
_FRAME_BLOBS[1, 1] = True


@torch.no_grad()
def split_objects(video: torch.Tensor, dist: torch.Tensor, slots: int) -> tuple[torch.Tensor, torch.Tensor]:
    """video (B, T, 3, H, W) and its colour distance from the background (B, T, H, W) -> (each
    pixel's object (B, T, H, W) int64: 0..slots-1, or -1 for background; which objects each
    clip holds (B, slots) bool). Objects are numbered by first appearance; a clip with more
    than `slots` objects keeps the largest."""
    b, t, h, w = dist.shape
    if dist.is_meta:  # tracing shapes only (tests/test_devices.py): no pixels to measure
        return (torch.full(dist.shape, -1, dtype=torch.long, device=dist.device),
                torch.zeros(b, slots, dtype=torch.bool, device=dist.device))
    mask = (dist > NOISE_FLOOR).cpu().numpy()
    labels, n = ndimage.label(mask, _FRAME_BLOBS)  # blob ids are numbered frame by frame
    pix = np.flatnonzero(labels)  # the few pixels that differ from the background
    flat = labels.ravel()[pix]
    area = np.bincount(flat, minlength=n + 1).astype(np.float64)
    keep = area >= MIN_BLOB * (min(h, w) / 64) ** 2
    keep[0] = False
    size = np.maximum(area, 1)
    frame = np.bincount(flat, pix // (h * w), n + 1) / size  # clip * T + frame, per blob
    cx = np.bincount(flat, pix % w, n + 1) / size
    cy = np.bincount(flat, (pix // w) % h, n + 1) / size
    # a blob's colour is its pixel furthest from the background: its inside, where the mean
    # would move with how much anti-aliased edge a sub-pixel position happens to show
    strength = dist.reshape(-1).float().cpu().numpy()[pix]
    by_blob = np.lexsort((strength, flat))  # pixels by blob, strongest last
    core = np.zeros(n + 1, np.int64)
    core[flat[by_blob]] = pix[by_blob]  # later (stronger) pixels overwrite earlier ones
    at = torch.from_numpy(core).to(video.device)
    colour = video.reshape(b * t, 3, h * w)[at // (h * w), :, at % (h * w)].float().cpu().numpy()  # (n + 1, 3)
    ids = np.nonzero(keep)[0]
    by_frame: dict[int, list[int]] = {}
    for i in ids:
        by_frame.setdefault(int(round(frame[i])), []).append(int(i))
    owner = np.full(n + 1, -1, np.int64)  # blob id -> object number in its clip
    present = np.zeros((b, slots), bool)
    for clip in range(b):
        last: list[int] = []  # each object's latest blob
        for f in range(t):
            blobs = sorted(by_frame.get(clip * t + f, []), key=lambda i: -area[i])
            if last and blobs:
                cost = np.array([[np.hypot(cx[j] - cx[i], cy[j] - cy[i])
                                  + COLOUR_COST * np.abs(colour[j] - colour[i]).sum() for j in blobs]
                                 for i in last])
                rows, cols = linear_sum_assignment(cost)
            else:
                rows = cols = np.array([], np.int64)
            matched = set(cols.tolist())
            for r, col in zip(rows, cols):
                owner[blobs[col]] = r
                last[r] = blobs[col]
            for j, blob in enumerate(blobs):  # a blob no object took starts one, while slots last
                if j not in matched and len(last) < slots:
                    owner[blob] = len(last)
                    last.append(blob)
        present[clip, :len(last)] = True
    index = torch.from_numpy(owner[labels].astype(np.int8)).to(dist.device).long()  # 8x less to copy
    return index, torch.from_numpy(present).to(dist.device)


@torch.no_grad()
def object_tracks(dist: torch.Tensor, index: torch.Tensor, slots: int, ref_radius: float) -> torch.Tensor:
    """Each object's pose track (B, slots, T, 4), measured as sprite-flow measures one object's
    (`pixel_track`) from its coverage: its pixels' colour distance relative to its own strongest
    pixel in that frame (a pale object beside a dark one still covers 1). Only object pixels
    are visited (a few percent of each frame)."""
    b, t, h, w = dist.shape
    clip, frame, pix = (index >= 0).view(b, t, h * w).nonzero(as_tuple=True)
    value = dist.view(b, t, h * w)[clip, frame, pix]
    row = (clip * slots + index.view(b, t, h * w)[clip, frame, pix]) * t + frame  # (clip, object, frame)
    peak = value.new_zeros(b * slots * t).scatter_reduce_(0, row, value, "amax").clamp(min=1e-3)
    alpha = (value / peak[row]).clamp_(0, 1)
    return pixel_track(row, pix, alpha, (b * slots, t, h, w), ref_radius).view(b, slots, t, 4)
