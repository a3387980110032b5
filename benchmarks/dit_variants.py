"""latent-dit's transformer in several token layouts, each trained for the same CPU time on one
frozen, already-trained autoencoder: which layout learns most per CPU-minute.

    python benchmarks/latent_dit.py --preset tiny --cpu-minutes 12 --threads 2 --set ae_share=1 \
        --guidance none --out runs/latent-dit-ae12       # any latent-dit checkpoint will do
    python benchmarks/dit_variants.py --autoencoder runs/latent-dit-ae12/checkpoint --cpu-minutes 10 \
        '{}' '{"time_patch": 1, "attention": "factorised"}' '{"time_patch": 1, "patch": 4}'

Each variant (JSON: latent-dit config fields to change) starts from the same seed and sees the
same stream of training clips. Reported: steps, the flow loss on 128 held clips of `test` at
fixed noise and times every 2 CPU-minutes (the raw weights; then the moving average's), and the
judge's per-attribute accuracy on n samples of `test` at the end. Short budgets read ~0% all-correct,
so the held-out loss is the comparison that carries.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

import torch
from common import save

from tinyt2v.diffusion.flow import flow_loss
from tinyt2v.evaluate import evaluate
from tinyt2v.io import to_tensor
from tinyt2v.models.latent_dit import LatentDiT
from tinyt2v.pipeline import Pipeline
from tinyt2v.run_state import EMA
from tinyt2v.text import Vocab
from tinyt2v.world import clip_batch

HELD = 128        # clips of `test` the held-out flow loss is measured on
MARK_MINUTES = 2  # CPU-minutes between held-out loss readings


def on_frozen_autoencoder(src: LatentDiT, vocab: Vocab, variant: dict) -> LatentDiT:
    """A new latent-dit of src's config changed by variant, holding src's trained autoencoder and
    latent statistics, already in its transformer stage."""
    torch.manual_seed(0)
    model = LatentDiT(replace(src.cfg, **variant), vocab)
    for part in ("encoder", "decoder"):
        getattr(model, part).load_state_dict(getattr(src, part).state_dict())
    model.flow.mean.copy_(src.flow.mean)
    model.flow.std.copy_(src.flow.std)
    model.latent_batches.fill_(1)
    model.transformer_stage, model.flow_batches = True, 1
    return model


class HeldOutLoss:
    """The flow loss on fixed clips, noise and times: comparable across steps and variants."""

    def __init__(self, world, model: LatentDiT):
        batch = clip_batch(world, "test", HELD, seed=99)
        self.captions = batch.captions
        with torch.no_grad():
            self.z = model.flow.standardise(model.encoder(to_tensor(batch.video)))
        g = torch.Generator().manual_seed(5)
        self.noise = torch.randn(self.z.shape, generator=g)
        self.t = torch.sigmoid(torch.randn(HELD, generator=g))

    @torch.no_grad()
    def __call__(self, model: LatentDiT, chunk: int = 32) -> float:
        was_training = model.training
        model.eval()
        total = 0.0
        for i in range(0, HELD, chunk):
            s = slice(i, i + chunk)
            cond = model.text.states(self.captions[s])
            loss = flow_loss(model.flow._net, self.z[s], cond, self.noise[s], self.t[s])
            total += float(loss) * len(self.t[s])
        model.train(was_training)
        return total / HELD


def run_variant(src: Pipeline, variant: dict, cpu_minutes: float, n: int) -> dict:
    model = on_frozen_autoencoder(src.system, Vocab(src.config["vocab"]), variant)
    held = HeldOutLoss(src.world, model)
    opt = model.optimizers()["all"]
    ema = EMA(model, model.cfg.ema)
    model.train()
    losses, step, t0 = {}, 0, time.process_time()
    while True:
        used = (time.process_time() - t0) / 60
        if used >= (len(losses) + 1) * MARK_MINUTES or used >= cpu_minutes:
            mark = min((len(losses) + 1) * MARK_MINUTES, cpu_minutes)
            losses[f"loss_{mark:g}min"] = round(held(model), 4)
            print(variant, f"{used:.1f} CPU-min", step, "steps", losses, file=sys.stderr, flush=True)
            if used >= cpu_minutes:
                break
        batch = clip_batch(src.world, "train", model.cfg.batch_size, seed=1000 + step)
        loss = model.flow_loss(to_tensor(batch.video), batch.captions)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), model.cfg.grad_clip)
        opt.step()
        step += 1
        ema.update(model, step)
    averaged = ema.model
    averaged.transformer_stage, averaged.flow_batches = True, step
    report = evaluate(Pipeline(averaged, src.config, "variant"), "test", n, seed=1, batch_size=50)
    return dict(variant=json.dumps(variant), steps=step, tokens=model.flow.velocity.positions.shape[0],
                **losses, ema_loss=round(held(averaged), 4), n=n, all_correct=report["all_correct"],
                **report["accuracy"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("variants", nargs="+", help="JSON objects of latent-dit config fields to change")
    ap.add_argument("--autoencoder", required=True, help="a latent-dit checkpoint folder")
    ap.add_argument("--cpu-minutes", type=float, default=10)
    ap.add_argument("--n", type=int, default=100, help="samples judged per variant")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="dit_variants")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    src = Pipeline.from_pretrained(args.autoencoder)
    rows = [run_variant(src, json.loads(v), args.cpu_minutes, args.n) for v in args.variants]
    save(args.name, rows, "latent-dit's transformer: token layouts at equal CPU time on one frozen autoencoder",
         "python benchmarks/dit_variants.py " + " ".join(f"'{a}'" if a.startswith("{") else a for a in sys.argv[1:]),
         f"Autoencoder: {args.autoencoder}. Held-out loss: the flow loss on {HELD} clips of test at fixed "
         f"noise and times (raw weights every {MARK_MINUTES} CPU-minutes; ema_loss: the moving average "
         "at the end). Attributes: the judge on the moving average's samples of test.")


if __name__ == "__main__":
    main()
