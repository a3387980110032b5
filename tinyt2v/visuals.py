"""Pictures people look at: sample grids, animated grids, contact sheets, loss curves (PIL only)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .io import atomic_path, write_video


def frame_grid(videos: np.ndarray, gap: int = 2) -> np.ndarray:
    """(N, T, H, W, 3) -> one image: a row per clip, frames left to right."""
    n, t, h, w, _ = videos.shape
    out = np.full((n * (h + gap) - gap, t * (w + gap) - gap, 3), 128, np.uint8)
    for i in range(n):
        for k in range(t):
            out[i * (h + gap):i * (h + gap) + h, k * (w + gap):k * (w + gap) + w] = videos[i, k]
    return out


def tile(videos: np.ndarray, gap: int = 2) -> np.ndarray:
    """(N, T, H, W, 3) -> (T, H', W', 3): the clips side by side, as one animated video."""
    n, t, h, w, _ = videos.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = np.full((t, rows * (h + gap) - gap, cols * (w + gap) - gap, 3), 128, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        out[:, r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = videos[i]
    return out


def save_png(path: str | Path, image: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")


CAPTION_PX = 14  # height of the caption line above each row of a sample grid


def captioned_grid(videos: np.ndarray, captions: list[str], gap: int = 2) -> np.ndarray:
    """frame_grid with each clip's caption written above its row."""
    h = videos.shape[2]
    grid = frame_grid(videos, gap)
    rows = [grid[i * (h + gap):i * (h + gap) + h] for i in range(len(videos))]
    img = Image.new("RGB", (grid.shape[1], len(rows) * (h + CAPTION_PX + gap)), (128, 128, 128))
    draw = ImageDraw.Draw(img)
    for i, (row, caption) in enumerate(zip(rows, captions)):
        top = i * (h + CAPTION_PX + gap)
        draw.text((2, top + 1), caption, fill="white")
        img.paste(Image.fromarray(row), (0, top + CAPTION_PX))
    return np.asarray(img)


def save_samples(folder: Path, stem: str, videos: np.ndarray, fps: int = 8,
                 captions: list[str] | None = None) -> None:
    """PNG frame grid (each row under its caption, when given) and animated GIF of the clips."""
    grid = captioned_grid(videos, captions) if captions else frame_grid(videos)
    save_png(folder / f"{stem}.png", grid)
    write_video(folder / f"{stem}.gif", tile(videos), fps)


def loss_curve(path: str | Path, steps: list[int], series: dict[str, list[float]],
               size=(640, 360)) -> None:
    """A plain line plot of each series against steps (log-free, min..max scaled)."""
    w, h = size
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    pad = 40
    d.rectangle([pad, 10, w - 10, h - pad], outline="black")
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    if len(steps) >= 2:
        x0, x1 = min(steps), max(steps)
        for j, (name, ys) in enumerate(series.items()):
            ys = np.asarray(ys, float)
            lo, hi = np.nanmin(ys), np.nanmax(ys)
            span = hi - lo or 1.0
            pts = [(pad + (s - x0) / max(x1 - x0, 1) * (w - pad - 10),
                    h - pad - (y - lo) / span * (h - pad - 10)) for s, y in zip(steps, ys)]
            d.line(pts, fill=colors[j % len(colors)], width=2)
            d.text((pad + 5, 12 + 12 * j), f"{name}: {ys[-1]:.4g} (range {lo:.3g}..{hi:.3g})",
                   fill=colors[j % len(colors)])
        d.text((pad, h - pad + 5), f"step {x0}", fill="black")
        d.text((w - 90, h - pad + 5), f"step {x1}", fill="black")
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
