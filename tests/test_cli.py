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


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from tinyt2v.train import TrainConfig, train
    out = tmp_path_factory.mktemp("ck")
    return str(train(TrainConfig(model="seed-cgan", preset="seed", world="seed", out=str(out),
                                 steps=1, batch_size=2)))


@pytest.mark.parametrize("args, words", [
    (["--frames", "0"], "frames"),
    (["--frames", "100000"], "frames"),
    (["--guidance", "nan"], "guidance"),
    (["--temperature", "3"], "temperature"),
    (["--seed", "-1"], "seed"),
    (["-o", "/nonexistent/dir/x.mp4"], "does not exist"),
    (["-o", "x.avi"], "must end in"),
])
def test_generate_rejects_bad_parameters_by_name(tmp_path, checkpoint, args, words):
    base = ["generate", "circle moving down", "--checkpoint", checkpoint, "-o", str(tmp_path / "v.mp4")]
    r = run(*base, *args)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not list(tmp_path.glob("*.mp4")), "no partial output"


def test_argument_errors_are_one_line_and_a_dash_prompt_is_told_about_double_dash(tmp_path):
    out = str(tmp_path / "v.mp4")
    r = run("generate", "-0", "-o", out)
    assert r.returncode == 2 and r.stderr.startswith("error: No such option: -0"), r.stderr
    assert '-- "-0"' in r.stderr and "Traceback" not in r.stderr
    for args in (["generate"], ["generate", "a red circle", "--bogus"]):
        r = run(*args)
        assert r.returncode == 2 and r.stderr.startswith("error:") and len(r.stderr.splitlines()) == 1, r.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("prompt, words", [("", "empty"), ("   ", "empty"), ("x" * 10000, "characters"),
                                            ("circle \x07 moving", "control"),
                                            ("circle moonwalking", "moonwalking")])
def test_generate_rejects_bad_prompts_with_one_line(tmp_path, checkpoint, prompt, words):
    r = run("generate", prompt, "--checkpoint", checkpoint, "-o", str(tmp_path / "v.mp4"))
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_missing_and_pickled_checkpoints_are_clear_errors(tmp_path):
    r = run("generate", "circle moving down", "--checkpoint", str(tmp_path / "nope"))
    assert r.returncode == 2 and "not found" in r.stderr
    (tmp_path / "model.pt").write_bytes(b"\x80\x04")
    r = run("generate", "circle moving down", "--checkpoint", str(tmp_path / "model.pt"))
    assert r.returncode == 2 and "pickle" in r.stderr
