"""Files in and out: videos (MP4 / GIF / PNG folder) and JSON, always written atomically, and
the conversion between the uint8 clips files hold and the float tensors models take.

A crash never leaves a half-written file under the requested name: everything is written to a
temporary sibling, flushed and fsynced, then renamed over the target.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

VIDEO_FORMATS = (".mp4", ".gif", ".png")
MIN_STILL_SIDE = 16  # px: a picture smaller than this holds too little to animate
UMASK = os.umask(0)  # read once: os.umask can only be read by setting it
os.umask(UMASK)


def to_tensor(video: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(B, T, H, W, 3) uint8 -> (B, T, 3, H, W) float in [-1, 1], on the tensor's device."""
    x = video if isinstance(video, torch.Tensor) else torch.from_numpy(video)
    return x.permute(0, 1, 4, 2, 3).float().div_(127.5).sub_(1.0)


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """(B, T, 3, H, W) in [-1, 1] -> (B, T, H, W, 3) uint8."""
    x = ((video.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 1, 3, 4, 2).cpu().numpy()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None):
    """Yield a temporary path beside `path`; on success it replaces `path`, else it is removed."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix or ".tmp",
                                   dir=path.parent)
    except OSError as e:  # name the file the user asked for, not our temporary one
        raise OSError(e.errno, f"cannot write here ({e.strerror})", str(path)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp makes files owner-only; users expect the usual
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def write_json(path: str | os.PathLike, obj) -> None:
    write_text(path, json.dumps(obj, indent=2) + "\n")


def _write_mp4(path: Path, video: np.ndarray, fps: int) -> None:
    import av

    t, h, w, _ = video.shape
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = w + w % 2, h + h % 2  # yuv420p needs even sizes
        stream.pix_fmt = "yuv420p"  # what browsers play
        stream.options = {"crf": "12", "preset": "medium"}
        for frame in video:
            if w % 2 or h % 2:
                frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame),
                                                                    format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _write_gif(path: Path, video: np.ndarray, fps: int) -> None:
    frames = [Image.fromarray(f) for f in video]
    # Pillow merges identical consecutive frames into one longer frame; the frame time in the
    # comment lets read_video expand them back.
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:],
                   duration=int(round(1000 / fps)), loop=0, disposal=1,
                   comment=f"tinyt2v frame_ms={int(round(1000 / fps))}")


def write_video(path: str | os.PathLike, video: np.ndarray, fps: int = 8) -> Path:
    """Write video (T, H, W, 3) uint8 as .mp4, .gif, or a folder of frame_k.png (any other
    name, or a name ending in .png, is a folder). Returns the path written."""
    path = Path(path)
    if video.ndim != 4 or video.shape[-1] != 3 or video.dtype != np.uint8:
        raise ValueError(f"expected uint8 video (T, H, W, 3), got {video.dtype} {video.shape}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"output folder {path.parent} "
                                + ("is a file" if path.parent.is_file() else "does not exist"))
    suffix = path.suffix.lower()
    if suffix in (".mp4", ".gif"):
        with atomic_path(path) as tmp:
            (_write_mp4 if suffix == ".mp4" else _write_gif)(tmp, video, fps)
        return path
    folder = path.with_suffix("") if suffix == ".png" else path
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for k, frame in enumerate(video):
            # zero-padded, so that a file listing shows the frames in order
            Image.fromarray(frame).save(tmpdir / f"frame_{k:0{len(str(len(video) - 1))}d}.png")
        if folder.exists():
            _replace_dir(folder, tmpdir)
        else:
            os.replace(tmpdir, folder)
    except BaseException:
        _rmtree(tmpdir)
        raise
    return folder


def _rmtree(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)


def _replace_dir(target: Path, new: Path) -> None:
    old = target.with_name(f".{target.name}.old")
    _rmtree(old)
    os.replace(target, old)
    os.replace(new, target)
    _rmtree(old)


def _read_gif(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        frames, durations = [], []
        comment = im.info.get("comment", b"").decode(errors="ignore")
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")))
            durations.append(im.info.get("duration", 0) or 0)
    base = int(comment.split("frame_ms=")[1].split()[0]) if "frame_ms=" in comment else 0
    base = base or min((d for d in durations if d > 0), default=0)
    repeats = [max(1, int(round(d / base))) if base else 1 for d in durations]
    return np.stack([f for f, r in zip(frames, repeats) for _ in range(r)])


def fit_frame(img: Image.Image, height: int, width: int) -> np.ndarray:
    """A picture resized on its short side and centre-cropped to (height, width, 3) uint8: what
    a real clip's frames and a still to animate become."""
    img = img.convert("RGB")
    scale = max(height / img.height, width / img.width)
    size = (max(width, round(img.width * scale)), max(height, round(img.height * scale)))
    img = img.resize(size, Image.BILINEAR)
    left, top = (img.width - width) // 2, (img.height - height) // 2
    return np.asarray(img.crop((left, top, left + width, top + height)))


def read_still(picture, height: int, width: int) -> np.ndarray:
    """A picture to animate (a path to an image file, a PIL image or an (H, W, 3) uint8 array)
    fitted to (height, width, 3) uint8 by `fit_frame`; ValueError saying in one line what is
    wrong with it (missing, not an image, unreadable, too small)."""
    if isinstance(picture, np.ndarray):
        if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[-1] != 3:
            raise ValueError(f"an image array must be (H, W, 3) uint8, got {picture.shape} {picture.dtype}")
        picture = Image.fromarray(picture)
    elif not isinstance(picture, Image.Image):
        path = Path(picture)
        if not path.is_file():
            raise ValueError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
        try:
            with Image.open(path) as im:
                im.load()
                picture = im.copy()
        except Image.UnidentifiedImageError:
            raise ValueError(f"{path} is not an image (PNG, JPEG, ...)") from None
        except (OSError, ValueError, SyntaxError) as e:
            raise ValueError(f"{path} cannot be read as an image ({e})") from None
    if min(picture.size) < MIN_STILL_SIDE:
        raise ValueError(f"the image is {picture.width} x {picture.height} px; "
                         f"at least {MIN_STILL_SIDE} px a side is needed")
    return fit_frame(picture, height, width)


def read_video(path: str | os.PathLike) -> np.ndarray:
    """Read .mp4/.webm/.gif or a folder of frame_k.png back to (T, H, W, 3) uint8."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    if path.is_dir():
        files = sorted(path.glob("frame_*.png"), key=lambda p: int(p.stem.split("_")[1]))
        if not files:
            raise ValueError(f"{path} holds no frame_k.png files")
        return np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])
    if path.suffix.lower() == ".gif":
        return _read_gif(path)
    import av

    try:
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except av.error.FFmpegError as e:  # a corrupt or non-video file: ffmpeg's own words, once
        raise ValueError(f"{path} cannot be read as a video ({e.strerror})") from None
    if not frames:
        raise ValueError(f"{path} holds no video frames")
    return np.stack(frames)
