"""Footage that is not the world: photographs seen through a moving camera, captioned, to check
that a general model learns what it is shown rather than the world's flat shapes.

    pip install scikit-image          # the photographs ship inside the package
    python benchmarks/footage.py build --out runs/footage
    tinyt2v train --model latent-dit --data videos:runs/footage/train/manifest.csv \\
        --cpu-minutes 15 --threads 2 --out runs/footage-dit
    tinyt2v train --model latent-flow --data videos:runs/footage/train/manifest.csv \\
        --cpu-minutes 15 --threads 2 --out runs/footage-lf
    tinyt2v train --model latent-dit --data videos:runs/footage/train/manifest.csv \\
        --cpu-minutes 12 --threads 2 --set ae_share=1 --out runs/footage-ae   # its autoencoder alone
    python benchmarks/footage.py measure --autoencoder runs/footage-ae/checkpoint \\
        --checkpoint runs/footage-dit/checkpoint --checkpoint runs/footage-lf/checkpoint \\
        --grid docs/footage_samples.png

Ten photographs (an astronaut, a cat, a cup of coffee, ...) are filmed by a virtual camera
that pans left/right/up/down, zooms in/out or stays still: "a cup of coffee, the camera panning
left". One (subject, motion) pair per subject is held out of training. `measure` generates clips
for seen and held-out prompts and scores, with no model of its own:
- motion: the camera's motion read back from the pixels (phase correlation between frames for
  pans, the best-fitting zoom about the centre for zooms);
- subject: which photograph the clip shows, by the correlation of its frames' fine structure
  with each photograph's at the best position and scale (footage_judge.py); a blurred clip of
  the right colours reads no subject (a row checks it);
- for models that reconstruct, the same two measures and the PSNR on their autoencoder's
  copies of held-out real clips: what the latent keeps.
The same measures on real clips are reported first: they say how far the measures themselves
can be trusted.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from common import command_line, save
from footage_judge import photo_pyramid, read_subject
from PIL import Image
from read_back import blurred, dataset_parser, model_name, read_back, sample_grid
from scipy import ndimage

SUBJECTS = {"astronaut": "an astronaut", "chelsea": "a cat", "coffee": "a cup of coffee",
            "rocket": "a rocket", "hubble_deep_field": "galaxies in deep space",
            "retina": "a retina", "immunohistochemistry": "stained cells",
            "camera": "a man with a camera", "coins": "old coins", "moon": "the surface of the moon"}
MOTIONS = {"pan_left": "the camera panning left", "pan_right": "the camera panning right",
           "pan_up": "the camera panning up", "pan_down": "the camera panning down",
           "zoom_in": "the camera zooming in", "zoom_out": "the camera zooming out",
           "still": "the camera still"}
# The content's shift per frame when the camera pans (the camera goes left: the picture goes right).
CONTENT_SHIFT = {"pan_left": (1, 0), "pan_right": (-1, 0), "pan_up": (0, 1), "pan_down": (0, -1)}
HELDOUT = {("astronaut", "pan_left"), ("chelsea", "zoom_in"), ("coffee", "pan_up"),
           ("rocket", "zoom_out"), ("hubble_deep_field", "pan_down"), ("retina", "pan_right"),
           ("immunohistochemistry", "still"), ("camera", "zoom_in"), ("coins", "pan_right"),
           ("moon", "pan_left")}
FRAMES, SIZE = 16, 64
PAN = 0.35      # window widths travelled over a clip
ZOOM = 0.6      # window side at the end / at the start, zooming in
SEED = 7


def photo(name: str) -> Image.Image:
    import skimage.data

    im = getattr(skimage.data, name)()
    if im.ndim == 2:
        im = np.stack([im] * 3, -1)
    return Image.fromarray(im[..., :3])


def caption(subject: str, motion: str) -> str:
    return f"{SUBJECTS[subject]}, {MOTIONS[motion]}"


def film(img: Image.Image, motion: str, rng: np.random.Generator) -> np.ndarray:
    """(FRAMES, SIZE, SIZE, 3) uint8: a square window over the photo, moving as `motion` says."""
    w, h = img.size
    side0 = rng.uniform(0.45, 0.65) * min(w, h)
    if motion == "zoom_out":  # it ends 1/ZOOM times wider, still inside the photo
        side0 *= ZOOM
    sides = np.full(FRAMES, side0)
    if motion.startswith("zoom"):
        end = side0 * (ZOOM if motion == "zoom_in" else 1 / ZOOM)
        sides = side0 * (end / side0) ** np.linspace(0, 1, FRAMES)
    dx, dy = CONTENT_SHIFT.get(motion, (0, 0))
    path = -np.outer(np.linspace(0, 1, FRAMES), [dx, dy]) * PAN * side0  # window centre offsets
    half = sides.max() / 2
    lo = np.array([half, half]) - path.min(0)
    hi = np.array([w - half, h - half]) - path.max(0)
    start = lo + rng.random(2) * np.maximum(hi - lo, 0)
    out = []
    for (cx, cy), s in zip(start + path, sides):
        box = (cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)
        out.append(np.asarray(img.transform((SIZE, SIZE), Image.Transform.EXTENT, box,
                                            Image.Resampling.BILINEAR)))
    return np.stack(out)


def build(out: Path, per_pair: int) -> None:
    """Training clips of every (subject, motion) pair but the held-out ones, and real clips of
    every pair for measuring, with a manifest.csv each."""
    from tinyt2v.io import write_text, write_video

    rng = np.random.default_rng(SEED)
    for part, pairs, n in (("train", [p for p in _pairs() if p not in HELDOUT], per_pair),
                           ("real", _pairs(), 4)):
        (out / part).mkdir(parents=True, exist_ok=True)
        rows = ["path,text"]
        for subject, motion in pairs:
            img = photo(subject)
            for i in range(n):
                name = f"{subject}_{motion}_{i}.mp4"
                write_video(out / part / name, film(img, motion, rng), fps=8)
                rows.append(f'{name},"{caption(subject, motion)}"')
        write_text(out / part / "manifest.csv", "\n".join(rows) + "\n")
        print(f"{part}: {len(rows) - 1} clips in {out / part}", file=sys.stderr)


def _pairs():
    return [(s, m) for s in SUBJECTS for m in MOTIONS]


# -- measures, from pixels alone


def _gray(video):
    return video.astype(np.float32).mean(-1) / 255.0


def read_motion(video: np.ndarray) -> str:
    """The camera motion a clip shows. Each pair of frames is explained by whichever fits the
    second frame best: the first unchanged, shifted (by phase correlation), or magnified about
    the centre by one zoom step; the clip's motion is the pairs' majority (a shift by its sign)."""
    g = _gray(video)
    step = ZOOM ** (-1 / (FRAMES - 1))  # magnification per frame, zooming in
    votes = []
    for a, b in zip(g[:-1], g[1:]):
        dx, dy = _shift(a, b)
        fits = {"still": a, "zoom_in": _magnify(a, step), "zoom_out": _magnify(a, 1 / step),
                "shift": ndimage.shift(a, (dy, dx), order=1, mode="nearest")}
        k = SIZE // 6
        best = min(fits, key=lambda m: float(((fits[m] - b)[k:-k, k:-k] ** 2).mean()))
        if best == "shift":
            ax = int(abs(dy) > abs(dx))
            d = [0, 0]
            d[ax] = int(np.sign((dx, dy)[ax]))
            best = next((m for m, v in CONTENT_SHIFT.items() if list(v) == d), "still")
        votes.append(best)
    return max(set(votes), key=votes.count)


def _shift(a, b):
    """(dx, dy) that moves a onto b, by phase correlation (whole pixels)."""
    fa, fb = np.fft.fft2(a - a.mean()), np.fft.fft2(b - b.mean())
    cross = fb * np.conj(fa)
    r = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    y, x = np.unravel_index(np.argmax(r), r.shape)
    return (x + SIZE // 2) % SIZE - SIZE // 2, (y + SIZE // 2) % SIZE - SIZE // 2


def _magnify(a, s):
    """a magnified s times about the centre."""
    c = (SIZE - 1) / 2
    return ndimage.affine_transform(a, np.eye(2) / s, offset=c - c / s, order=1, mode="nearest")


def grid(args) -> None:
    """Three held-out and three seen prompts (`read_back.sample_grid`)."""
    from tinyt2v.pipeline import Pipeline

    sample_grid(Pipeline.from_pretrained(args.checkpoint), *_grid_prompts(Path(args.data)), Path(args.out),
                args.temperature)


def _grid_prompts(root: Path) -> tuple[list[str], list[np.ndarray]]:
    from tinyt2v.io import read_video

    pairs = sorted(HELDOUT)[:3] + [p for p in _pairs() if p not in HELDOUT][::17][:3]
    return [caption(*p) for p in pairs], [read_video(sorted((root / "real").glob(f"{s}_{m}_*.mp4"))[0])
                                          for s, m in pairs]


def measure(args) -> None:
    import torch

    from tinyt2v.evaluate import psnr_db
    from tinyt2v.io import read_video, to_tensor, to_uint8
    from tinyt2v.models import MODELS
    from tinyt2v.pipeline import Pipeline

    root = Path(args.data)
    refs = {s: photo_pyramid(np.asarray(photo(s))) for s in SUBJECTS}
    real = {(s, m): [read_video(p) for p in sorted((root / "real").glob(f"{s}_{m}_*.mp4"))]
            for s, m in _pairs()}

    def read(video):
        return read_subject(video, refs), read_motion(video)

    kinds = {"seen": [p for p in _pairs() if p not in HELDOUT], "held out": sorted(HELDOUT)}
    held = {"held out": sorted(HELDOUT)}
    rows, by = read_back(None, kinds, real, read, "real clips (the measures' own check)")
    rows += read_back(None, held, {p: [blurred(v) for v in real[p]] for p in HELDOUT}, read,
                      "real clips blurred (a blob of the right colours: must read no subject)")[0]

    def copies(pipe, name):
        """The measures and the PSNR on the autoencoder's copies of the held-out pairs' real clips."""
        pairs = sorted(HELDOUT)
        videos = to_tensor(np.stack([v for p in pairs for v in real[p]]))
        with torch.no_grad():
            copy = pipe.system.reconstruct(videos)
        made = iter(to_uint8(copy))
        copied = {p: [next(made) for _ in real[p]] for p in pairs}
        rows.extend(read_back(None, held, copied, read, f"{name}: its autoencoder's copies of real clips")[0])
        rows[-1]["psnr_db"] = round(psnr_db(float(((copy - videos) / 2).pow(2).mean())), 2)

    for checkpoint in args.autoencoder:
        pipe = Pipeline.from_pretrained(checkpoint)
        copies(pipe, model_name(pipe).replace(")", ", autoencoder alone)"))
    for checkpoint in args.checkpoint:
        pipe = Pipeline.from_pretrained(checkpoint)
        torch.manual_seed(0)
        mine, per_value = read_back(pipe, kinds, {p: [caption(*p)] * args.per_prompt for p in _pairs()}, read,
                                    temperature=args.temperature, values=(("subject", SUBJECTS), ("motion", MOTIONS)))
        rows, by = rows + mine, by + per_value
        if MODELS[pipe.config["model"]].reconstructs:  # an autoencoder's copies, not a layered model's
            copies(pipe, model_name(pipe))
        if args.grid:  # the first checkpoint's samples
            sample_grid(pipe, *_grid_prompts(root), Path(args.grid), args.temperature)
            args.grid = None
    for row in rows:
        row.setdefault("psnr_db", "")
    save(args.save_as, rows, "Photographs through a moving camera: motion and subject read back",
         command_line(),
         notes=f"Checkpoints: {', '.join(args.autoencoder + args.checkpoint)}; {args.per_prompt} clips "
               f"per prompt; chance: motion 1/{len(MOTIONS)}, subject 1/{len(SUBJECTS)}. Copies: "
               "the autoencoder's reconstructions of the held-out pairs' real clips (models that "
               "reconstruct), with their PSNR.")
    if by:
        save(f"{args.save_as}_by_value", by, "Photographs through a moving camera: each subject and "
             "motion read back (seen and held-out prompts together)", command_line(),
             notes=f"subject rows: the share of clips whose photograph is read right; motion rows: "
                   f"whose camera motion is. {args.per_prompt} clips per prompt.")


def bank(args) -> None:
    """layer-flow's atlas bank as one picture (8 images a row), and the image each subject's
    caption chooses: where subjects share an image, the picture shows it."""
    import torch

    from tinyt2v.pipeline import Pipeline

    pipe = Pipeline.from_pretrained(args.checkpoint)
    model = pipe.system
    images = model.atlas[torch.arange(model.cfg.atlases)]
    pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    rows = [np.concatenate(list(pixels[i:i + 8]), 1) for i in range(0, len(pixels), 8)]
    Image.fromarray(np.concatenate(rows, 0)).save(args.out)
    with torch.no_grad():
        texts = [pipe.understand(caption(s, "still")).text for s in SUBJECTS]
        chosen = model.atlas.choose(model.text(texts)).argmax(1).tolist()
    print("image each subject's caption chooses (row-major in the picture):",
          ", ".join(f"{s} {k}" for s, k in zip(SUBJECTS, chosen)))


def speed(args) -> None:
    """Seconds a clip at batch 1 (the median of 10 after one warm-up) and checkpoint megabytes,
    per checkpoint, on this machine's threads as set."""
    import statistics
    import time

    from tinyt2v.pipeline import Pipeline

    rows = []
    prompts = [caption(s, m) for s, m in sorted(HELDOUT)]
    for checkpoint in args.checkpoint:
        pipe = Pipeline.from_pretrained(checkpoint)
        pipe.generate(prompts[:1], seed=0)
        seconds = []
        for i in range(10):
            start = time.perf_counter()
            pipe.generate([prompts[i % len(prompts)]], seed=i)
            seconds.append(time.perf_counter() - start)
        size = (Path(checkpoint) / "model.safetensors").stat().st_size / 1e6
        rows.append(dict(checkpoint=checkpoint, model=pipe.config["model"], s_per_clip=statistics.median(seconds),
                         slowest_s=max(seconds), checkpoint_mb=round(size, 1)))
    save(args.save_as, rows, "Footage models: sampling time at batch 1 and checkpoint size", command_line(),
         notes="Median of 10 clips at batch 1 after one warm-up; torch's default threads on this machine.")


def main():
    ap, sub, m = dataset_parser(__doc__.split("\n")[0], "runs/footage", per_pair=12, per_prompt=4,
                                save_as="footage")
    m.add_argument("--autoencoder", action="append", default=[],
                   help="a checkpoint whose autoencoder alone is measured (trained with --set ae_share=1)")
    m.add_argument("--grid", help="also write a sample grid here (PNG + GIF)")
    k = sub.add_parser("bank", help="picture layer-flow's atlas bank")
    k.add_argument("--checkpoint", required=True)
    k.add_argument("--out", required=True, help="PNG")
    t = sub.add_parser("speed", help="time sampling at batch 1")
    t.add_argument("--checkpoint", action="append", required=True)
    t.add_argument("--save-as", default="footage_sampling")
    args = ap.parse_args()
    if args.cmd == "grid":
        grid(args)
    elif args.cmd == "speed":
        speed(args)
    elif args.cmd == "build":
        build(Path(args.out), args.per_pair)
    elif args.cmd == "bank":
        bank(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
