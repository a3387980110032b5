"""Judging what is on disk: one clip, a folder with a manifest (labels, or captions read as a
prompt reader reads them), or a folder of clips read one by one. The CLI's `judge` prints it."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .read import SEVERAL_OBJECTS, read_clip
from .scene import read_scene
from .score import read_caption_manifest, read_manifest


def manifest_rows(folder: Path, reword: Callable[[str], str]) -> tuple[list[dict], list[str]]:
    """A manifest's rows to judge (labels with the clip's path) and the rows it cannot judge,
    each as 'where: why'. reword: how a caption outside the grammar is read (a caption reader,
    pipeline.world_caption_reader) before the grammar reads it."""
    if (folder / "manifest.jsonl").exists():
        return read_manifest(folder), []
    rows, skipped = [], []
    for r in read_caption_manifest(folder, reword=reword):
        if r["label"]:
            rows.append(dict(r["label"], path=r["path"], where=r["where"]))
        else:
            skipped.append(f"{r['where']}: {r['why']} ({r['caption']!r})")
    return rows, skipped


def judge_rows(rows: list[dict], advance: Callable[[], None] = lambda: None) -> tuple[list, list[str], bool]:
    """(reading, label) pairs of the rows whose clip could be read, the rows that could not
    ('where: why'), and whether they are scenes (labels with objects)."""
    from ..io import read_video

    scenes = bool(rows) and "objects" in rows[0]
    pairs, skipped = [], []
    for row in rows:
        try:
            video = read_video(row["path"])
        except (OSError, ValueError) as e:
            why = f"{e.strerror}: {e.filename}" if isinstance(e, OSError) and e.strerror else str(e)
            skipped.append(f"{row.get('where', row['path'])}: {why}")
        else:
            pairs.append(((read_scene if scenes else read_clip)(video), row))
        advance()
    return pairs, skipped, scenes


def read_any(path: Path):
    """What the judge sees in one clip: one object, or each of several."""
    from ..io import read_video

    video = read_video(path)
    reading = read_clip(video)
    if not reading.readable and reading.why == SEVERAL_OBJECTS:
        scene = read_scene(video)  # several objects: read each
        if scene.readable:
            reading = scene
    return reading


def read_each(folder: Path) -> tuple[dict, list[str]]:
    """A folder of clips without a manifest (generate's outputs, say): each clip read alone,
    by file name, and the files that could not be read ('name: why')."""
    from ..data import VIDEO_EXTENSIONS

    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in VIDEO_EXTENSIONS
                   or (f.is_dir() and any(f.glob("frame_*.png"))))
    if not files:
        raise ValueError(f"{folder} holds no manifest.jsonl, manifest.csv, video or frame folder to judge")
    readings, skipped = {}, []
    for f in files:
        try:
            readings[f.name] = read_any(f)
        except (OSError, ValueError) as e:
            skipped.append(f"{f.name}: {e}")
    return readings, skipped
