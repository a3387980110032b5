"""Data-parallel training with torchrun on CPU (gloo): ranks stay in lockstep, the loss goes
down, rank 0's checkpoint loads in one process, and a run resumes on another world size."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyt2v.distributed import Context
from tinyt2v.pipeline import Pipeline
from tinyt2v.train import TrainConfig, data_stream, train
from tinyt2v.world import get_world

HERE = Path(__file__).parent
STEPS, BATCH = 30, 4


def torchrun(*args):
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
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
                      batch_size=BATCH, overrides=TINY, resume=True, sample_every=10 ** 6))
    state = json.loads((ck / "train_state.json").read_text())
    assert state["step"] == STEPS + 5 and state["clips_seen"] == STEPS * 2 * BATCH + 5 * BATCH


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
