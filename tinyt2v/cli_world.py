"""`tinyt2v data`: the procedural world's commands (export clips, list the splits)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .console import UsageError, friendly, out, progress_bar
from .world.splits import RELATION_SPLITS, SCENE_SPLITS, SPLITS

data_app = typer.Typer(help="The procedural world: export clips, list the splits.",
                       no_args_is_help=True)


@data_app.command("export")
@friendly
def data_export(
    out_dir: Path = typer.Option(..., "--out", help="Folder to write clips and manifests into."),
    split: str = typer.Option("train", help=" | ".join(SPLITS) + "; scenes: " + " | ".join(SCENE_SPLITS)
                                + "; relations: also " + " | ".join(RELATION_SPLITS)),
    n: int = typer.Option(100, "-n", "--n", help="Number of clips."),
    seed: int = typer.Option(0, help="Random stream seed: same seed, same bytes."),
    fmt: str = typer.Option("mp4", "--format", help="mp4 | gif | png (png = video_i/frame_k.png + prompt.txt)"),
    world: str = typer.Option("default", help="World preset: default | seed | scenes (1-3 objects per clip)"),
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
def data_splits(world: str = typer.Option("default", help="World preset: default | seed | scenes | relations.")):
    """Show the held-out (shape, motion) and (colour, shape) pairs and each split's size."""
    from .world import SPLITS, combos, get_world, heldout_pairs

    cfg = get_world(world)
    sm, cs = heldout_pairs(cfg)
    out.print("held-out shape x motion: " + ", ".join(f"{s} {m}" for s, m in sorted(sm)))
    out.print("held-out colour x shape: " + ", ".join(f"{c} {s}" for c, s in sorted(cs)))
    if cfg.objects > 1:
        from .world.scenes import describe_reserved

        for line in describe_reserved(cfg):
            out.print(line)
        return
    for split in SPLITS:
        out.print(f"{split}: {len(combos(cfg, split))} combinations")
