"""Command line: thin wrappers that parse arguments, call the library and turn errors into
one-line messages (exit code 2) instead of tracebacks."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
import typer.core
from rich.markup import escape

from .cli_world import data_app
from .console import Commands, TrainingProgress, UsageError, err, friendly, out, progress_bar
from .models import listing
from .train import TrainConfig
from .train_config import FOOTAGE_MODEL, WORLD_MODEL, parse_settings
from .world.splits import RELATION_SPLITS, SCENE_SPLITS, SPLITS

app = typer.Typer(help="tinyt2v: text-to-video trained from scratch on a laptop CPU.", cls=Commands,
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(data_app, name="data")


GRID_CLIPS = 16  # eval --data draws this many clips beside their samples (all n are measured)


DEVICE_HELP = "cpu | cuda | cuda:N | auto (a GPU when one is visible)"
SHIPPED_HELP = "a shipped one by name: default (one shape), scenes (several), footage (photographs, a moving camera)"

@app.command("judge")
@friendly
def judge_cmd(
    path: Path = typer.Argument(..., help="A video file (.mp4/.gif/frame folder), a folder with "
                                "manifest.jsonl or manifest.csv, or a folder of videos (each read)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON report."),
):
    """Read clips with the judge. On a folder with manifest.jsonl (labels) or manifest.csv
    (captions, read as `generate` reads a prompt): accuracy per attribute, all-correct accuracy,
    confusion matrices and temporal consistency; rows it cannot judge are listed. On a folder of
    videos without a manifest: what the judge sees in each."""
    from dataclasses import asdict

    from .judge import format_report, score
    from .judge.folder import judge_rows, manifest_rows, read_any, read_each
    from .judge.scene import format_scene_report, score_scenes

    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if path.is_dir() and not any((path / m).exists() for m in ("manifest.jsonl", "manifest.csv")) \
            and not any(path.glob("frame_*.png")):
        try:
            readings, unread = read_each(path)
        except ValueError as e:
            raise UsageError(str(e)) from None
        for line in unread:
            err.print(f"skipped {escape(line)}", highlight=False)
        if as_json:
            print(json.dumps({name: asdict(r) for name, r in readings.items()}, indent=2))
        else:
            for name, r in readings.items():
                out.print(f"{escape(name)}: the judge sees: {r.describe()}", highlight=False)
        return
    if not path.is_dir() or any(path.glob("frame_*.png")):  # one clip
        reading = read_any(path)
        if as_json:
            print(json.dumps(asdict(reading), indent=2))
        else:
            out.print(f"the judge sees: {reading.describe()}")
        return
    from .pipeline import world_caption_reader

    rows, skipped = manifest_rows(path, world_caption_reader())
    with progress_bar() as bar:
        task = bar.add_task("judging", total=len(rows))
        pairs, unread, scenes = judge_rows(rows, lambda: bar.advance(task))
    skipped += unread
    for line in skipped:
        err.print(f"skipped {escape(line)}", highlight=False)
    if not pairs:
        raise UsageError(f"no clip in {path} could be judged ({len(skipped)} rows skipped, listed above)")
    report = (score_scenes if scenes else score)(pairs)
    report["skipped"] = skipped
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        out.print((format_scene_report if scenes else format_report)(report)
                  + (f"\nskipped: {len(skipped)} rows (listed above)" if skipped else ""))


TRAIN = TrainConfig()  # the defaults the train command shows are the config's own


@app.command("train")
@friendly
def train_cmd(
    model: Optional[str] = typer.Option(
        None, help=f"Model family (default: {WORLD_MODEL} on the world, {FOOTAGE_MODEL} on --data; with --init, or "
                   "--resume and --out, the checkpoint's own). Families (presets): " + listing().replace("\n", "; ") + "."),
    preset: str = typer.Option(TRAIN.preset, help="Model preset, one of the family's (every family has tiny)."),
    world: str = typer.Option(TRAIN.world, help="World preset to stream: default | seed | scenes (1-3 objects per clip, for scene-flow) | relations (scenes that also say where two objects start against each other)"),
    minutes: Optional[float] = typer.Option(None, help="Stop after this many minutes of training."),
    cpu_minutes: Optional[float] = typer.Option(
        None, help="Stop after this many minutes of process CPU time (all threads; fair when the machine is shared)."),
    steps: Optional[int] = typer.Option(None, help="Stop after this many steps."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Run folder (default runs/MODEL-PRESET)."),
    resume: bool = typer.Option(False, help="Continue exactly from OUT/checkpoint (same model, data and world)."),
    init: Optional[Path] = typer.Option(
        None, help="Fine-tune: start from this checkpoint's weights and model settings on this "
                   "run's data (words new to it start untrained)."),
    overwrite: bool = typer.Option(False, help="Start afresh in an OUT that already holds a run, deleting "
                                   "that run (without it such an OUT is refused)."),
    batch_size: Optional[int] = typer.Option(None, help="Clips per step (default: the preset's)."),
    seed: int = typer.Option(TRAIN.seed, help="Seed for weights, noise and the data stream."),
    sample_every: int = typer.Option(TRAIN.sample_every, help="Write a sample grid (PNG + GIF) every N steps."),
    ckpt_every: int = typer.Option(TRAIN.ckpt_every, help="Save a checkpoint every N steps."),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads (default: torch's)."),
    tensorboard: bool = typer.Option(False, help="Also log metrics and sample grids to OUT/tensorboard."),
    data: Optional[str] = typer.Option(
        None, help="Train on real clips: videos:FOLDER (videos + sidecar .txt captions) or "
                   "videos:MANIFEST.csv|.jsonl (path,text). Default: the procedural world."),
    workers: int = typer.Option(TRAIN.workers, help="Data processes: decoding real videos (--data), or laying out world clips drawn on a GPU."),
    device: str = typer.Option(TRAIN.device, help=DEVICE_HELP),
    amp: str = typer.Option(TRAIN.amp, help="Mixed precision for training steps: none | bf16"),
    grad_accum: int = typer.Option(
        TRAIN.grad_accum, help="Split each batch into N micro-batches and sum their gradients: the same update in "
                "about 1/N the activation memory (sprite-flow, latent-flow, latent-dit)."),
    grad_checkpoint: bool = typer.Option(
        False, help="Recompute activations in the backward pass instead of storing them (less "
                    "memory, ~30% more compute; for large presets on a GPU)."),
    compile: bool = typer.Option(False, "--compile", help="torch.compile the heavy sub-networks "
                                 "(inductor; needs a C compiler; pays off on long GPU runs)."),
    settings: list[str] = typer.Option(
        [], "--set", metavar="FIELD=VALUE", help="Change one field of the model preset, e.g. --set "
        "time_patch=1 (repeatable; the fields are in the model's config in tinyt2v/models/)."),
):
    """Train a model on the streamed world (or real clips, --data); writes checkpoint/, samples/,
    loss.png, metrics.jsonl. Many processes: torchrun --nproc_per_node N -m tinyt2v train ..."""
    from .train import train

    cfg = TrainConfig(model=model, preset=preset, world=world, minutes=minutes, steps=steps,
                      cpu_minutes=cpu_minutes, out=str(out_dir) if out_dir else None, resume=resume,
                      init=str(init) if init else None, overwrite=overwrite,
                      batch_size=batch_size, seed=seed, sample_every=sample_every,
                      ckpt_every=ckpt_every, threads=threads, tensorboard=tensorboard,
                      data=data, workers=workers, device=device, amp=amp, grad_accum=grad_accum,
                      grad_checkpoint=grad_checkpoint, compile="inductor" if compile else None,
                      overrides=parse_settings(settings))
    cfg.validate()  # every argument check lives with the config, before a bar is drawn
    if int(os.environ.get("RANK", "0")) > 0:  # torchrun: rank 0 alone talks
        train(cfg)
        return
    with TrainingProgress(cfg) as progress:
        folder = train(cfg, progress.on_step)
    out.print(f"checkpoint: {folder}")


def _pipeline(checkpoint: Optional[Path], device: str, prompt: str | None = None):
    """The checkpoint asked for; else the shipped one that draws `prompt` (one or several objects)."""
    from .pipeline import Pipeline, Router

    if checkpoint is None and prompt is not None:
        return Router.shipped(device).pick(prompt)
    return Pipeline.from_pretrained(checkpoint, device)



def _check_output(output: Path) -> None:
    if output.suffix.lower() not in (".mp4", ".gif", ".png", ""):
        raise UsageError(f"output must end in .mp4, .gif or .png (or be a folder), got {output.name}")
    if not output.parent.is_dir():
        raise UsageError(f"output folder {output.parent} "
                         + ("is a file" if output.parent.is_file() else "does not exist"))


@app.command("generate")
@friendly
def generate_cmd(
    prompt: str = typer.Argument(..., help='What to show, e.g. "a small red circle moving up-right".'),
    output: Path = typer.Option(Path("out.mp4"), "-o", "--output", help="Output .mp4, .gif, or a folder of PNG frames."),
    checkpoint: Optional[Path] = typer.Option(None, help="Checkpoint folder, or " + SHIPPED_HELP + " (default: "
                                              "default; for a prompt of several objects, scenes)."),
    seed: int = typer.Option(0, help="Sampling seed: same seed, same video."),
    frames: Optional[int] = typer.Option(None, help="Frames to generate (default: the model's)."),
    guidance: Optional[float] = typer.Option(None, help="Classifier-free guidance scale (flow models; default: the model's)."),
    temperature: Optional[float] = typer.Option(
        None, help="Scale of the starting noise, 0-2 (flow models; default: the model's, 0.6 for "
                   "sprite-flow). Lower: fewer clips that stray from the prompt, less variety."),
    n: int = typer.Option(1, "--n", help="Write N samples (seeds SEED..SEED+N-1) and a contact sheet."),
    fps: int = typer.Option(8, help="Frames per second of the file."),
    device: str = typer.Option("cpu", help=DEVICE_HELP),
):
    """Generate a video from a text prompt (MP4, GIF or PNG frames, chosen by the extension)."""
    import warnings

    import numpy as np

    from .pipeline import MAX_SEED
    from .visuals import frame_grid, save_png

    if not 1 <= n <= 64:
        raise UsageError(f"--n must be from 1 to 64, got {n}")
    if not 1 <= fps <= 60:
        raise UsageError(f"--fps must be from 1 to 60, got {fps}")
    if not 0 <= seed <= MAX_SEED - n:
        raise UsageError(f"--seed must be from 0 to {MAX_SEED - n}, got {seed}")
    _check_output(output)
    pipe = _pipeline(checkpoint, device, prompt)
    pipe.check(prompt, frames, guidance, seed, temperature)
    err.print(escape(pipe.understand(prompt).describe()))
    written, clips, videos = [], [], []
    for k in range(n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            video = pipe(prompt, seed=seed + k, frames=frames, guidance=guidance,
                         temperature=temperature)
        video.fps = fps
        path = output if n == 1 else output.with_name(f"{output.stem}_{k}{output.suffix}")
        written.append(video.save(path))
        clips.append(video.frames)
        videos.append(video)
    if n > 1:
        sheet = output.with_name(f"{output.stem}_sheet.png")
        save_png(sheet, frame_grid(np.stack(clips)))
        written.append(sheet)
    out.print("\n".join(f"wrote {p}" for p in written))
    verdict = pipe.verdict(videos[0])
    if verdict is not None:
        out.print(verdict.line)


@app.command("animate")
@friendly
def animate_cmd(
    image: Path = typer.Argument(..., help="The picture (PNG, JPEG, ...; any size: resized and "
                                 "centre-cropped to the model's frame)."),
    prompt: str = typer.Argument(..., help='How it moves: "a red circle moving left", "the camera panning right".'),
    output: Path = typer.Option(Path("out.mp4"), "-o", "--output", help="Output .mp4, .gif, or a folder of PNG frames."),
    checkpoint: Optional[Path] = typer.Option(None, help="Checkpoint folder, or " + SHIPPED_HELP + " (default: "
                                              "the shipped one that knows more of the prompt's words: "
                                              "footage for a camera's motion, default for an object's)."),
    seed: int = typer.Option(0, help="Sampling seed: same seed, same video."),
    frames: Optional[int] = typer.Option(None, help="Frames to generate (default: the model's)."),
    temperature: Optional[float] = typer.Option(None, help="Scale of the starting noise, 0-2 (default: the model's)."),
    fps: int = typer.Option(8, help="Frames per second of the file."),
    device: str = typer.Option("cpu", help=DEVICE_HELP),
):
    """Animate a picture: the clip starts on it and moves as the prompt says (an object over a
    plain background moves; a photograph is seen through a moving camera)."""
    import warnings

    from .pipeline import Pipeline

    if not 1 <= fps <= 60:
        raise UsageError(f"--fps must be from 1 to 60, got {fps}")
    _check_output(output)
    pipe = Pipeline.from_pretrained(checkpoint, device) if checkpoint else Pipeline.for_animation(prompt, device)
    pipe.check(prompt, frames, None, seed, temperature)
    still = pipe.still(image)
    err.print(escape(f"{pipe.config['model']}: " + pipe.understand(prompt).describe()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        video = pipe(prompt, seed=seed, frames=frames, temperature=temperature, image=still)
    video.fps = fps
    out.print(f"wrote {video.save(output)}")


@app.command("eval")
@friendly
def eval_cmd(
    checkpoint: Optional[Path] = typer.Option(None, help="Checkpoint folder, or " + SHIPPED_HELP + " (default: "
                                              "default; for binding or count, scenes)."),
    split: str = typer.Option("test", help=" | ".join(SPLITS) + "; a scenes model: " + " | ".join(SCENE_SPLITS)
                                + "; one trained on relations also: " + " | ".join(RELATION_SPLITS)),
    n: int = typer.Option(200, "-n", "--n", help="Clips (one per prompt of the split)."),
    seed: int = typer.Option(0, help="Seed of the prompts and of the sampling noise."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON report."),
    device: str = typer.Option("cpu", help=DEVICE_HELP),
    data: Optional[str] = typer.Option(
        None, help="For a checkpoint trained on real clips: videos:PATH of clips it did not train on. "
                   "Reports its autoencoder's PSNR on them and writes a grid of each clip beside a "
                   "sample of its caption (the world judge cannot read real footage)."),
    grid: Path = typer.Option(Path("eval_samples.png"), help=f"With --data: where the grid of the first "
                              f"{GRID_CLIPS} clips is written."),
):
    """Generate one clip per prompt of a split and score it with the judge (a real-data
    checkpoint: --data)."""
    from .evaluate import evaluate
    from .judge import format_report
    from .judge.scene import format_scene_report

    if n < 1:
        raise UsageError(f"-n must be at least 1, got {n}")
    if checkpoint is None and split not in SPLITS and split in SCENE_SPLITS + RELATION_SPLITS:
        from .pipeline import SCENES_CHECKPOINT

        checkpoint = SCENES_CHECKPOINT  # a split only scenes have: the shipped scenes model
    pipe = _pipeline(checkpoint, device)
    if data:
        return _eval_footage(pipe, data, n, seed, grid, as_json)
    if not pipe.on_world:
        raise UsageError(f"this checkpoint was trained on {pipe.trained_on}, not the world, so the "
                         "world judge cannot score it; --data videos:PATH (clips it did not train on) "
                         "measures its autoencoder's PSNR and writes its samples beside those clips")
    with progress_bar() as bar:
        task = bar.add_task(f"eval {split}", total=n)
        report = evaluate(pipe, split, n, seed, progress=lambda k: bar.advance(task, k))
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        text = (format_scene_report if pipe.world.objects > 1 else format_report)(report)
        out.print(text + f"\nseconds per clip: {report['seconds_per_clip']:.4f}")


def _eval_footage(pipe, data: str, n: int, seed: int, grid: Path, as_json: bool) -> None:
    import numpy as np

    from .evaluate import evaluate_footage
    from .visuals import captioned_grid, save_png

    if not grid.parent.is_dir():
        raise UsageError(f"--grid: folder {grid.parent} does not exist")
    if grid.suffix.lower() != ".png":
        raise UsageError(f"--grid must be a .png file, got {grid.name}")
    err.print(f"reading up to {n} clips of {data} and sampling a clip per caption")
    report = evaluate_footage(pipe, data, n, seed)
    shown = slice(0, GRID_CLIPS)
    pairs = np.stack([clip for both in zip(report["real"][shown], report["samples"][shown]) for clip in both])
    labels = [f"{who}: {c}" for c in report["captions"][shown] for who in ("real", "sample")]
    save_png(grid, captioned_grid(pairs, labels))
    summary = {k: v for k, v in report.items() if k not in ("real", "samples")} | {"grid": str(grid)}
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    psnr = ("its model has no autoencoder to copy them" if report["psnr_db"] is None
            else f"autoencoder PSNR {report['psnr_db']:.1f} dB")
    out.print(f"clips: {report['n']} from {data} ({report['skipped']} unreadable skipped); {psnr}\n"
              f"each clip beside a sample of its caption: {grid}\n"
              "the world judge does not read real footage: look at the grid\n"
              f"seconds per clip: {report['seconds_per_clip']:.4f}")


@app.command("demo")
@friendly
def demo_cmd(
    checkpoint: Optional[Path] = typer.Option(None, help="Checkpoint folder, or " + SHIPPED_HELP
                                              + " (default: all three)."),
    port: int = typer.Option(7860, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; 127.0.0.1 keeps the demo on this machine."),
    device: str = typer.Option("cpu", help=DEVICE_HELP),
):
    """Serve the web demo (Gradio): prompt, seed, guidance, frames -> MP4, GIF and the judge's verdict."""
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be from 1 to 65535, got {port}")
    from .devices import resolve_device

    resolve_device(device)  # a missing GPU is one line before the server starts
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise UsageError('the demo needs gradio: pip install "tinyt2v[demo]"') from None
    from .demo import launch
    out.print(f"tinyt2v demo on http://{host}:{port} (Ctrl+C stops it)")
    launch(checkpoint, host, port, device=device)


def main():
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
