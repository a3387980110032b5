"""Reliability: bad input gets a clear answer, interrupted work loses nothing, checkpoints are
safe to load. (More bad-input cases by name: tests/test_cli.py.)"""
import errno
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tinyt2v import checkpoint as ckpt
from tinyt2v.checkpoint import CheckpointError
from tinyt2v.cli import app
from tinyt2v.pipeline import MAX_FRAMES, Pipeline
from tinyt2v.train import TrainConfig, train

SEED_CGAN = dict(model="seed-cgan", preset="seed", world="seed", batch_size=4)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "tinyt2v", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory):
    """A latent-flow checkpoint small enough to sample in milliseconds."""
    from conftest import TINY

    out = tmp_path_factory.mktemp("lf")
    return train(TrainConfig(model="latent-flow", out=str(out), steps=1, batch_size=2,
                             overrides=TINY))


@pytest.fixture(scope="module")
def pipe(small_checkpoint):
    return Pipeline.from_pretrained(small_checkpoint)


# ---------------------------------------------------------------- bad input, any input

prompts = st.one_of(st.text(max_size=400), st.sampled_from(
    ["", "   ", "a small red circle moving up-right", "circle 🚀", "红色的圆", "x" * 10_000,
     "circle\x00moving", "a blue square\n rotating"]))
frames = st.one_of(st.none(), st.integers(-10, 10_000))
guidance = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
seeds = st.integers(-2 ** 70, 2 ** 70)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=prompts, frames=frames, guidance=guidance, seed=seeds)
def test_api_gives_a_video_or_a_clean_error(pipe, prompt, frames, guidance, seed):
    try:
        video = pipe(prompt, seed=seed, frames=frames, guidance=guidance)
    except ValueError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert video.frames.dtype == np.uint8
    assert video.frames.shape == (frames or pipe.frames, 64, 64, 3)
    assert 2 <= video.frames.shape[0] <= MAX_FRAMES


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=prompts, frames=st.one_of(st.none(), st.integers(-3, 200)),
       guidance=st.one_of(st.none(), st.sampled_from([math.nan, math.inf, -1.0, 0.0, 2.5, 21.0])),
       seed=st.integers(-5, 2 ** 64))
def test_cli_gives_a_video_or_exit_2_and_never_a_partial_file(small_checkpoint, tmp_path_factory,
                                                              prompt, frames, guidance, seed):
    folder = tmp_path_factory.mktemp("gen")
    args = ["generate", prompt, "-o", str(folder / "v.gif"), "--checkpoint", str(small_checkpoint),
            "--seed", str(seed)]
    args += ["--frames", str(frames)] if frames is not None else []
    args += ["--guidance", str(guidance)] if guidance is not None else []
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 2), result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    written = sorted(p.name for p in folder.iterdir())
    if result.exit_code == 0:
        from tinyt2v.io import read_video

        assert written == ["v.gif"] and read_video(folder / "v.gif").shape[1:] == (64, 64, 3)
    else:
        assert written == [] and "error:" in result.output


def test_prompt_in_another_script_is_refused_or_partly_ignored(small_checkpoint, tmp_path):
    r = cli("generate", "红色的圆 🚀", "--checkpoint", str(small_checkpoint), "-o", str(tmp_path / "v.gif"))
    assert r.returncode == 2 and "no word of the prompt is known" in r.stderr
    r = cli("generate", "a red 圆 circle", "--checkpoint", str(small_checkpoint), "-o", str(tmp_path / "v.gif"))
    assert r.returncode == 0 and "not understood: 圆" in r.stderr


def test_output_in_a_read_only_place_is_a_clear_error(small_checkpoint):
    r = cli("generate", "a red circle", "--checkpoint", str(small_checkpoint), "-o", "/sys/v.gif")
    assert r.returncode == 2 and "/sys/v.gif" in r.stderr and "Traceback" not in r.stderr, r.stderr


# ---------------------------------------------------------------- interruption

def _assert_same_training_state(a_dir: Path, b_dir: Path):
    a, b = ckpt.load_train_state(a_dir), ckpt.load_train_state(b_dir)
    assert a["step"] == b["step"]
    for k in a["raw"]:
        assert torch.equal(a["raw"][k], b["raw"][k]), k
    for name, opt in a["optimizers"].items():
        for pid, state in opt["state"].items():
            for k, v in state.items():
                other = b["optimizers"][name]["state"][pid][k]
                assert torch.equal(v, other) if torch.is_tensor(v) else v == other, (name, pid, k)
    assert torch.equal(a["rng"], b["rng"])


def _saved_step(folder: Path) -> int:
    """The step of the checkpoint being written by another process; 0 while there is none yet,
    or while a save is swapping the folders (the old one renamed away, the new one not yet in)."""
    try:
        return json.loads((folder / "train_state.json").read_text())["step"]
    except FileNotFoundError:
        return 0


def test_sigkill_mid_training_then_resume_matches_an_uninterrupted_run(tmp_path):
    run = tmp_path / "killed"
    base = ["train", "--model", "seed-cgan", "--preset", "seed", "--world", "seed",
            "--batch-size", "4", "--out", str(run), "--ckpt-every", "5", "--sample-every", "100000",
            "--threads", "1"]
    proc = subprocess.Popen([sys.executable, "-m", "tinyt2v", *base, "--steps", "100000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and _saved_step(run / "checkpoint") < 10:
        time.sleep(0.05)
    time.sleep(0.3)  # land the kill anywhere, saves included
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = ckpt.load_train_state(run / "checkpoint")["step"]
    assert saved >= 10 and saved % 5 == 0
    target = saved + 7
    r = cli(*base, "--steps", str(target), "--resume")
    assert r.returncode == 0, r.stderr
    straight = tmp_path / "straight"
    r = cli(*[a if a != str(run) else str(straight) for a in base], "--steps", str(target))
    assert r.returncode == 0, r.stderr
    _assert_same_training_state(run / "checkpoint", straight / "checkpoint")


def _fill_disk_after(monkeypatch, n_ok: int):
    """safetensors writes succeed n_ok times, then the disk is 'full' mid-file."""
    real = ckpt.save_file
    calls = [0]

    def save_file(tensors, path, *a, **k):
        calls[0] += 1
        if calls[0] > n_ok:
            Path(path).write_bytes(b"\0" * 100)  # half a file, then the error
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(tensors, path, *a, **k)

    monkeypatch.setattr(ckpt, "save_file", save_file)


def test_full_disk_during_a_save_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    cfg = dict(SEED_CGAN, out=str(tmp_path / "run"), ckpt_every=2, sample_every=None)
    train(TrainConfig(**cfg, steps=2))
    _fill_disk_after(monkeypatch, n_ok=1)  # the next save dies writing train_state
    with pytest.raises(OSError, match="No space left"):
        train(TrainConfig(**cfg, steps=4, resume=True))
    folder = tmp_path / "run" / "checkpoint"
    assert ckpt.load_train_state(folder)["step"] == 2
    Pipeline.from_pretrained(folder)  # still loads
    assert [p.name for p in (tmp_path / "run").iterdir() if p.name.startswith(".")] == []


def test_full_disk_on_the_command_line_is_one_clear_line(tmp_path, monkeypatch):
    args = ["train", "--model", "seed-cgan", "--preset", "seed", "--world", "seed", "--batch-size",
            "4", "--out", str(tmp_path / "run"), "--steps", "2"]
    _fill_disk_after(monkeypatch, n_ok=0)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert not (tmp_path / "run" / "checkpoint").exists()


def test_a_fresh_run_never_replaces_the_run_in_its_folder_unless_told(tmp_path):
    cfg = dict(SEED_CGAN, out=str(tmp_path / "run"), sample_every=1, log_every=1)
    weights = tmp_path / "run" / "checkpoint" / "model.safetensors"
    train(TrainConfig(**cfg, steps=2))
    before = weights.read_bytes()
    with pytest.raises(ValueError, match="already holds a seed-cgan run of 2 steps; --resume continues "
                                         "it, --overwrite replaces it"):
        train(TrainConfig(**cfg, steps=1))
    assert weights.read_bytes() == before
    train(TrainConfig(**cfg, steps=1, overwrite=True))  # afresh: nothing of the old run is left
    assert ckpt.load_train_state(weights.parent)["step"] == 1
    assert [json.loads(x)["step"] for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()] == [1]
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir())[0].startswith("step_000001")


def test_a_resumed_run_keeps_its_data_and_world(tmp_path):
    cfg = dict(SEED_CGAN, out=str(tmp_path / "run"), sample_every=None)
    train(TrainConfig(**cfg, steps=1))
    with pytest.raises(ValueError, match="trained on the procedural world, not videos:.*pass no --data"):
        train(TrainConfig(**cfg, steps=2, resume=True, data=f"videos:{tmp_path}"))
    with pytest.raises(ValueError, match="trained on the 'seed' world, not 'default'"):
        train(TrainConfig(**{**cfg, "world": "default"}, steps=2, resume=True))
    assert ckpt.load_train_state(tmp_path / "run" / "checkpoint")["step"] == 1


def test_crash_between_the_two_renames_of_a_save_is_recovered(tmp_path, monkeypatch):
    cfg = dict(SEED_CGAN, out=str(tmp_path / "run"), ckpt_every=2, sample_every=None)
    train(TrainConfig(**cfg, steps=2))
    real, calls = os.rename, [0]

    def rename(a, b):
        calls[0] += 1
        if calls[0] == 2:  # old checkpoint moved aside, new one not yet in place
            raise KeyboardInterrupt
        return real(a, b)

    monkeypatch.setattr(ckpt.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(**cfg, steps=4, resume=True))
    monkeypatch.setattr(ckpt.os, "rename", real)
    folder = tmp_path / "run" / "checkpoint"
    assert not folder.exists()
    assert ckpt.load_train_state(folder)["step"] == 2  # put back from checkpoint.old


def test_a_folder_of_frames_lists_in_frame_order_and_reads_back_whole(tmp_path):
    from tinyt2v.io import read_video, write_video

    video = np.random.default_rng(0).integers(0, 255, (12, 8, 8, 3), dtype=np.uint8)
    write_video(tmp_path / "frames", video)
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == [f"frame_{k:02d}.png" for k in range(12)]  # zero-padded: listed in order
    assert np.array_equal(read_video(tmp_path / "frames"), video)


def test_a_failed_video_write_leaves_no_file_under_the_name(tmp_path, monkeypatch):
    from tinyt2v import io

    def broken(path, video, fps):
        Path(path).write_bytes(b"half an mp4")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(io, "_write_mp4", broken)
    with pytest.raises(OSError):
        io.write_video(tmp_path / "v.mp4", np.zeros((4, 64, 64, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- safe loading

@pytest.fixture
def checkpoint_copy(small_checkpoint, tmp_path):
    import shutil

    return Path(shutil.copytree(small_checkpoint, tmp_path / "ck"))


def test_truncated_weights_are_named(checkpoint_copy):
    f = checkpoint_copy / "model.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="model.safetensors"):
        Pipeline.from_pretrained(checkpoint_copy)


def test_foreign_safetensors_names_the_missing_tensors(checkpoint_copy):
    from safetensors.torch import save_file

    save_file({"some.other.model": torch.zeros(3)}, str(checkpoint_copy / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"model.safetensors.*missing.*unexpected \['some.other.model'\]"):
        Pipeline.from_pretrained(checkpoint_copy)


def test_config_that_does_not_match_the_weights_names_the_shapes(checkpoint_copy):
    path = checkpoint_copy / "config.json"
    config = json.loads(path.read_text())
    config["model_config"]["latent"] *= 2
    path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="model.safetensors does not match its config.json: .*shape"):
        Pipeline.from_pretrained(checkpoint_copy)


def test_pickle_is_refused_even_when_it_is_inside_a_folder(checkpoint_copy):
    (checkpoint_copy / "model.safetensors").write_bytes(b"\x80\x04\x95" + b"\0" * 64)  # pickle magic
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        Pipeline.from_pretrained(checkpoint_copy)
    r = cli("generate", "a red circle", "--checkpoint", str(checkpoint_copy / "model.pt"))
    assert r.returncode == 2 and "pickled checkpoints are refused" in r.stderr


def test_resume_drops_a_torn_last_metrics_line_and_keeps_the_complete_rows(tmp_path):
    # metrics.jsonl is appended in place, so a kill mid-write leaves a torn last line.
    from tinyt2v.metrics import _read_history

    rows = [{"step": 1, "loss": 0.5}, {"step": 2, "loss": 0.25}]
    complete = "".join(json.dumps(r) + "\n" for r in rows)
    path = tmp_path / "metrics.jsonl"
    path.write_text(complete + '{"step": 3, "lo')
    assert _read_history(path, 3) == rows
    assert path.read_text() == complete  # appends after the resume start on a whole line


def test_a_fine_tune_starts_from_a_checkpoint_s_weights_and_keeps_the_rows_of_words_it_knew(tmp_path):
    from conftest import SMALL

    from tinyt2v.run_state import fresh
    from tinyt2v.text import Vocab

    small = dict(SMALL["scene-flow"], batch_size=2, sample_every=None)
    train(TrainConfig(**small, out=str(tmp_path / "scenes"), steps=1))
    start = tmp_path / "scenes" / "checkpoint"
    saved, saved_vocab = ckpt.load_weights(start), Vocab(ckpt.load_config(start)["vocab"])
    state = fresh(TrainConfig(**{**small, "world": "relations"}, init=str(start), steps=1))
    own = state.system.state_dict()
    assert "above" in state.vocab.stoi and "above" not in saved_vocab.stoi
    tables = [k for k in own if own[k].shape != saved[k].shape]
    assert tables and all(k.endswith("embed.weight") for k in tables)  # one per text encoder
    for k in own:
        if k in tables:
            for word in ("red", "circle", "left"):
                assert torch.equal(own[k][state.vocab.stoi[word]], saved[k][saved_vocab.stoi[word]])
        else:
            assert torch.equal(own[k], saved[k].to(own[k].dtype)), k
    train(TrainConfig(**{**small, "world": "relations"}, init=str(start), out=str(tmp_path / "tuned"), steps=1))
    record = ckpt.load_config(tmp_path / "tuned" / "checkpoint")["train"]["init"]
    assert record["checkpoint"] == str(start) and record["steps"] == 1


def test_a_fine_tune_and_a_resume_are_not_asked_at_once(tmp_path):
    with pytest.raises(ValueError, match="give one of them"):
        TrainConfig(**SEED_CGAN, steps=1, init=str(tmp_path), resume=True).validate()
    with pytest.raises(ValueError, match="no checkpoint there"):
        TrainConfig(**SEED_CGAN, steps=1, init=str(tmp_path)).validate()
