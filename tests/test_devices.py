"""Models and pipelines go where they are put: every tensor a model makes is on its parameters'
device (checked on CPU-only machines with the meta device), CUDA works when present, and a
device that is not there is one clear error."""
import numpy as np
import pytest
import torch
import torch.fx.experimental._config as fx_config
from conftest import small_model

from tinyt2v.devices import resolve_device
from tinyt2v.io import to_tensor
from tinyt2v.models import MODELS
from tinyt2v.pipeline import Pipeline
from tinyt2v.run_state import targets_of
from tinyt2v.train import training_step
from tinyt2v.world import clip_batch

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible")


@pytest.mark.parametrize("name", list(MODELS))
@fx_config.patch(meta_nonzero_assume_all_nonzero=True)  # meta tensors have shapes, not values
def test_every_tensor_a_model_makes_is_on_its_parameters_device(name):
    """On the meta device a tensor made on the CPU by mistake (a factory call without device=)
    meets a meta tensor and raises, as it would meet a CUDA one on a GPU."""
    world, model = small_model(name)
    cfg = model.cfg
    model.to("meta")
    batch = clip_batch(world, "train", 4, seed=0)
    video = to_tensor(batch.video).to("meta")
    targets = targets_of(batch, name, cfg, world, "meta")
    if not MODELS[name].own_step:
        loss, _ = model.losses(video, batch.captions, 0.0, targets)
        loss.backward()
        assert loss.device.type == "meta"
    else:  # the seed GANs step two optimizers in turn, and say their losses as tensors here
        losses = model.adversarial_step(video, batch.captions, model.optimizers())
        assert {t.device.type for t in losses.values()} == {"meta"}
    out = model.eval().generate(batch.captions[:2], torch.Generator().manual_seed(0))
    assert out.device.type == "meta" and out.shape[:2] == (2, cfg.frames)


@CUDA
@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("amp", [False, True])
def test_every_model_trains_and_samples_on_cuda(name, amp):
    world, model = small_model(name)
    cfg = model.cfg
    model.to("cuda").train()
    batch = clip_batch(world, "train", 4, seed=0)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp)
    with autocast:
        logs = training_step(model, to_tensor(batch.video).cuda(), batch.captions, model.optimizers(),
                             0.0, targets_of(batch, name, cfg, world, "cuda"))
        out = model.eval().generate(batch.captions[:2], torch.Generator().manual_seed(0))
    assert all(np.isfinite(v) for v in logs.values())
    assert out.is_cuda and torch.isfinite(out.float()).all()


@CUDA
def test_the_shipped_pipeline_draws_the_same_clip_on_cuda_as_on_the_cpu():
    prompt = "a small red circle moving up-right"
    cpu = Pipeline.from_pretrained()(prompt, seed=3).frames.astype(int)
    gpu = Pipeline.from_pretrained(device="cuda")(prompt, seed=3).frames.astype(int)
    assert np.abs(cpu - gpu).mean() < 1.0  # the same noise; float rounding apart


def test_a_pipeline_loads_onto_the_asked_device_and_moves():
    pipe = Pipeline.from_pretrained(device="cpu")
    assert pipe.device == torch.device("cpu")
    assert pipe.to("auto") is pipe and pipe.device.type == resolve_device("auto").type


@pytest.mark.parametrize("name, message", [
    ("tpu", "device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
    ("cuda:x", "device must be auto, cpu, cuda or cuda:N, got 'cuda:x'"),
    pytest.param("cuda", "device cuda: no CUDA GPU is visible", marks=NO_CUDA),
])
def test_a_device_that_is_not_there_is_one_clear_error(name, message):
    with pytest.raises(ValueError, match=message):
        Pipeline.from_pretrained(device=name)
