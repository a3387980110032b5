"""Write a split to disk: clips plus manifest.jsonl and manifest.csv.

manifest.csv uses the `path,text,num_frames,height,width` layout that open video-generation
trainers read; `--format png` also writes the tutorial's `video_i/frame_k.png` + `prompt.txt`.
"""
from __future__ import annotations

import csv
import io as _io
import json
from pathlib import Path
from typing import Callable

from ..io import write_text, write_video
from .config import WorldConfig
from .sample import clips

FORMATS = ("mp4", "gif", "png")


def export(world: WorldConfig, split: str, n: int, out: str | Path, seed: int = 0,
           fmt: str = "mp4", fps: int = 8, progress: Callable[[int], None] | None = None) -> Path:
    """Write n clips of `split` under `out`; returns the manifest.jsonl path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    i = 0
    for batch in clips(world, split, n, seed):
        for video, caption, label in zip(batch.video, batch.captions, batch.labels):
            name = f"video_{i}" if fmt == "png" else f"clip_{i:06d}.{fmt}"
            write_video(out / name, video, fps)
            if fmt == "png":
                write_text(out / name / "prompt.txt", caption + "\n")
            rows.append(dict(path=name, caption=caption, split=split, num_frames=world.frames,
                             height=world.height, width=world.width, **label))
            i += 1
        if progress:
            progress(len(batch))
    write_text(out / "manifest.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["path", "text", "num_frames", "height", "width"])
    writer.writerows([r["path"], r["caption"], r["num_frames"], r["height"], r["width"]] for r in rows)
    write_text(out / "manifest.csv", buf.getvalue())
    return out / "manifest.jsonl"
