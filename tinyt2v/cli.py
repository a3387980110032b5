"""Command line: thin wrappers that parse arguments, call the library and turn errors into
one-line messages (exit code 2) instead of tracebacks."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

app = typer.Typer(help="tinyt2v: text-to-video trained from scratch on a laptop CPU.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
data_app = typer.Typer(help="The procedural world: export clips, list the splits.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class UsageError(Exception):
    """Bad input from the user; printed as one line, exit code 2."""


def friendly(fn):
    """Turn expected errors into `error: ...` and exit code 2."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (UsageError, ValueError, FileNotFoundError, NotADirectoryError,
                PermissionError, IsADirectoryError) as e:
            err.print(f"[red]error:[/red] {e}", highlight=False)
            raise typer.Exit(2)
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130)
    return wrapper


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, transient=True)


@data_app.command("export")
@friendly
def data_export(
    out_dir: Path = typer.Option(..., "--out", help="Folder to write clips and manifests into."),
    split: str = typer.Option("train", help="train | test | heldout | paraphrase"),
    n: int = typer.Option(100, "-n", "--n", help="Number of clips."),
    seed: int = typer.Option(0, help="Random stream seed: same seed, same bytes."),
    fmt: str = typer.Option("mp4", "--format", help="mp4 | gif | png (png = video_i/frame_k.png + prompt.txt)"),
    world: str = typer.Option("default", help="World preset: default | seed"),
    frames: Optional[int] = typer.Option(None, help="Frames per clip (default: the preset's)."),
):
    """Write N clips of a split plus manifest.jsonl and manifest.csv (path,text,num_frames,height,width)."""
    from .world import get_world
    from .world.export import export

    if n < 1:
        raise UsageError(f"-n must be at least 1, got {n}")
    cfg = get_world(world, **({"frames": frames} if frames is not None else {}))
    with progress_bar() as bar:
        task = bar.add_task(f"export {split}", total=n)
        manifest = export(cfg, split, n, out_dir, seed, fmt, progress=lambda k: bar.advance(task, k))
    out.print(f"wrote {n} clips and {manifest}")


@data_app.command("splits")
@friendly
def data_splits(world: str = typer.Option("default", help="World preset.")):
    """Show the held-out (shape, motion) and (colour, shape) pairs and each split's size."""
    from .world import SPLITS, combos, get_world, heldout_pairs

    cfg = get_world(world)
    sm, cs = heldout_pairs(cfg)
    out.print("held-out shape x motion: " + ", ".join(f"{s} {m}" for s, m in sorted(sm)))
    out.print("held-out colour x shape: " + ", ".join(f"{c} {s}" for c, s in sorted(cs)))
    for split in SPLITS:
        out.print(f"{split}: {len(combos(cfg, split))} combinations")


@app.command("judge")
@friendly
def judge_cmd(
    path: Path = typer.Argument(..., help="A video file (.mp4/.gif/frame folder) or a folder with manifest.jsonl."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON report."),
):
    """Read clips with the judge. On a manifest folder: accuracy per attribute, all-correct
    accuracy, confusion matrices and temporal consistency."""
    from .io import read_video
    from .judge import format_report, read_clip, read_manifest, score

    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if not (path / "manifest.jsonl").exists():
        reading = read_clip(read_video(path))
        if as_json:
            print(json.dumps(reading.as_dict(), indent=2))
        else:
            out.print(f"the judge sees: {reading.describe()}")
        return
    rows = read_manifest(path)
    pairs = []
    with progress_bar() as bar:
        task = bar.add_task("judging", total=len(rows))
        for row in rows:
            pairs.append((read_clip(read_video(row["path"])), row))
            bar.advance(task)
    report = score(pairs)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        out.print(format_report(report))


def main():
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
