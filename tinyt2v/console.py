"""What the CLI prints on: its two consoles, errors as one line (exit code 2), progress bars,
and training's progress."""
from __future__ import annotations

import functools
import time

import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .train_config import TrainConfig

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
LOG_LINE_SECONDS = 30  # without a terminal, training prints a progress line this often

# click's UsageError, from whichever click this typer uses (recent typers vendor their own)
_ClickUsageError = typer.BadParameter.__mro__[1]


class Commands(typer.core.TyperGroup):
    """Errors click finds in a command's arguments (an unknown option, a missing prompt) as one
    `error:` line and exit code 2, like every other error of this CLI, instead of a box."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _ClickUsageError as e:
            if type(e).__name__ == "NoArgsIsHelpError":
                raise  # `tinyt2v data` alone: click prints the help
            hint, name = "", getattr(e, "option_name", None) or ""
            if name.startswith("-") and not name.startswith("--"):
                hint = (f' (a prompt that starts with "-" goes last, after --: '
                        f'tinyt2v generate -o out.mp4 -- "{name}")')
            err.print(f"[red]error:[/red] {escape(e.format_message() + hint)}", highlight=False)
            raise typer.Exit(2) from None


class UsageError(Exception):
    """Bad input from the user; printed as one line, exit code 2."""


def friendly(fn):
    """Turn expected errors into `error: ...` and exit code 2."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (UsageError, ValueError, ImportError) as e:
            # escaped: a message such as pip install "tinyt2v[demo]" is not markup
            err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
            raise typer.Exit(2)
        except OSError as e:  # missing or read-only folder, disk full, ...
            msg = f"{e.strerror}: {e.filename}" if e.strerror and e.filename else str(e)
            err.print(f"[red]error:[/red] {escape(msg)}", highlight=False)
            raise typer.Exit(2)
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130)
    return wrapper




def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, transient=True, disable=_no_bar())


def _no_bar() -> bool:
    """On a pipe or in a log rich draws nothing while running, but prints a blank line (and a
    kept bar's last frame) when it stops, so an error would no longer be one line."""
    return not err.is_interactive


class TrainingProgress:
    """A bar that follows whichever budget was given, in its own unit; without a terminal (a
    log), a line on stdout every LOG_LINE_SECONDS and one for the last step."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                            TimeRemainingColumn(), console=err, disable=_no_bar())
        self.total = cfg.steps if cfg.steps is not None else (cfg.minutes or cfg.cpu_minutes) * 60
        self.task = self.bar.add_task(f"train {cfg.model}", total=self.total, info="")
        self.first = None  # the first step seen and its time, for the rate
        self.logged, self.last = 0.0, ""  # the last log line's time; the last step's numbers
        self.wall0, self.cpu0 = time.time(), time.process_time()

    def on_step(self, step: int, logs: dict) -> None:
        now = time.time()
        self.first = self.first or (step, now)
        rate = (step - self.first[0]) / max(now - self.first[1], 1e-9)
        self.last = f"step {step}  {rate:.2f} it/s  " + "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
        c = self.cfg
        done = (step if c.steps is not None else now - self.wall0 if c.minutes is not None
                else time.process_time() - self.cpu0)
        self.bar.update(self.task, completed=done, info=self.last)
        if self.bar.disable and now - self.logged >= LOG_LINE_SECONDS:
            self.logged = now
            out.print(f"train {c.model}: {100 * done / self.total:.0f}%  {self.last}", soft_wrap=True)

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, kind, error, trace):
        if kind is not None:
            self.bar.live.transient = True  # a terminal clears the bar: an error or Ctrl-C is one line
        self.bar.__exit__(kind, error, trace)
        if kind is None and self.bar.disable and self.last:  # a log ends on the last step's numbers
            out.print(f"train {self.cfg.model}: done  {self.last}", soft_wrap=True)
        return False
