"""Does the test suite catch real regressions? Apply deliberate breakages to a scratch copy of
the repository, one at a time, run the tests that guard each, and report which are caught.

    python benchmarks/mutation_check.py            # every breakage (~5 minutes on 2 cores)
    python benchmarks/mutation_check.py --only swapped-colours

A breakage is caught when its tests fail on the broken copy; the same tests are first run on the
unbroken copy, which must pass, so a catch is never an unrelated failure. A breakage whose code
no longer exists stops the script: update the list with the code it guards.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).parent))
from common import save  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    """A breakage that rewrites one exact piece of a file."""
    def apply(root: Path) -> None:
        f = root / path
        text = f.read_text()
        if text.count(old) != 1:
            raise SystemExit(f"breakage out of date: {path} holds {text.count(old)} copies of {old!r}")
        f.write_text(text.replace(old, new))
    return apply


def in_turn(*breakages: Callable[[Path], None]) -> Callable[[Path], None]:
    return lambda root: [b(root) for b in breakages]


def untrained_weights(root: Path) -> None:
    """The shipped checkpoint's weights replaced by a freshly initialised model's."""
    code = ("from tinyt2v.pipeline import DEFAULT_CHECKPOINT as d\n"
            "from tinyt2v import checkpoint as ckpt\n"
            "from tinyt2v.models import build_model, config_from_dict\n"
            "from tinyt2v.text import Vocab\n"
            "c = ckpt.load_config(d)\n"
            "m = build_model(c['model'], config_from_dict(c['model'], c['model_config']), Vocab(c['vocab']))\n"
            "ckpt._save_tensors(d / 'model.safetensors', m.state_dict())\n")
    subprocess.run([sys.executable, "-c", code], cwd=root, env=_env(root), check=True)


@dataclass
class Breakage:
    name: str
    apply: Callable[[Path], None]
    tests: list[str]


BREAKAGES = [
    Breakage("untrained-shipped-weights", untrained_weights,
             ["tests/test_shipped_models.py"]),
    Breakage("no-ema-restore-on-resume",
             replace("tinyt2v/run_state.py", "ckpt.load_into(state.ema.model,", "(lambda *a: None)(state.ema.model,"),
             ["tests/test_pipeline.py::test_resume_continues_exactly"]),
    Breakage("data-position-off-by-one-on-resume",
             replace("tinyt2v/run_state.py", 'state.clips_seen = record.get("clips_seen", state.step * saved["train"]["batch_size"])',
                     'state.clips_seen = record.get("clips_seen", state.step * saved["train"]["batch_size"]) + 1'),
             ["tests/test_pipeline.py::test_resume_continues_exactly"]),
    Breakage("swapped-colours",
             in_turn(replace("tinyt2v/world/attributes.py", '"red": (215, 25, 35)', '"red": (30, 60, 230)'),
                     replace("tinyt2v/world/attributes.py", '"blue": (30, 60, 230)', '"blue": (215, 25, 35)')),
             ["tests/test_world.py", "tests/test_judge.py"]),
    Breakage("always-match-verdict",
             replace("tinyt2v/judge/verdict.py", "return reading, bool(ok)", "return reading, True"),
             ["tests/test_judge.py", "tests/test_demo.py"]),
    Breakage("no-gradient-averaging",
             in_turn(replace("tinyt2v/run_state.py", "state.ddp = distributed.data_parallel(system, ctx)",
                             "state.ddp = None"),
                     replace("tinyt2v/distributed.py", "    if ctx.active:\n        _average([p.grad",
                             "    if False:\n        _average([p.grad")),
             ["tests/test_distributed.py"]),
    # Clipping before the all-reduce cannot happen to a model in DDP (backward() returns with the
    # gradients averaged); what can go wrong is the all-reduce skipped, as here on every part.
    Breakage("ddp-all-reduce-skipped",
             replace("tinyt2v/train.py", "quiet = ddp is not None and i < len(parts) - 1",
                     "quiet = ddp is not None"),
             ["tests/test_distributed.py"]),
]


def _env(root: Path) -> dict:
    # The scratch copy's package first, ahead of the editable install of the real one.
    return dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")


def scratch_copy() -> Path:
    """The working tree's tracked and untracked (not ignored) files, in a temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="tinyt2v-mutant-"))
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    return root


def run_tests(root: Path, tests: list[str]) -> tuple[bool, str, float]:
    """(passed, the failing tests' names, seconds)."""
    t = time.time()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                       cwd=root, env=_env(root), capture_output=True, text=True)
    failed = [line.split(" ")[1] for line in r.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return r.returncode == 0, ", ".join(failed) or r.stdout.strip().splitlines()[-1], time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="names of breakages to try (default: all)")
    args = ap.parse_args()
    chosen = [b for b in BREAKAGES if not args.only or b.name in args.only]
    rows = []
    for b in chosen:
        root = scratch_copy()
        try:
            probe = subprocess.run([sys.executable, "-c", "import tinyt2v; print(tinyt2v.__file__)"],
                                   cwd=root, env=_env(root), capture_output=True, text=True)
            assert probe.stdout.startswith(str(root)), f"the scratch copy is not the one imported: {probe.stdout}"
            clean, why, _ = run_tests(root, b.tests)
            if not clean:
                raise SystemExit(f"{b.name}: its tests fail before the breakage: {why}")
            b.apply(root)
            passed, failed, seconds = run_tests(root, b.tests)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        rows.append(dict(breakage=b.name, tests=" ".join(b.tests), caught=not passed,
                         failed=failed if not passed else "", seconds=round(seconds, 1)))
        print(rows[-1], flush=True)
    caught = sum(r["caught"] for r in rows)
    save("mutation_check", rows, "Deliberate breakages and the tests that catch them",
         "python benchmarks/mutation_check.py" + (" --only " + " ".join(args.only) if args.only else ""),
         f"{caught} of {len(rows)} breakages caught.")
    sys.exit(0 if caught == len(rows) else 1)


if __name__ == "__main__":
    main()
