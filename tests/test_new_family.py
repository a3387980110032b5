"""Adding a model family is one file and one registry line: a family defined here, registered in
one line, trains, saves, loads, samples and is evaluated through the CLI and the pipeline with
no other file of tinyt2v changed."""
import json
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from tinyt2v.cli import app
from tinyt2v.models import MODELS, ModelConfig, ModelSpec, System, register
from tinyt2v.pipeline import Pipeline
from tinyt2v.text import Vocab, build_text_encoder


@dataclass
class FlatColourConfig(ModelConfig):
    text_dim: int = 8  # the caption's word embedding


class FlatColour(System):
    """Each clip one colour, the caption's: the least a family must be to take part."""

    def __init__(self, cfg: FlatColourConfig, vocab: Vocab):
        super().__init__()
        self.cfg = cfg
        self.text = build_text_encoder("mean", vocab, cfg.text_dim)
        self.colour = nn.Linear(cfg.text_dim, 3)

    def losses(self, video, captions, progress, targets):
        loss = (torch.tanh(self.colour(self.text(captions))) - video.mean((1, 3, 4))).abs().mean()
        return loss, {"loss": loss}

    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        c = self.cfg
        rgb = torch.tanh(self.colour(self.text(captions)))  # (B, 3)
        return rgb[:, None, :, None, None].expand(-1, frames or c.frames, 3, c.height, c.width)


@pytest.fixture
def flat_colour():
    register("flat-colour", ModelSpec(FlatColourConfig, FlatColour, {"tiny": FlatColourConfig()}, "a test family"))
    yield "flat-colour"
    del MODELS["flat-colour"]  # other tests of this process see the shipped registry


def test_a_family_registered_in_one_line_trains_samples_and_is_evaluated_through_cli_and_pipeline(
        flat_colour, tmp_path):
    cli = CliRunner()
    r = cli.invoke(app, ["train", "--model", flat_colour, "--steps", "3", "--batch-size", "4",
                         "--out", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    ck = tmp_path / "run" / "checkpoint"
    pipe = Pipeline.from_pretrained(ck)
    assert pipe.config["model"] == flat_colour and isinstance(pipe.system, FlatColour)
    assert pipe("a red circle moving up", seed=0).frames.shape == (16, 64, 64, 3)
    r = cli.invoke(app, ["generate", "a red circle moving up", "--checkpoint", str(ck),
                         "-o", str(tmp_path / "clip.mp4")])
    assert r.exit_code == 0 and (tmp_path / "clip.mp4").exists(), r.output
    r = cli.invoke(app, ["eval", "--checkpoint", str(ck), "-n", "4", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout[r.stdout.index("{"):])["n"] == 4
