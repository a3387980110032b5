"""Train -> checkpoint -> resume -> generate -> eval, end to end on tiny configs."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
import pytest
import torch

from tinyt2v.checkpoint import CheckpointError, load_train_state, load_weights
from tinyt2v.io import read_video
from tinyt2v.models import MODELS
from tinyt2v.pipeline import Pipeline
from tinyt2v.train import TrainConfig, train

from conftest import SMALL, TINY


def cli(*args):
    return subprocess.run([sys.executable, "-m", "tinyt2v", *args], capture_output=True, text=True)


def tiny_run(tmp_path, name="run", steps=4, **kw):
    cfg = TrainConfig(model=kw.pop("model", "latent-flow"), preset=kw.pop("preset", "tiny"),
                      world=kw.pop("world", "default"), out=str(tmp_path / name), steps=steps,
                      batch_size=4, sample_every=2, ckpt_every=2, overrides=kw.pop("overrides", TINY),
                      **kw)
    return cfg, train(cfg)


def test_training_writes_checkpoint_samples_curve_and_metrics(tmp_path):
    _, ck = tiny_run(tmp_path)
    run = tmp_path / "run"
    for f in ("checkpoint/model.safetensors", "checkpoint/config.json", "loss.png",
              "metrics.jsonl", "samples/step_000002.png", "samples/step_000004.gif"):
        assert (run / f).exists(), f
    config = json.loads((ck / "config.json").read_text())
    assert config["model"] == "latent-flow" and config["train"]["steps"] == 4
    assert config["train"]["cpu_seconds"] > 0 and "vocab" in config
    from tinyt2v.visuals import CAPTION_PX
    grid = np.asarray(Image.open(run / "samples" / "step_000004.png"))
    caption_line = grid[:CAPTION_PX]
    assert (caption_line == 255).all(-1).any()  # each row is under its caption, in white


def test_tensorboard_logs_the_same_scalars_and_samples(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tiny_run(tmp_path, tensorboard=True)
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    logged = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    scalars = events.Tags()["scalars"]
    assert {k for k in logged if k not in ("step", "wall_seconds")} <= set(scalars)
    assert [e.step for e in events.Scalars(scalars[0])][-1] == 4
    assert events.Tags()["images"] == ["samples"]


def test_cpu_minute_budget_stops_training(tmp_path):
    _, ck = tiny_run(tmp_path, steps=None, cpu_minutes=0.02)
    train_record = json.loads((ck / "config.json").read_text())["train"]
    assert train_record["steps"] >= 1
    assert 1.2 <= train_record["cpu_seconds"] < 1.2 + 10


def assert_same_tensors(a: dict, b: dict, what: str) -> None:
    assert a.keys() == b.keys(), what
    for k in a:
        assert torch.equal(a[k], b[k]), f"{what}: {k}"


@pytest.mark.parametrize("model", list(MODELS))
def test_resume_continues_exactly(tmp_path, model):
    """4 steps straight == 2 steps, stop, resume for 2 more: bit-identical raw and EMA weights,
    optimizer state, RNG, step and position in the data stream."""
    assert set(SMALL) == set(MODELS), "give every registered model a small config here"
    tiny_run(tmp_path, "straight", steps=4, **SMALL[model])
    tiny_run(tmp_path, "split", steps=2, **SMALL[model])
    tiny_run(tmp_path, "split", steps=4, resume=True, **SMALL[model])
    straight, split = tmp_path / "straight" / "checkpoint", tmp_path / "split" / "checkpoint"
    a, b = load_train_state(straight), load_train_state(split)
    assert a["step"] == b["step"] == 4 and a["clips_seen"] == b["clips_seen"] == 16
    assert_same_tensors(a["raw"], b["raw"], "raw weights")
    assert_same_tensors(load_weights(straight), load_weights(split), "sampling (EMA) weights")
    assert a["optimizers"].keys() == b["optimizers"].keys()
    for name, opt in a["optimizers"].items():
        other = b["optimizers"][name]
        assert opt["state"].keys() == other["state"].keys() and opt["param_groups"] == other["param_groups"]
        for pid, state in opt["state"].items():
            assert_same_tensors(state, other["state"][pid], f"optimizer {name} parameter {pid}")
    assert torch.equal(a["rng"], b["rng"])


def test_sampling_weights_of_an_ema_model_are_not_its_raw_weights(tmp_path):
    """So the resume test above checks the EMA on its own: restoring raw weights into the EMA
    (or not restoring it) would differ."""
    _, ck = tiny_run(tmp_path, steps=4, **SMALL["sprite-flow"])
    raw, ema = load_train_state(ck)["raw"], load_weights(ck)
    assert any(not torch.equal(raw[k], ema[k]) for k in ema if ema[k].is_floating_point())


@pytest.mark.parametrize("model", ["seed-gan", "seed-cgan"])
def test_seed_gans_train_and_generate_ten_independent_frames(tmp_path, model):
    _, ck = tiny_run(tmp_path, model, steps=2, model=model, preset="seed", world="seed", overrides={})
    pipe = Pipeline.from_pretrained(ck)
    video = pipe("circle moving down", seed=0)
    assert video.frames.shape == (10, 64, 64, 3)
    with pytest.raises(ValueError, match="dancing"):
        pipe("circle dancing")


def test_seed_gan_optimises_only_what_the_tutorial_did(tmp_path):
    from tinyt2v.models import build_model, model_config
    from tinyt2v.text import Vocab
    from tinyt2v.world import training_words
    from tinyt2v.world import get_world
    vocab = Vocab(training_words(get_world("seed")))
    gan = build_model("seed-gan", model_config("seed-gan", "seed"), vocab)
    cgan = build_model("seed-cgan", model_config("seed-cgan", "seed"), vocab)
    emb = lambda m, o: any(p is m.text.embed.weight for g in o["G"].param_groups for p in g["params"])  # noqa: E731
    assert not emb(gan, gan.optimizers()) and emb(cgan, cgan.optimizers())
    assert gan.netD.fc1.in_features == 256 * 8 * 8 and cgan.netD.fc1.in_features == 256 * 8 * 8 + 10


def test_cli_train_resume_generate_mp4_eval_json(tmp_path):
    run = tmp_path / "cli"
    r = cli("train", "--model", "seed-cgan", "--preset", "seed", "--world", "seed", "--steps", "2",
            "--out", str(run), "--batch-size", "4", "--sample-every", "1", "--ckpt-every", "1")
    assert r.returncode == 0, r.stderr
    assert "train seed-cgan: 50%  step 1" in r.stdout  # a log (no terminal) still shows progress
    r = cli("train", "--model", "seed-cgan", "--preset", "seed", "--world", "seed", "--steps", "3",
            "--out", str(run), "--batch-size", "4", "--resume")
    assert r.returncode == 0, r.stderr
    assert json.loads((run / "checkpoint" / "train_state.json").read_text())["step"] == 3
    ck = str(run / "checkpoint")
    r = cli("generate", "circle moving up-left", "-o", str(tmp_path / "v.mp4"), "--checkpoint", ck)
    assert r.returncode == 0, r.stderr
    video = read_video(tmp_path / "v.mp4")
    assert video.shape == (10, 64, 64, 3)
    r = cli("generate", "circle moving up-left", "-o", str(tmp_path / "k.gif"), "--checkpoint", ck, "--n", "3")
    assert r.returncode == 0 and (tmp_path / "k_sheet.png").exists() and (tmp_path / "k_2.gif").exists()
    # eval's score is the judge's reading of what the model draws for the split's first prompts
    # (--seed 0 samples them with seed 0), recomputed here without evaluate() or score(). This
    # 3-step GAN draws nothing readable and the shipped model draws what it is asked, so a
    # score stuck at any one number cannot pass both.
    from conftest import all_correct_rate
    from tinyt2v.world import clip_batch

    def judged_here(pipe, n):
        batch = clip_batch(pipe.world, "test", n, seed=0)
        return all_correct_rate(pipe.generate(batch.captions, seed=0), batch.labels)

    r = cli("eval", "--checkpoint", ck, "--split", "test", "-n", "4", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["n"] == 4 and rep["seconds_per_clip"] > 0
    assert rep["all_correct"] == judged_here(Pipeline.from_pretrained(ck), 4)
    r = cli("eval", "--split", "test", "-n", "8", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["all_correct"] == judged_here(Pipeline.from_pretrained(), 8) >= 7 / 8


def test_pickled_and_broken_checkpoints_are_refused_by_name(tmp_path):
    with pytest.raises(CheckpointError, match="pickled"):
        Pipeline.from_pretrained(tmp_path / "model.pt")
    _, ck = tiny_run(tmp_path, steps=1)
    (ck / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="model.safetensors"):
        Pipeline.from_pretrained(ck)


def test_a_shipped_checkpoint_is_named_unless_a_folder_of_that_name_is_here(tmp_path, monkeypatch):
    from tinyt2v.pipeline import DEFAULT_CHECKPOINT, SCENES_CHECKPOINT, checkpoint_folder

    monkeypatch.chdir(tmp_path)
    assert checkpoint_folder(None) == DEFAULT_CHECKPOINT
    assert checkpoint_folder("scenes") == SCENES_CHECKPOINT
    assert checkpoint_folder("runs/scenes") == Path("runs/scenes")  # a path is never a name
    assert checkpoint_folder("nowhere") == Path("nowhere")  # refused when loaded, by its own name
    (tmp_path / "scenes").mkdir()
    assert checkpoint_folder("scenes") == Path("scenes")


def test_same_seed_same_video(tmp_path):
    _, ck = tiny_run(tmp_path, steps=1)
    pipe = Pipeline.from_pretrained(ck)
    a, b = pipe("a big blue star moving left", seed=3), pipe("a big blue star moving left", seed=3)
    assert np.array_equal(a.frames, b.frames)


def test_temperature_trades_variety_for_staying_on_the_prompt():
    pipe = Pipeline.from_pretrained()  # the shipped sprite-flow
    prompt = "a big blue star moving left"
    assert np.array_equal(pipe(prompt, seed=1, temperature=0).frames,
                          pipe(prompt, seed=2, temperature=0).frames)
    assert not np.array_equal(pipe(prompt, seed=1).frames, pipe(prompt, seed=2).frames)
    with pytest.raises(ValueError, match="temperature"):
        pipe(prompt, temperature=float("nan"))


def test_eval_scores_refused_prompts_as_failures_not_crashes(tmp_path):
    from tinyt2v.evaluate import evaluate
    _, ck = tiny_run(tmp_path, "gan", steps=1, model="seed-cgan", preset="seed", world="seed", overrides={})
    rep = evaluate(Pipeline.from_pretrained(ck), "paraphrase", 6)  # words the tutorial never had
    assert rep["n"] == 6 and rep["readable"] == 0 and rep["all_correct"] == 0


def test_quickstart_runs_top_to_bottom(tmp_path):
    from pathlib import Path

    script = Path(__file__).parents[1] / "examples" / "quickstart.py"
    r = subprocess.run([sys.executable, str(script), "--steps", "3", "--out", str(tmp_path / "qs")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "the judge sees:" in r.stdout and "all correct:" in r.stdout
    assert read_video(tmp_path / "quickstart.mp4").shape == (16, 64, 64, 3)
    assert r.stderr.count("Warning") == 0, r.stderr
