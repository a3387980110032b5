"""The command line: help everywhere, every argument check a one-line error with exit code 2,
Ctrl-C a one-line "interrupted" with exit code 130, export -> judge round trip."""
import json
import signal
import subprocess
import sys
import time

import pytest
import torch
from typer.testing import CliRunner

from tinyt2v.cli import app
from tinyt2v.pipeline import MAX_SEED


def run(*args):
    return subprocess.run([sys.executable, "-m", "tinyt2v", *args], capture_output=True, text=True)


def the_one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}: {text!r}"
    return lines[0]


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
    # The README's own manifest.csv layout (path,text,...) is judged from its captions
    (tmp_path / "manifest.jsonl").unlink()
    r = run("judge", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n"] == 12 and json.loads(r.stdout)["all_correct"] == 1.0


def test_judge_lists_the_manifest_rows_it_cannot_judge_and_judges_the_rest(tmp_path):
    assert run("data", "export", "--split", "test", "-n", "3", "--out", str(tmp_path)).returncode == 0
    (tmp_path / "manifest.jsonl").unlink()
    rows = (tmp_path / "manifest.csv").read_text().splitlines()
    clip = rows[1].split(",")[0]
    rows += [f"{clip},two red circles", "gone.mp4,a red circle moving left", f"{clip},a dog barking"]
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    r = run("judge", str(tmp_path))
    assert r.returncode == 0 and "clips: 3   all correct: 100.0%" in r.stdout, r.stdout + r.stderr
    assert r.stderr.splitlines() == [
        "skipped manifest.csv line 5: the caption counts objects (two ...) ('two red circles')",
        "skipped manifest.csv line 7: words not in the world's vocabulary: dog, barking ('a dog barking')",
        f"skipped manifest.csv line 6: {tmp_path / 'gone.mp4'} does not exist"]  # found when read


def test_judge_reads_each_clip_of_a_folder_without_a_manifest(tmp_path):
    assert run("data", "export", "--split", "test", "-n", "2", "--out", str(tmp_path)).returncode == 0
    for manifest in tmp_path.glob("manifest.*"):
        manifest.unlink()
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    r = run("judge", str(tmp_path))
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == 2, r.stdout + r.stderr
    assert all(": the judge sees: " in line and "unreadable" not in line for line in lines)
    assert "skipped broken.mp4: " in r.stderr and "cannot be read as a video" in r.stderr


def test_bad_input_is_one_clear_line_and_exit_2(tmp_path):
    r = run("data", "export", "--split", "nope", "--out", str(tmp_path))
    assert r.returncode == 2 and "unknown split 'nope'" in the_one_line(r.stderr)
    r = run("judge", str(tmp_path / "missing"))
    assert r.returncode == 2 and "does not exist" in the_one_line(r.stderr)
    (tmp_path / "afile").write_text("")
    for args, says in ((["generate", "a red circle", "-o", str(tmp_path / "afile" / "v.mp4")], "is a file"),
                       (["generate", "a red circle", "--checkpoint", str(tmp_path / "afile"), "-o",
                         str(tmp_path / "v.mp4")], "is a file; a checkpoint is a folder"),
                       (["train", "--steps", "1", "--out", str(tmp_path / "afile")], "is a file; a run needs a folder")):
        r = run(*args)
        assert r.returncode == 2 and says in the_one_line(r.stderr), r.stderr


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
])
def test_generate_rejects_bad_parameters_by_name(tmp_path, checkpoint, args, words):
    base = ["generate", "circle moving down", "--checkpoint", checkpoint, "-o", str(tmp_path / "v.mp4")]
    r = run(*base, *args)
    assert r.returncode == 2 and words in the_one_line(r.stderr), r.stderr
    assert not list(tmp_path.glob("*.mp4")), "no partial output"


def test_argument_errors_are_one_line_and_a_dash_prompt_is_told_about_double_dash(tmp_path):
    out = str(tmp_path / "v.mp4")
    r = run("generate", "-0", "-o", out)
    line = the_one_line(r.stderr)
    assert r.returncode == 2 and line.startswith("error: No such option: -0") and '-- "-0"' in line
    for args in (["generate"], ["generate", "a red circle", "--bogus"]):
        r = run(*args)
        assert r.returncode == 2 and the_one_line(r.stderr).startswith("error:")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("prompt, words", [("", "empty"), ("   ", "empty"), ("x" * 10000, "characters"),
                                            ("circle \x07 moving", "control"),
                                            ("circle moonwalking", "moonwalking")])
def test_generate_rejects_bad_prompts_with_one_line(tmp_path, checkpoint, prompt, words):
    r = run("generate", prompt, "--checkpoint", checkpoint, "-o", str(tmp_path / "v.mp4"))
    assert r.returncode == 2 and words in the_one_line(r.stderr), r.stderr


def test_missing_and_pickled_checkpoints_are_clear_errors(tmp_path):
    r = run("generate", "circle moving down", "--checkpoint", str(tmp_path / "nope"))
    assert r.returncode == 2 and "not found" in the_one_line(r.stderr)
    (tmp_path / "model.pt").write_bytes(b"\x80\x04")
    r = run("generate", "circle moving down", "--checkpoint", str(tmp_path / "model.pt"))
    assert r.returncode == 2 and "pickle" in the_one_line(r.stderr)


# Where each command writes, so that a check that failed to fire writes only under tmp_path.
OUTPUT = {"train": ["--out", "{tmp}/run"], "generate": ["-o", "{tmp}/v.mp4"],
          "export": ["--out", "{tmp}/clips"], "eval": [], "demo": []}


def with_output(args: list[str], tmp) -> list[str]:
    """args with the command's output folder put first (so that a case's own -o wins)."""
    n = 2 if args[0] == "data" else 1
    return [a.format(tmp=tmp) for a in args[:n] + OUTPUT[args[n - 1]] + args[n:]]
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible")


@pytest.mark.parametrize("args, message", [
    (["train", "--minutes", "0"], "--minutes must be > 0, got 0.0"),
    (["train", "--minutes", "nan"], "--minutes must be > 0, got nan"),
    (["train", "--cpu-minutes", "-1"], "--cpu-minutes must be > 0, got -1.0"),
    (["train", "--steps", "0"], "--steps must be >= 1, got 0"),
    (["train"], "say how long to train: --minutes M, --cpu-minutes M or --steps S"),
    (["train", "--steps", "1", "--workers", "-1"], "--workers must be >= 0, got -1"),
    (["train", "--steps", "1", "--grad-accum", "0"], "--grad-accum must be >= 1, got 0"),
    (["train", "--steps", "1", "--device", "tpu"], "device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
    pytest.param(["train", "--steps", "1", "--device", "cuda"], "device cuda: no CUDA GPU",
                 marks=NO_CUDA),
    (["generate", "a red circle", "--device", "tpu"], "device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
    pytest.param(["generate", "a red circle", "--device", "cuda"], "device cuda: no CUDA GPU", marks=NO_CUDA),
    pytest.param(["eval", "--device", "cuda:0"], "device cuda:0: no CUDA GPU", marks=NO_CUDA),
    pytest.param(["demo", "--device", "cuda"], "device cuda: no CUDA GPU", marks=NO_CUDA),
    (["train", "--steps", "1", "--amp", "fp8"], "got 'fp8'"),
    (["train", "--steps", "1", "--model", "nope"], "unknown model 'nope'; choose from"),
    (["train", "--steps", "1", "--preset", "nope"], "no preset 'nope'; choose from tiny"),
    (["eval", "-n", "0"], "-n must be at least 1, got 0"),
    (["demo", "--port", "0"], "--port must be from 1 to 65535, got 0"),
    (["demo", "--port", "65536"], "--port must be from 1 to 65535, got 65536"),
    (["generate", "a red circle", "--n", "0"], "--n must be from 1 to 64, got 0"),
    (["generate", "a red circle", "--n", "65"], "--n must be from 1 to 64, got 65"),
    (["generate", "a red circle", "--fps", "0"], "--fps must be from 1 to 60, got 0"),
    (["generate", "a red circle", "--fps", "61"], "--fps must be from 1 to 60, got 61"),
    (["generate", "a red circle", "--seed", "-1"], f"--seed must be from 0 to {MAX_SEED - 1}, got -1"),
    (["generate", "a red circle", "--n", "2", "--seed", str(MAX_SEED - 1)],
     f"--seed must be from 0 to {MAX_SEED - 2}, got {MAX_SEED - 1}"),  # seeds SEED..SEED+N-1
    (["generate", "a red circle", "-o", "{tmp}/v.avi"],
     "output must end in .mp4, .gif or .png (or be a folder), got v.avi"),
    (["generate", "a red circle", "-o", "{tmp}/missing/v.mp4"],
     "output folder {tmp}/missing does not exist"),
    (["data", "export", "-n", "0"], "-n must be at least 1, got 0"),
    (["train", "--steps", "1", "--set", "time_patch"], "--set takes FIELD=VALUE, got 'time_patch'"),
    (["train", "--steps", "1", "--model", "latent-dit", "--set", "tubelets=2"],
     "latent-dit has no setting 'tubelets'; its settings: ae_frames,"),
    (["train", "--steps", "1", "--model", "latent-dit", "--set", "time_patch=two"],
     "latent-dit's time_patch takes int values (the preset's is 4), got 'two'"),
    (["train", "--steps", "1", "--set", "frames=8"], "frames comes from the data"),
])
def test_each_argument_check_is_one_line_that_names_the_bad_value_and_exit_2(
        tmp_path, monkeypatch, args, message):
    # a demo whose port check let a bad port through must fail fast, not start a server
    monkeypatch.setitem(sys.modules, "gradio", None)
    r = CliRunner().invoke(app, with_output(args, tmp_path))
    assert r.exit_code == 2, r.output
    assert message.format(tmp=tmp_path) in the_one_line(r.stderr)
    assert r.stdout == ""
    assert not list(tmp_path.iterdir()), "a refused command writes nothing"


def test_demo_without_gradio_says_how_to_install_it_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # `import gradio` now raises ImportError
    r = CliRunner().invoke(app, ["demo"])
    assert r.exit_code == 2
    assert 'the demo needs gradio: pip install "tinyt2v[demo]"' in the_one_line(r.stderr)


def test_ctrl_c_during_training_exits_130_with_one_interrupted_line(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinyt2v", "train", "--model", "seed-cgan", "--preset", "seed",
         "--world", "seed", "--batch-size", "4", "--steps", "100000", "--out", str(tmp_path),
         "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a suite started in the background of a shell ignores SIGINT, and children inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    metrics = tmp_path / "metrics.jsonl"
    deadline = time.time() + 120
    try:
        # interrupt inside the training loop: step 1 is always logged
        while not (metrics.exists() and metrics.read_text()) and proc.poll() is None:
            assert time.time() < deadline, "no step logged in 120 s"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()  # no-op once it has exited
    assert proc.returncode == 130, stderr
    assert the_one_line(stderr) == "interrupted"
    # stdout holds only progress lines (no terminal here), never a "checkpoint:" result
    assert all(line.startswith("train seed-cgan: ") for line in stdout.splitlines()), stdout


def test_a_log_shows_training_progress_from_the_first_step_to_the_last(tmp_path):
    r = run("train", "--model", "seed-cgan", "--preset", "seed", "--world", "seed", "--batch-size", "2",
            "--steps", "3", "--threads", "1", "--out", str(tmp_path / "run"))
    lines = r.stdout.splitlines()  # no terminal: progress lines on stdout instead of a bar
    assert r.returncode == 0 and lines[0].startswith("train seed-cgan: 33%  step 1 "), r.stdout
    assert lines[-2].startswith("train seed-cgan: done  step 3 ") and "loss_G" in lines[-2]
    assert lines[-1] == f"checkpoint: {tmp_path / 'run' / 'checkpoint'}"


def test_train_set_changes_a_preset_field_and_a_resume_keeps_it(tmp_path):
    from ddp_worker import TINY

    settings = [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]
    args = ["train", "--model", "latent-flow", "--steps", "1", "--batch-size", "2", "--threads", "1",
            "--out", str(tmp_path / "run"), *settings]
    r = CliRunner().invoke(app, args + ["--set", "latent_noise=0.25"])
    assert r.exit_code == 0, r.output
    saved = json.loads((tmp_path / "run" / "checkpoint" / "config.json").read_text())["model_config"]
    assert saved["latent_noise"] == 0.25 and saved["hidden"] == TINY["hidden"]
    # a resumed run is the model it was: a different value is refused, the same one is fine
    r = CliRunner().invoke(app, [*args, "--steps", "2", "--resume", "--set", "latent_noise=0.5"])
    assert r.exit_code == 2
    assert "was trained with latent_noise=0.25; a resumed run keeps its settings" in the_one_line(r.stderr)
    r = CliRunner().invoke(app, [*args, "--steps", "2", "--resume", "--set", "latent_noise=0.25"])
    assert r.exit_code == 0, r.output


def test_a_run_that_names_no_model_trains_layer_flow_on_clips_sprite_flow_on_the_world_and_resumes_its_own(
        tmp_path):
    from conftest import SMALL
    from tinyt2v.train import train
    from tinyt2v.train_config import TrainConfig

    assert TrainConfig(steps=1).model == "sprite-flow"
    assert TrainConfig(steps=1, data="videos:clips").model == "layer-flow"
    # a sprite-flow run (as a run on clips was before layer-flow became their default)
    saved = train(TrainConfig(out=str(tmp_path / "run"), steps=1, batch_size=2, sample_every=None,
                              **SMALL["sprite-flow"]))
    assert TrainConfig(steps=1, data="videos:clips", resume=True, out=str(tmp_path / "run")).model == "sprite-flow"
    assert TrainConfig(steps=1, data="videos:clips", init=str(saved)).model == "sprite-flow"
    assert TrainConfig(model="latent-flow", steps=1, data="videos:clips", init=str(saved)).model == "latent-flow"
