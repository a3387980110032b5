"""The command line: help everywhere, clear errors, export -> judge round trip."""
import json
import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "tinyt2v", *args], capture_output=True, text=True)


@pytest.mark.parametrize("cmd", [[], ["data"], ["data", "export"], ["data", "splits"], ["judge"]])
def test_every_command_has_help(cmd):
    r = run(*cmd, "--help")
    assert r.returncode == 0 and "Usage" in r.stdout


def test_export_then_judge_json(tmp_path):
    r = run("data", "export", "--split", "heldout", "-n", "12", "--out", str(tmp_path), "--seed", "1")
    assert r.returncode == 0, r.stderr
    r = run("judge", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["n"] == 12 and rep["all_correct"] == 1.0


def test_bad_input_is_one_clear_line_and_exit_2(tmp_path):
    r = run("data", "export", "--split", "nope", "--out", str(tmp_path))
    assert r.returncode == 2 and "unknown split" in r.stderr and "Traceback" not in r.stderr
    r = run("judge", str(tmp_path / "missing"))
    assert r.returncode == 2 and "does not exist" in r.stderr
