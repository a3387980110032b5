"""An object over a canvas is what differs from the background the model draws: its coverage and
track come from the pixels, its colour from a least-squares offset, and a layer-flow with an
object layer trains and draws clips."""
import torch

from tinyt2v.models.object_layer import differs, offset_fit, over
from tinyt2v.models.tracks import track_of


def textured(b: int, t: int) -> torch.Tensor:
    """A photograph-like background (b, t, 3, 64, 64) that is the same in every frame."""
    g = torch.Generator().manual_seed(0)
    base = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 64, 64, generator=g) * 2 - 1, 5, 1, 2)
    return base[:, None].expand(b, t, -1, -1, -1).clone()


def test_what_differs_from_the_drawn_background_is_the_object_and_its_track_follows_it():
    background = textured(1, 4)
    video = background.clone()
    for t in range(4):  # a 10 x 10 px square moving right 4 px a frame
        video[0, t, :, 20:30, 10 + 4 * t:20 + 4 * t] = torch.tensor([1.0, -1.0, 1.0])[:, None, None]
    alpha = differs(video, background)
    assert alpha[0, 0, 20:30, 10:20].min() > 0.3  # the square ...
    assert alpha[0, 0].sum() < 1.1 * alpha[0, 0, 20:30, 10:20].sum()  # ... and little else
    x = track_of(alpha, 8.0)[0, :, 0]
    assert torch.allclose(x.diff(), torch.full((3,), 4 * 2 / 64), atol=0.01)  # 4 px a frame


def test_a_background_drawn_slightly_off_is_no_object():
    background = textured(1, 2)
    assert differs(background + 0.1, background).sum() == 0


def test_a_clips_object_colour_is_fitted_as_an_offset_where_the_layer_covers():
    under = textured(2, 3)
    layer = torch.zeros(2, 3, 4, 64, 64)
    layer[:, :, 3, 10:30, 10:30] = 1.0
    layer[:, :, :3, 10:30, 10:30] = 0.2  # premultiplied: a grey sprite
    offset = torch.tensor([[0.5, -0.7, 0.1], [0.0, 0.3, -0.3]])
    assert torch.allclose(offset_fit(layer, under, over(layer, offset, under)), offset, atol=1e-5)


def test_layer_flow_with_an_object_layer_trains_and_samples(tmp_path):
    from conftest import SMALL
    from tinyt2v.pipeline import Pipeline
    from tinyt2v.train import TrainConfig, train

    kw = dict(SMALL["layer-flow"])
    kw["overrides"] = dict(kw["overrides"], object_layers=1)
    ck = train(TrainConfig(out=str(tmp_path / "run"), steps=2, batch_size=4, sample_every=None,
                           ckpt_every=None, **kw))
    video = Pipeline.from_pretrained(ck).generate(["a red circle moving left"], seed=0)
    assert video.shape == (1, 16, 64, 64, 3)
