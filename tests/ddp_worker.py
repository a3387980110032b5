"""Run by tests/test_distributed.py under torchrun: train a tiny model on every rank, then
check that all ranks hold the same parameters and buffers.

    ddp_worker.py OUT RANKS_JSON STEPS [OVERRIDES_JSON]
"""
import json
import sys

import torch
import torch.distributed as dist

from tinyt2v.train import TrainConfig, train

TINY = dict(width_enc=4, width_dec=8, hidden=32, prior_width=32, prior_depth=1, text_dim=16,
            latent=8, enc_frames=2, dec_frames=1)
BATCH = 4  # clips per rank


def on_end(system):
    flat = torch.cat([t.detach().float().flatten() for t in system.state_dict().values()])
    everyone = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(everyone, flat)
    if dist.get_rank() == 0:
        diff = max(float((x - everyone[0]).abs().max()) for x in everyone)
        with open(sys.argv[2], "w") as f:
            json.dump({"world_size": dist.get_world_size(), "max_param_diff": diff,
                       "numel": flat.numel()}, f)


if __name__ == "__main__":
    overrides = json.loads(sys.argv[4]) if len(sys.argv) > 4 else TINY
    train(TrainConfig(model="latent-flow", out=sys.argv[1], steps=int(sys.argv[3]),
                      batch_size=BATCH, overrides=overrides, log_every=1, sample_every=None,
                      ckpt_every=None, threads=1, device="cpu"), on_end=on_end)
