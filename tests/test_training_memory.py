"""Training that fits bigger models: gradient accumulation gives the full-batch update in
micro-batches, gradient checkpointing keeps fewer activations for the same gradients, and
torch.compile leaves the results and the checkpoint format unchanged."""
import copy
import json
import shutil

import pytest
import torch
from torch import nn
from torch._dynamo.utils import counters

from tinyt2v.io import to_tensor
from tinyt2v.models import ModelConfig, build_model, model_config
from tinyt2v.models.base import System
from tinyt2v.pipeline import Pipeline
from tinyt2v.run_state import shaped_by, targets_of
from tinyt2v.text import Vocab
from tinyt2v.world import training_words
from tinyt2v.train import TrainConfig, optimisation_step, train, training_step
from tinyt2v.world import clip_batch, get_world


class Linear(System):
    """A deterministic single-optimizer model: the arithmetic of accumulation, nothing else."""

    def __init__(self):
        super().__init__()
        self.cfg = ModelConfig(grad_clip=5.0)  # every System carries its config
        self.net = nn.Linear(6, 1)

    def optimizers(self):
        return {"all": torch.optim.SGD(self.parameters(), lr=0.1)}

    def losses(self, video, captions, progress, targets):
        loss = ((self.net(video) - 1) ** 2).mean()
        return loss, {"loss": loss}


@pytest.mark.parametrize("n", [2, 3, 5])
def test_accumulated_micro_batches_make_the_full_batch_update(n):
    x = torch.randn(5, 6)
    updates, logs = [], []
    for accumulate in (1, n):
        torch.manual_seed(0)
        model = Linear()
        logs.append(optimisation_step(model, x, ["c"] * 5, None, model.optimizers()["all"], 0.0, accumulate))
        updates.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(updates[1], updates[0])
    assert logs[1]["loss"] == pytest.approx(logs[0]["loss"])  # unequal parts weighted by size


@pytest.mark.parametrize("name", ["sprite-flow", "latent-flow"])
def test_accumulation_steps_the_optimizer_once_per_batch_down_to_one_clip_parts(name):
    world = get_world("default")
    cfg = model_config(name, "tiny", **shaped_by(world, name))
    model = build_model(name, cfg, Vocab(training_words(world)))
    opts = model.optimizers()
    steps = []
    opts["all"].register_step_pre_hook(lambda *a: steps.append(1))
    batch = clip_batch(world, "train", 4, seed=0)
    logs = training_step(model, to_tensor(batch.video), batch.captions, opts, 0.0,
                         targets_of(batch, name, cfg, world), accumulate=4)
    assert len(steps) == 1 and {"loss", "recon", "flow"} <= set(logs)
    assert all(torch.isfinite(torch.tensor(v)) for v in logs.values())
    # a one-clip part has no spread: running statistics must not turn to NaN
    assert all(torch.isfinite(b).all() for b in model.buffers())


def saved_bytes_and_grads(model, video, captions):
    """Bytes autograd keeps for the backward pass of one loss, and the gradients it gives."""
    saved = []
    weights = {p.data_ptr() for p in model.parameters()}

    def pack(t):  # parameters are saved by reference: they cost nothing extra
        if t.data_ptr() not in weights:
            saved.append(t.numel() * t.element_size())
        return t

    torch.manual_seed(1)
    model.zero_grad(set_to_none=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss, _ = model.losses(video, captions, 0.0, None)
    loss.backward()
    return sum(saved), {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("name", ["sprite-flow", "latent-flow"])
def test_gradient_checkpointing_keeps_less_for_the_same_gradients(name):
    world = get_world("default")
    torch.manual_seed(0)
    model = build_model(name, model_config(name, "tiny"), Vocab(training_words(world))).train()
    batch = clip_batch(world, "train", 4, seed=0)
    video = to_tensor(batch.video)
    twin = copy.deepcopy(model)  # a loss updates running statistics: each copy computes one
    kept, grads = saved_bytes_and_grads(model, video, batch.captions)
    assert twin.set_gradient_checkpointing(True) >= 2
    kept_ckpt, grads_ckpt = saved_bytes_and_grads(twin, video, batch.captions)
    assert kept_ckpt < 0.6 * kept, (kept_ckpt, kept)
    assert grads_ckpt.keys() == grads.keys()
    for k in grads:
        torch.testing.assert_close(grads_ckpt[k], grads[k], rtol=1e-4, atol=1e-6, msg=k)


@pytest.mark.skipif(shutil.which("g++") is None, reason="inductor on CPU needs a C++ compiler")
@pytest.mark.skipif(torch.backends.cpu.get_cpu_capability() == "DEFAULT",
                    reason="torch 2.13's inductor writes vectorised C++ (at::vec::transpose_mxn) that "
                           "does not compile on the kernel path of a CPU without AVX")
def test_inductor_compiled_training_matches_eager_and_saves_plain_checkpoints(tmp_path):
    # The backend --compile uses. A small sprite-flow: compiling takes ~40 s cold on 2 busy
    # cores (~8 s with a warm inductor cache) whatever the width, running it milliseconds.
    small = dict(hidden=32, width_dec=8, prior_width=32, prior_depth=1, text_dim=16, dec_frames=1)
    counters.clear()  # so the check below sees this run's compilations only
    losses = {}
    for backend in (None, "inductor"):
        out = tmp_path / str(backend)
        ck = train(TrainConfig(preset="tiny", steps=3, batch_size=4, out=str(out), compile=backend,
                               overrides=small, log_every=1, sample_every=10**9, ckpt_every=10**9,
                               threads=1))
        losses[backend] = [json.loads(x)["loss"] for x in (out / "metrics.jsonl").read_text().splitlines()]
        assert Pipeline.from_pretrained(ck).generate(["a red circle moving up"], seed=0).shape[0] == 1
    assert counters["frames"]["ok"] >= 1 and counters["inductor"], "inductor compiled nothing"
    assert len(losses["inductor"]) == 3
    assert losses["inductor"] == pytest.approx(losses[None], rel=1e-4)


def test_the_training_options_reach_the_run_and_refuse_what_cannot_work(tmp_path):
    ck = train(TrainConfig(preset="tiny", steps=2, batch_size=4, grad_accum=2, grad_checkpoint=True,
                           out=str(tmp_path / "run"), sample_every=10**9, threads=1))
    assert json.loads((ck / "config.json").read_text())["train"]["grad_accum"] == 2
    with pytest.raises(ValueError, match="accumulation is for"):
        train(TrainConfig(model="seed-gan", preset="seed", steps=1, grad_accum=2, out=str(tmp_path / "g")))
    with pytest.raises(ValueError, match="larger than the batch"):
        train(TrainConfig(preset="tiny", steps=1, batch_size=2, grad_accum=4, out=str(tmp_path / "b")))


@pytest.mark.parametrize("model", ["sprite-flow", "latent-flow"])
def test_bf16_autocast_trains_and_keeps_float32_weights(tmp_path, model):
    ck = train(TrainConfig(model=model, preset="tiny", steps=2, batch_size=4, amp="bf16",
                           out=str(tmp_path / "run"), sample_every=10**9, threads=1))
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in rows)
    pipe = Pipeline.from_pretrained(ck)
    assert all(p.dtype == torch.float32 for p in pipe.system.parameters())
