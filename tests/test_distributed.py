"""Data-parallel training with torchrun on CPU (gloo): ranks stay in lockstep, the loss goes
down, 2 ranks make the update of 1 process on the global batch (clipping included), rank 0's
checkpoint loads in one process, and a run resumes on another world size."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyt2v import checkpoint as ckpt
from tinyt2v.distributed import Context
from tinyt2v.pipeline import Pipeline
from tinyt2v.train import TrainConfig, data_stream, train
from tinyt2v.world import get_world

HERE = Path(__file__).parent
STEPS, BATCH = 30, 4


# A clip that bites at every step, no random terms in the loss and no schedule that depends on
# the run's length (the encoder never freezes): one process draws noise for
# 8 clips from one generator where 2 ranks draw it for 4 each, so with noise the runs could not
# agree; without it the loss is a pure function of the global batch, and 2 ranks must make the
# single process's update up to float rounding (6e-7 here, against 4e-3 when each rank clipped
# its own gradients before the all-reduce).
EXACT = dict(width_enc=4, width_dec=8, hidden=32, prior_width=32, prior_depth=1, text_dim=16,
             latent=8, enc_frames=2, dec_frames=16, latent_noise=0.0, caption_drop=0.0,
             flow_weight=0.0, grad_clip=1e-3, freeze_encoder_at=1.0)
ROUNDING = 1e-5
RUNNING_STATS = ("prior.mean", "prior.std")  # latent-flow's buffers that are not parameters


def torchrun(*args):
    # a free port of the OS's choosing, not torchrun's fixed default (29500), which any other
    # torchrun on the machine may hold: a collision there fails a fixture for no fault of the code
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--nnodes", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", "localhost:0",
                           *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    r = torchrun(str(HERE / "ddp_worker.py"), str(out / "run"), str(out / "ranks.json"), str(STEPS))
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def test_ranks_hold_identical_parameters_after_training(ddp_run):
    ranks = json.loads((ddp_run / "ranks.json").read_text())
    assert ranks["world_size"] == 2 and ranks["numel"] > 10_000
    assert ranks["max_param_diff"] == 0.0


def test_the_loss_goes_down(ddp_run):
    rows = [json.loads(x) for x in (ddp_run / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))  # rank 0 alone writes
    first = np.mean([r["recon"] for r in rows[:5]])
    last = np.mean([r["recon"] for r in rows[-5:]])
    assert last < 0.8 * first, (first, last)


def test_rank0_checkpoint_loads_in_one_process_and_resumes_on_another_world_size(ddp_run):
    ck = ddp_run / "run" / "checkpoint"
    config = json.loads((ck / "config.json").read_text())
    assert config["train"]["world_size"] == 2 and config["train"]["steps"] == STEPS
    video = Pipeline.from_pretrained(ck)("a small red circle moving up-right", seed=0)
    assert video.frames.shape == (16, 64, 64, 3)
    state = json.loads((ck / "train_state.json").read_text())
    assert state["clips_seen"] == STEPS * 2 * BATCH
    from ddp_worker import TINY

    train(TrainConfig(model="latent-flow", out=str(ddp_run / "run"), steps=STEPS + 5,
                      batch_size=BATCH, overrides=TINY, resume=True, sample_every=None))
    state = json.loads((ck / "train_state.json").read_text())
    assert state["step"] == STEPS + 5 and state["clips_seen"] == STEPS * 2 * BATCH + 5 * BATCH


def exact_run(out, steps, batch_size, resume=False):
    return train(TrainConfig(model="latent-flow", out=str(out), steps=steps, batch_size=batch_size,
                             overrides=EXACT, resume=resume, sample_every=None, ckpt_every=None,
                             threads=1, device="cpu"))


def max_weight_diff(a, b) -> float:
    """Largest difference of the trained parameters of two runs (the running statistics of the
    latents are a std over each rank's clips, not the global batch's, so they are left out)."""
    a, b = ckpt.load_train_state(a)["raw"], ckpt.load_train_state(b)["raw"]
    assert a.keys() == b.keys() and set(RUNNING_STATS) <= a.keys()
    return max(float((a[k] - b[k]).abs().max()) for k in a if k not in RUNNING_STATS)


@pytest.fixture(scope="module")
def two_ranks_and_one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("exact")
    r = torchrun(str(HERE / "ddp_worker.py"), str(out / "two"), str(out / "ranks.json"), "6",
                 json.dumps(EXACT))
    assert r.returncode == 0, r.stderr[-3000:]
    exact_run(out / "one", 6, 2 * BATCH)
    return out


def test_two_ranks_make_the_update_of_one_process_on_the_global_batch(two_ranks_and_one_process):
    out = two_ranks_and_one_process
    assert max_weight_diff(out / "two" / "checkpoint", out / "one" / "checkpoint") < ROUNDING


def test_a_two_rank_run_resumed_in_one_process_continues_the_same_stream(two_ranks_and_one_process):
    out = two_ranks_and_one_process
    two = exact_run(out / "two", 9, 2 * BATCH, resume=True)
    straight = exact_run(out / "straight", 9, 2 * BATCH)
    assert ckpt.load_train_state(two)["clips_seen"] == 9 * 2 * BATCH
    assert max_weight_diff(two, straight) < ROUNDING


def test_ranks_take_disjoint_shards_of_one_stream():
    world = get_world("default")
    cfg = TrainConfig(seed=3)
    single = data_stream(cfg, world, 4, 8, Context())
    ranks = [data_stream(cfg, world, 4, 8, Context(rank=r, world_size=2)) for r in (0, 1)]
    for _ in range(3):
        for r in (0, 1):  # the global order: rank 0's batch, then rank 1's, ...
            a, b = next(ranks[r]), next(single)
            assert a.captions == b.captions and np.array_equal(a.video, b.video)


def test_torchrun_runs_the_cli(tmp_path):
    r = torchrun("-m", "tinyt2v", "train", "--model", "seed-cgan", "--preset", "seed", "--world",
                 "seed", "--steps", "3", "--batch-size", "4", "--out", str(tmp_path / "run"),
                 "--device", "cpu", "--threads", "1")
    assert r.returncode == 0, r.stderr[-3000:]
    config = json.loads((tmp_path / "run" / "checkpoint" / "config.json").read_text())
    assert config["train"]["world_size"] == 2 and config["train"]["steps"] == 3
