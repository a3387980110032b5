"""What every model in the registry must do, so that adding a model is one file and one
registry line: train a step and log finite numbers, generate clips of the right shape and
range, and come back from a checkpoint drawing the same clips."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SMALL, small_model

from tinyt2v.io import to_tensor
from tinyt2v.models import MODELS
from tinyt2v.pipeline import Pipeline
from tinyt2v.run_state import targets_of
from tinyt2v.train import TrainConfig, set_learning_rate, train, training_step
from tinyt2v.world import clip_batch


def test_every_registered_model_has_a_small_config_for_these_tests():
    assert set(SMALL) == set(MODELS)


@pytest.mark.parametrize("name", list(MODELS))
def test_a_training_step_logs_finite_numbers_and_changes_the_weights(name):
    torch.manual_seed(0)
    world, model = small_model(name)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batch = clip_batch(world, "train", 4, seed=0)
    logs = training_step(model.train(), to_tensor(batch.video), batch.captions, model.optimizers(),
                         0.0, targets_of(batch, name, model.cfg, world))
    assert logs and all(isinstance(v, float) and math.isfinite(v) for v in logs.values()), logs
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("name", list(MODELS))
def test_generate_gives_clips_of_the_asked_shape_in_range(name):
    world, model = small_model(name)
    captions = clip_batch(world, "test", 3, seed=0).captions
    out = model.eval().generate(captions, torch.Generator().manual_seed(0))
    assert out.shape == (3, world.frames, 3, world.height, world.width)
    assert out.min() >= -1 and out.max() <= 1 and torch.isfinite(out).all()
    assert model.generate(captions[:1], torch.Generator().manual_seed(0), frames=5).shape[1] == 5


@pytest.mark.parametrize("name", list(MODELS))
def test_a_checkpoint_brings_back_the_model_that_was_saved(tmp_path, name):
    kw = SMALL[name]
    seen = {}
    ck = train(TrainConfig(out=str(tmp_path / "run"), steps=2, batch_size=4, sample_every=None,
                           ckpt_every=None, **kw), on_end=lambda system: seen.update(system=system))
    pipe = Pipeline.from_pretrained(ck)
    assert pipe.config["model"] == name
    prompts = clip_batch(pipe.world, "test", 2, seed=0).captions
    loaded = pipe.generate(prompts, seed=3)
    if not MODELS[name].ema:  # an EMA model's checkpoint holds its average, not these
        from tinyt2v.io import to_uint8

        trained = to_uint8(seen["system"].eval().generate(prompts, torch.Generator().manual_seed(3)))
        assert np.array_equal(loaded, trained)
    assert np.array_equal(loaded, Pipeline.from_pretrained(ck).generate(prompts, seed=3))


def test_the_lr_warms_up_then_falls_by_a_cosine_to_its_final_share():
    _, model = small_model("scene-flow")
    model.cfg.warmup, model.cfg.lr_final = 0.1, 0.05
    opt, top = model.optimizers()["all"], model.cfg.lr

    def lr_at(progress):
        set_learning_rate(opt, model.cfg.warmup, model.cfg.lr_final, progress)
        return opt.param_groups[0]["lr"]

    assert lr_at(0.0) == 0 and lr_at(0.05) < lr_at(0.1)
    assert lr_at(0.5) == pytest.approx(top * (0.05 + 0.95 * 0.5))
    assert lr_at(1.0) == pytest.approx(top * 0.05)
    falls = [lr_at(p) for p in np.linspace(0.1, 1.0, 10)]
    assert all(a > b for a, b in zip(falls, falls[1:]))


def test_a_model_without_a_schedule_keeps_its_lr():
    _, model = small_model("sprite-flow")
    opt = model.optimizers()["all"]
    for progress in (0.0, 0.5, 1.0):
        set_learning_rate(opt, model.cfg.warmup, model.cfg.lr_final, progress)
        assert opt.param_groups[0]["lr"] == model.cfg.lr


def test_every_registered_family_is_listed_in_the_cli_help_and_documented():
    from tinyt2v.models import listing

    models_doc = (Path(__file__).parent.parent / "docs" / "models.md").read_text()
    for name, spec in MODELS.items():
        assert f"{name} (" in listing() and "tiny" in spec.presets
        assert f"**`{name}`**" in models_doc, f"docs/models.md does not describe {name}"
