"""An object over a canvas is what differs from the background the model draws: its coverage and
track come from the pixels, its look from a bank of sprites seeded by objects cut out of clips,
its colour from a least-squares offset; and a layer-flow with an object layer trains and draws
clips."""
import math
from types import SimpleNamespace

import torch

from tinyt2v.models.object_layer import OBJECT_FLOOR, SpriteBank, cut_out, differs, likeness, offset_fit, over
from tinyt2v.models.sprites import sprite_extent, warp
from tinyt2v.models.tracks import track_of


def glyph_sprites() -> torch.Tensor:
    """Three different RGBA sprites (3, 4, 32, 32): a bar, a ring and a cross."""
    yy, xx = torch.meshgrid(torch.arange(32.0) - 15.5, torch.arange(32.0) - 15.5, indexing="ij")
    shapes = [(xx.abs() < 3) & (yy.abs() < 10), ((xx ** 2 + yy ** 2).sqrt() - 8).abs() < 2.5,
              ((xx.abs() < 2) & (yy > -6) & (yy < 10)) | ((yy.abs() < 2) & (xx.abs() < 11))]
    alpha = torch.stack([m.float() for m in shapes])[:, None]
    return torch.cat([alpha * torch.tensor([0.8, -0.2, 0.1])[:, None, None], alpha], 1)


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
    assert alpha[0, 0, 20:30, 10:20].min() == 1  # the square, whole whatever is under it ...
    assert alpha[0, 0].sum() < 1.1 * alpha[0, 0, 20:30, 10:20].sum()  # ... and little else
    x = track_of(alpha, 8.0)[0, :, 0]
    assert torch.allclose(x.diff(), torch.full((3,), 4 * 2 / 64), atol=0.01)  # 4 px a frame


def test_a_background_drawn_slightly_off_is_no_object():
    background = textured(1, 2)
    assert differs(background + 0.1, background).sum() == 0


def test_where_the_canvas_is_drawn_soft_its_edges_are_not_taken_for_the_object():
    g = torch.Generator().manual_seed(1)
    photo = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 64, 64, generator=g) * 2 - 1, 3, 1, 1)
    drawn = torch.nn.functional.avg_pool2d(photo, 5, 1, 2)  # the canvas: the photograph, softer
    video = photo.clone()
    video[0, :, 20:30, 20:30] = torch.tensor([1.0, -1.0, 1.0])[:, None, None]  # a 10 x 10 px square
    video[0, :, 40:50, 40:50] = drawn[0, :, 40:50, 40:50] + 0.5  # and one nearer the canvas's colours
    alpha = differs(video[:, None], drawn[:, None])[0, 0]
    soft = ((video - drawn).norm(dim=1)[0] > OBJECT_FLOOR).float().mean()
    assert soft > 0.4  # the soft canvas misses the photograph by more than the floor in many pixels
    assert alpha[20:30, 20:30].mean() > 0.9 and alpha[40:50, 40:50].mean() > 0.9  # both squares, whole ...
    assert alpha.sum() < 1.2 * 200  # ... and little else


def test_a_clips_object_colour_is_fitted_as_an_offset_where_the_layer_covers():
    under = textured(2, 3)
    layer = torch.zeros(2, 3, 4, 64, 64)
    layer[:, :, 3, 10:30, 10:30] = 1.0
    layer[:, :, :3, 10:30, 10:30] = 0.2  # premultiplied: a grey sprite
    offset = torch.tensor([[0.5, -0.7, 0.1], [0.0, 0.3, -0.3]])
    assert torch.allclose(offset_fit(layer, under, over(layer, offset, under)), offset, atol=1e-5)


def test_an_object_cut_out_of_a_frame_at_its_pose_is_the_sprite_that_was_put_there():
    sprites = glyph_sprites()
    extent = sprite_extent(32, 64)
    pose = torch.tensor([[0.3, -0.2, math.log(1.3), 0.0], [-0.4, 0.1, math.log(0.8), 0.5], [0.0, 0.3, 0.0, -0.3]])
    layer = warp(sprites, pose[:, :3], pose[:, 3], 64, 64, extent)
    frames = layer[:, :3] / layer[:, 3:].clamp(min=1e-3)  # the object's colours where it covers
    cut = cut_out(frames, layer[:, 3], pose, 32, extent)
    assert torch.diag(likeness(cut, sprites)).min() > 0.9  # each is its own sprite again ...
    assert (likeness(cut, sprites) - 2 * torch.eye(3)).max() < 0.7  # ... and not another


def test_sprites_are_seeded_by_the_clips_that_have_an_object_in_order_and_then_kept():
    bank = SpriteBank(SimpleNamespace(sprites=4, sprite=32), 8)
    cuts = glyph_sprites()
    bank.seed(cuts, torch.tensor([False, True, True]))  # the first clip has no object to seed
    assert int(bank.seeded) == 2
    assert likeness(bank[torch.arange(2)], cuts[1:]).diag().min() > 0.99
    assert bank[torch.arange(4)][2:, 3].max() == 0.5  # unseeded: untouched (sigmoid(0))
    bank.seed(cuts, torch.tensor([True, True, True]))
    assert int(bank.seeded) == 4 and likeness(bank[torch.arange(4)], cuts)[3, 1] > 0.99
    before = bank[torch.arange(4)].clone()
    bank.seed(cuts, torch.tensor([True, True, True]))  # full: nothing changes
    assert torch.equal(bank[torch.arange(4)], before)


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


def test_the_canvas_learns_nothing_from_the_pixels_the_object_covers():
    from tinyt2v.models.layer_flow import LayerFlowConfig
    from tinyt2v.models.object_layer import ObjectLayer

    layer = ObjectLayer(LayerFlowConfig(frames=4, object_layers=1, sprites=2), 8)
    background = textured(1, 4)
    video = background.clone()
    video[0, :, :, 20:30, 20:30] = torch.tensor([1.0, -1.0, 1.0])[:, None, None]  # a still square
    under = (background + 0.05).requires_grad_()  # the canvas drawn a little off, with gradient
    drawn, weight, _, _ = layer.losses(torch.zeros(1, 8), torch.zeros(1, 8), video, background,
                                       torch.arange(4)[None], under, seeding=True)
    ((drawn - video).abs() * weight).sum().backward()
    grad = under.grad.abs().sum(2)[0]  # (frames, H, W)
    assert grad[:, 20:30, 20:30].max() == 0  # the square's pixels teach the canvas nothing ...
    assert grad[:, 40:, 40:].min() > 0  # ... the canvas's own pixels do
