"""Real video + caption datasets: `--data videos:PATH`.

PATH is a folder of .mp4 / .webm / .gif / .mkv / .mov files, each with a sidecar caption
(`clip.mp4` + `clip.txt`), or a CSV / JSONL manifest in the `path,text[,num_frames,height,width]`
layout that `tinyt2v data export` writes (JSONL rows may say `caption` instead of `text`;
relative paths are relative to the manifest), or a folder holding such a manifest.csv or
manifest.jsonl. Clips are decoded with PyAV, sampled at a frame
stride (or a target fps), resized and centre-cropped to the training size, and streamed from
worker processes, so the dataset never sits in memory. Unreadable, truncated and too-short
files are skipped, counted and reported at the end of each epoch; a manifest row whose file is
missing is reported with its line number.
"""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .io import fit_frame
from .text.vocab import words
from .world import WorldConfig
from .world.layout import Batch

VIDEO_EXTENSIONS = (".mp4", ".webm", ".gif", ".mkv", ".mov", ".avi")


class DataError(ValueError):
    """A dataset that cannot be used at all (no such path, no usable rows)."""


@dataclass(frozen=True)
class Item:
    path: Path
    text: str
    where: str  # "manifest.csv line 7" or the file name, for reports


@dataclass
class Listing:
    items: list[Item]
    missing: list[str]  # "manifest.csv line 7: clips/a.mp4 not found"
    uncaptioned: list[str]


def parse_source(spec: str) -> Path:
    kind, _, path = spec.partition(":")
    if kind != "videos" or not path:
        raise DataError(f"--data must look like videos:PATH, got {spec!r}")
    p = Path(path)
    if not p.exists():
        raise DataError(f"--data {spec}: {p} does not exist")
    return p


MANIFEST_NAMES = ("manifest.csv", "manifest.jsonl")  # a folder holding one is read through it


def list_items(source: Path) -> Listing:
    """Every (video, caption) the source names, with what is missing reported by line. A clip
    with an empty caption is left out and reported: it would teach nothing about words."""
    items, missing, uncaptioned = [], [], []
    manifest = next((source / n for n in MANIFEST_NAMES if (source / n).is_file()), None) \
        if source.is_dir() else source
    if manifest is None:
        for f in sorted(source.rglob("*")):
            if f.suffix.lower() not in VIDEO_EXTENSIONS or not f.is_file():
                continue
            caption = f.with_suffix(".txt")
            if not caption.is_file():
                uncaptioned.append(f"{f.name}: no {caption.name} beside it")
            elif not caption.read_text().strip():
                uncaptioned.append(f"{f.name}: {caption.name} is empty")
            else:
                items.append(Item(f, caption.read_text().strip(), f.name))
        return Listing(items, missing, uncaptioned)
    for line, row in _manifest_rows(manifest):
        where = f"{manifest.name} line {line}"
        rel, text = row.get("path"), row.get("text", row.get("caption"))
        if not rel or text is None:
            missing.append(f"{where}: needs 'path' and 'text'")
            continue
        f = Path(rel) if Path(rel).is_absolute() else manifest.parent / rel
        if not f.is_file():
            missing.append(f"{where}: {rel} not found")
        elif not str(text).strip():
            uncaptioned.append(f"{where}: {rel} has an empty caption")
        else:
            items.append(Item(f, str(text).strip(), where))
    return Listing(items, missing, uncaptioned)


def _manifest_rows(source: Path) -> list[tuple[int, dict]]:
    if source.suffix.lower() == ".csv":
        with open(source, newline="") as f:
            return [(i + 2, row) for i, row in enumerate(csv.DictReader(f))]  # line 1: header
    if source.suffix.lower() in (".jsonl", ".json"):
        rows = []
        for i, line in enumerate(source.read_text().splitlines(), 1):
            if line.strip():
                try:
                    rows.append((i, json.loads(line)))
                except json.JSONDecodeError:
                    rows.append((i, {}))
        return rows
    raise DataError(f"{source}: a manifest must be .csv or .jsonl (or give a folder)")


class SkipClip(Exception):
    """This file cannot give a training clip; the message says why (for the counts)."""


def load_clip(path: Path, frames: int, height: int, width: int, stride: int = 1,
              fps: float | None = None) -> np.ndarray:
    """Decode `frames` frames, `stride` apart (or resampled to `fps`), from the start of the
    video; resize the short side and centre-crop to (height, width). (T, H, W, 3) uint8."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise SkipClip("no video stream")
            stream = container.streams.video[0]
            step = stride
            if fps:
                rate = float(stream.average_rate or stream.guessed_rate or fps)
                step = max(1, round(rate / fps))
            out = []
            for i, frame in enumerate(container.decode(stream)):
                if i % step == 0:
                    out.append(fit_frame(frame.to_image(), height, width))
                    if len(out) == frames:
                        break
    except SkipClip:
        raise
    except (av.error.FFmpegError, OSError, ValueError, EOFError) as e:
        raise SkipClip("unreadable") from e
    if len(out) < frames:
        raise SkipClip("too short")
    return np.stack(out)


DECODED_BYTES = 2 * 2 ** 30  # decoded clips kept in memory per data process


class VideoClips(torch.utils.data.IterableDataset):
    """Endless epochs over the items in a fixed shuffled order per epoch; this rank (and, inside
    it, this DataLoader worker) takes its share. Yields ("clip", epoch, video, text),
    ("skip", epoch, reason, where) and ("epoch_end", epoch, worker, None) records, so that
    counts survive worker processes. Every record names its epoch: with unequal shares one
    worker is already in epoch e+1 while another still reads epoch e."""

    def __init__(self, items: list[Item], frames: int, height: int, width: int, seed: int = 0,
                 start: int = 0, rank: int = 0, world_size: int = 1, stride: int = 1,
                 fps: float | None = None):
        self.items, self.seed, self.start = items, seed, start
        self.shape = (frames, height, width)
        self.rank, self.world_size, self.stride, self.fps = rank, world_size, stride, fps
        self.decoded: dict[Path, np.ndarray | str] = {}  # path -> its clip, or why it was skipped
        self.decoded_bytes = 0

    def clip(self, path: Path) -> np.ndarray:
        """The clip at path (SkipClip if it cannot be used), decoded once while the clips
        decoded so far fit in DECODED_BYTES: a small dataset is decoded in its first epoch only
        (decoding cost more than the training step of a layered model)."""
        if path in self.decoded:
            kept = self.decoded[path]
            if isinstance(kept, str):
                raise SkipClip(kept)
            return kept
        try:
            video = load_clip(path, *self.shape, self.stride, self.fps)
        except SkipClip as why:
            self.decoded[path] = str(why)
            raise
        if self.decoded_bytes + video.nbytes <= DECODED_BYTES:
            self.decoded[path] = video
            self.decoded_bytes += video.nbytes
        return video

    @property
    def first_epoch(self) -> int:
        return self.start // len(self.items)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        n = len(self.items)
        epoch, offset = divmod(self.start, n)
        while True:
            order = np.random.default_rng([self.seed, epoch]).permutation(n)
            for pos in range(offset, n):
                if pos % self.world_size != self.rank or (pos // self.world_size) % nw != wid:
                    continue
                item = self.items[order[pos]]
                try:
                    video = self.clip(item.path)
                except SkipClip as why:
                    yield "skip", epoch, str(why), item.where
                else:
                    yield "clip", epoch, video, item.text
            yield "epoch_end", epoch, wid, None
            epoch, offset = epoch + 1, 0


class VideoBatches:
    """Batches of real clips for the training loop, with skip counts per epoch."""

    def __init__(self, dataset: VideoClips, batch_size: int, workers: int, listing: Listing,
                 log=print):
        self.batch_size, self.workers, self.log = batch_size, max(workers, 0), log
        self.loader = iter(torch.utils.data.DataLoader(dataset, batch_size=None,
                                                       num_workers=self.workers))
        # Per epoch until every worker has ended it; a worker may run epochs ahead.
        self.skipped: dict[int, Counter] = {}
        self.clips: Counter = Counter()
        self.last_ended: dict[int, int] = {}  # worker -> the last epoch it finished
        self.open_epoch = dataset.first_epoch
        self.last_skipped: Counter | None = None  # the files skipped in the last finished epoch
        self.epochs_done = 0
        self.missing = listing.missing
        for line in listing.missing + listing.uncaptioned:
            log(f"data: skipped {line}")

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        videos, texts = [], []
        while len(videos) < self.batch_size:
            kind, epoch, a, b = next(self.loader)
            if kind == "clip":
                videos.append(a)
                texts.append(b)
                self.clips[epoch] += 1
            elif kind == "skip":
                self.skipped.setdefault(epoch, Counter())[a] += 1
            else:  # worker `a` has read its whole share of `epoch`
                self.last_ended[a] = epoch
                if len(self.last_ended) == max(self.workers, 1):
                    while self.open_epoch <= min(self.last_ended.values()):
                        self._end_epoch(self.open_epoch)
                        self.open_epoch += 1
        return Batch(np.stack(videos), texts, None)

    def _end_epoch(self, epoch: int) -> None:
        self.epochs_done += 1
        skipped, clips = self.skipped.pop(epoch, Counter()), self.clips.pop(epoch, 0)
        counts = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "none"
        if skipped != self.last_skipped:  # every epoch reads the same files: say it when it changes
            self.log(f"data: epoch {self.epochs_done} done; skipped files: {counts}"
                     + (f"; {len(self.missing)} manifest rows name missing files" if self.missing else ""))
        self.last_skipped = skipped
        if clips == 0:
            raise DataError(f"a whole epoch gave no usable clip (skipped: {counts})")

    def report(self) -> dict:
        """For metrics.jsonl: epochs read, and the files skipped in the last of them."""
        return {"data_epochs": self.epochs_done, "data_missing": len(self.missing),
                **{f"data_skipped_{k.replace(' ', '_')}": v for k, v in (self.last_skipped or {}).items()}}


def captions_of(spec: str) -> list[str]:
    return [item.text for item in list_items(parse_source(spec)).items]


def vocabulary(spec: str) -> list[str]:
    """The words of a dataset's captions (the learned text encoder's vocabulary)."""
    return sorted({w for text in captions_of(spec) for w in words(text)})


def video_batches(spec: str, world: WorldConfig, batch_size: int, seed: int = 0, start: int = 0,
                  rank: int = 0, world_size: int = 1, workers: int = 0, stride: int = 1,
                  fps: float | None = None, quiet: bool = False) -> VideoBatches:
    """Batches of the clips of `spec` for this rank; rank 0 reports skipped files unless `quiet`."""
    listing = list_items(parse_source(spec))
    if not listing.items:
        raise DataError(f"--data {spec}: no captioned video found"
                        + (f" ({len(listing.missing)} rows name missing files)" if listing.missing else ""))
    dataset = VideoClips(listing.items, world.frames, world.height, world.width, seed, start,
                         rank, world_size, stride, fps)
    log = (lambda msg: print(msg, file=sys.stderr)) if rank == 0 and not quiet else (lambda msg: None)
    return VideoBatches(dataset, batch_size, workers, listing, log)
