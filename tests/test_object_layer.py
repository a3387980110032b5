"""An object over a canvas is what differs from the background the model draws: its coverage and
track come from the pixels, kept to one thing, its colour is what it covers wholly (drawn at a
temperature of its own, given what it passes over); its coverage is a clip (white over
black) that a layer-flow of its own learns, the canvas learns nothing from the object's pixels
but learns away another clip's object where a clip shows its background, and a layer-flow with
an object layer trains and draws clips."""
import torch

from tinyt2v.models.object_layer import (
    OBJECT_FLOOR,
    ObjectLayer,
    as_clip,
    as_coverage,
    differs,
    one_thing,
    paint,
    passes_over,
    shows,
)
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


def test_an_objects_coverage_is_one_thing_not_the_specks_and_lines_elsewhere_in_its_frame():
    alpha = torch.zeros(2, 3, 64, 64)
    alpha[:, :, 20:36, 20:24] = 1  # an object: two strokes a pixel apart, ...
    alpha[:, :, 20:36, 25:29] = 1
    alpha[:, :, 20:36, 19] = alpha[:, :, 20:36, 29] = 0.3  # ... their anti-aliased edges ...
    alpha[0, :, 50, 5:20] = 1  # ... and in one clip a photograph's edge the canvas drew off, ...
    alpha[0, :, 5:7, 50:52] = 0.8  # ... a speck ...
    alpha[0, 1, 40:44, 40:44] = 0.4  # ... and a patch under half covered, in one frame
    kept = one_thing(alpha)
    assert torch.equal(kept[1], alpha[1])  # the object alone stays as it is
    assert torch.equal(kept[0, :, 15:40, 15:35], alpha[0, :, 15:40, 15:35])  # the object, edges and all, ...
    kept[0, :, 15:40, 15:35] = 0
    assert kept[0].sum() == 0  # ... and nothing else
    assert one_thing(torch.zeros(1, 2, 64, 64)).sum() == 0  # nothing covered: nothing


def test_a_thing_that_moves_is_the_object_before_a_larger_part_of_the_photograph_the_canvas_missed():
    alpha = torch.zeros(1, 2, 64, 64)
    alpha[0, :, 5:60, 50:55] = 1  # a tower the canvas does not hold: in every frame, ...
    moved = torch.zeros_like(alpha)  # ... so in the clip's own background too
    for t in range(2):  # a glyph moving over it, smaller
        alpha[0, t, 20:34, 10 + 8 * t:20 + 8 * t] = moved[0, t, 20:34, 10 + 8 * t:20 + 8 * t] = 1
    assert one_thing(alpha).sum((2, 3)).eq(5 * 55).all()  # by coverage alone: the tower ...
    assert one_thing(alpha, moved).sum((2, 3)).eq(14 * 10).all()  # ... with what moved: the glyph


def test_an_objects_colour_is_that_of_what_it_covers_wholly_not_pulled_towards_the_background():
    background = textured(1, 3)
    video = background.clone()
    blue = torch.tensor([-1.0, -1.0, 1.0])[:, None, None]
    video[0, :, :, 20:30, 20:30] = blue  # a blue square ...
    for edge in (video[0, :, :, 18:20, 18:32], video[0, :, :, 30:32, 18:32],
                 video[0, :, :, 20:30, 18:20], video[0, :, :, 20:30, 30:32]):
        edge.copy_((edge + blue) / 2)  # ... its edges half over the background, as a drawn glyph's are
    alpha, colour = ObjectLayer.measure(video, background)
    weighted = (alpha[:, :, None] * video).sum((1, 3, 4)) / alpha.sum((1, 2, 3))[:, None]
    assert (weighted - blue.flatten()).norm() > 0.1  # the coverage-weighted mean is pulled off ...
    assert (colour - blue.flatten()).norm() < 0.02  # ... the colour is the square's


def test_an_objects_coverage_and_colour_painted_over_its_background_give_the_clip_back():
    background = textured(2, 3)
    video = background.clone()
    video[0, :, :, 20:30, 20:30] = torch.tensor([1.0, -1.0, 1.0])[:, None, None]  # a magenta square
    video[1, :, :, 5:15, 40:52] = torch.tensor([-1.0, 0.8, -0.6])[:, None, None]  # a green bar
    alpha, colour = ObjectLayer.measure(video, background)
    assert torch.allclose(colour, torch.tensor([[1.0, -1.0, 1.0], [-1.0, 0.8, -0.6]]), atol=0.05)
    partial = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(as_coverage(as_clip(partial)), partial, atol=1e-6)  # a coverage and its clip are one thing
    assert (paint(alpha, colour, background) - video).abs().amax() < 0.1


def test_layer_flow_with_an_object_layer_trains_and_samples(tmp_path):
    from conftest import SMALL
    from tinyt2v.pipeline import Pipeline
    from tinyt2v.train import TrainConfig, train

    kw = dict(SMALL["layer-flow"])
    kw["overrides"] = dict(kw["overrides"], object_layers=1, object_seeding=0.0)  # its coverage trains too
    ck = train(TrainConfig(out=str(tmp_path / "run"), steps=2, batch_size=4, sample_every=None,
                           ckpt_every=None, **kw))
    pipe = Pipeline.from_pretrained(ck)
    assert int(pipe.system.object.coverage.atlas.seeded) > 0  # the coverage model learned from clips
    video = pipe.generate(["a red circle moving left"], seed=0)
    assert video.shape == (1, 16, 64, 64, 3)


def _seeded_model(background, dec_frames=4):
    """A layer-flow with an object layer whose bank's one image is `background` (B, T, 3, H, W),
    drawing `dec_frames` frames of a clip each step."""
    from tinyt2v.models.layer_flow import LayerFlow, LayerFlowConfig
    from tinyt2v.text import Vocab

    torch.manual_seed(0)
    model = LayerFlow(LayerFlowConfig(frames=4, dec_frames=dec_frames, object_layers=1, atlases=1),
                      Vocab(["a", "square"]))
    model.losses(background, ["a square"], 0.0, None)  # the bank's one image: the background, seeded
    model.zero_grad()
    return model


def _canvas_gradient(model, video):
    """|d recon / d image| (A, A) of the bank's one image on `video`."""
    loss, logs = model.losses(video, ["a square"], 0.0, None)
    logs["recon"].backward()
    return model.atlas.images.grad.abs().sum(1)[0]


def test_the_canvas_learns_nothing_from_the_pixels_a_moving_object_covers():
    # the first frame spans the middle 0.45 of the image: frame px p is image px 35 + 0.9 p
    background = textured(1, 4)
    model = _seeded_model(background, dec_frames=1)  # one frame drawn: its square's pixels teach nothing
    video = background.clone()
    for t in range(4):  # an 8 px square, 9 px a frame to the right: each pixel covered once
        video[0, t, :, 20:30, 20 + 9 * t:28 + 9 * t] = torch.tensor([1.0, -1.0, 1.0])[:, None, None]
    grad = _canvas_gradient(model, video)
    under = [grad[55:61, 55 + round(8.1 * t):59 + round(8.1 * t)].max() for t in range(4)]  # each frame's square
    assert sum(g == 0 for g in under) == 1  # the drawn frame's square teaches the canvas nothing; where
    # the other frames' squares were, the drawn frame shows background, and that teaches it
    assert grad[75:85, 75:85].min() > 0  # so do the canvas's own pixels


def test_a_canvas_holding_another_clips_object_learns_it_away_where_this_clip_shows_its_background():
    clip = textured(1, 4)
    ghost = clip.clone()  # the canvas is seeded with a square another clip's object left in it
    ghost[0, :, :, 20:30, 20:30] = torch.tensor([1.0, -1.0, 1.0])[:, None, None]
    model = _seeded_model(ghost)
    grad = _canvas_gradient(model, clip)  # this clip shows its background there
    assert grad[55:61, 55:61].min() > 0  # image px of the square's frame px 20-30 (35 + 0.9 p)


def test_a_layer_flow_config_saved_with_the_retired_sprite_bank_loads_and_an_unknown_field_does_not():
    import dataclasses

    import pytest

    from tinyt2v.models import config_from_dict
    from tinyt2v.models.layer_flow import LayerFlowConfig

    saved = {**dataclasses.asdict(LayerFlowConfig()), "sprite": 32, "sprites": 32, "sprite_match_weight": 50.0,
             "ref_radius": 8.0}  # as checkpoints saved between 9e5bd71 and a7333df have it
    assert config_from_dict("layer-flow", saved) == LayerFlowConfig()
    with pytest.raises(ValueError, match="does not know"):
        config_from_dict("layer-flow", {**saved, "sprite_side": 32})


def test_an_objects_colour_is_drawn_at_a_temperature_of_its_own():
    from tinyt2v.models.layer_flow import LayerFlow, LayerFlowConfig
    from tinyt2v.text import Vocab

    torch.manual_seed(0)
    model = LayerFlow(LayerFlowConfig(frames=4, object_layers=1, atlases=1), Vocab(["a", "square"]))
    with torch.no_grad():  # a prior that has learned something: its velocity is not 0
        torch.nn.init.normal_(model.object.colour_prior.velocity.out.weight, std=0.1)

    def colour(seed: int, object_colour_temperature: float) -> torch.Tensor:
        model.cfg.object_colour_temperature = object_colour_temperature
        return model.layers(["a square"], torch.Generator().manual_seed(seed))[1][1]

    assert torch.equal(colour(1, 0.0), colour(2, 0.0))  # from no noise: one colour whatever the seed
    assert not torch.allclose(colour(1, 1.0), colour(2, 1.0))  # from all of it: each seed its own


def test_what_an_object_passes_over_is_the_mean_and_spread_of_the_background_it_covers():
    background = torch.zeros(1, 2, 3, 8, 8)
    background[:, :, :, :, 4:] = 1.0  # black on the left, white on the right
    alpha = torch.zeros(1, 2, 8, 8)
    alpha[:, :, 2:6, 2:6] = 1.0  # half over each
    over = passes_over(alpha, background)[0]
    assert torch.allclose(over, torch.tensor([0.5] * 3 + [0.5] * 3), atol=1e-3)
    alpha[:, :, 2:6, 2:4] = 0.0  # over white only
    assert torch.allclose(passes_over(alpha, background)[0], torch.tensor([1.0] * 3 + [0.0] * 3), atol=1e-2)


def test_the_object_layer_learns_to_paint_an_object_in_a_colour_that_shows_on_what_it_passes_over():
    from tinyt2v.models.flow_prior import FlowPriorConfig

    torch.manual_seed(0)
    layer = ObjectLayer(torch.nn.Identity(), FlowPriorConfig(prior_width=64, prior_depth=2, text_dim=8,
                                                             caption_drop=0.0), 8)
    opt = torch.optim.AdamW(layer.parameters(), lr=3e-3)
    alpha = torch.zeros(16, 2, 8, 8)
    alpha[:, :, 2:6, 2:6] = 1.0
    bright = torch.rand(16) > 0.5  # half the clips over white, half over black ...
    background = torch.where(bright[:, None, None, None, None], 1.0, -1.0).expand(-1, 2, 3, 8, 8)
    colour = torch.where(bright[:, None], -1.0, 1.0).expand(-1, 3)  # ... each object in the other
    for _ in range(300):
        opt.zero_grad()
        layer.colour_prior.loss(colour, layer._colour_condition(torch.zeros(16, 8), alpha, background)).backward()
        opt.step()
    g = torch.Generator().manual_seed(0)
    white, black = torch.ones(1, 2, 3, 8, 8), -torch.ones(1, 2, 3, 8, 8)
    over_white = layer.colour_prior.sample(layer._colour_condition(torch.zeros(1, 8), alpha[:1], white), g)
    over_black = layer.colour_prior.sample(layer._colour_condition(torch.zeros(1, 8), alpha[:1], black), g)
    assert over_white.mean() < -0.5 < 0.5 < over_black.mean()  # dark over white, light over black


def test_a_colour_shows_as_well_as_the_least_visible_tenth_of_what_the_object_covers():
    under = torch.ones(1, 2, 3, 8, 8)  # white ...
    under[:, :, :, 2:3, 2:6] = -1.0  # ... with a black line under part of the object
    alpha = torch.zeros(1, 2, 8, 8)
    alpha[:, :, 2:6, 2:6] = 1.0  # a quarter of what it covers is black
    colours = torch.tensor([[[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])  # black, grey, white
    assert shows(alpha, colours, under).argmax().item() == 1  # grey: black and white each vanish somewhere
    assert shows(torch.zeros_like(alpha), colours, under).abs().sum() == 0  # an object covering nothing


def test_an_object_is_painted_in_the_colour_that_shows_best_of_those_its_prior_draws():
    from tinyt2v.models.flow_prior import FlowPriorConfig

    class Square(torch.nn.Module):  # a coverage model that always draws one square
        def generate(self, captions, generator, frames, guidance=None, temperature=None):
            clip = -torch.ones(len(captions), frames, 3, 8, 8)
            clip[..., 2:6, 2:6] = 1.0
            return clip

    torch.manual_seed(0)
    layer = ObjectLayer(Square(), FlowPriorConfig(prior_width=32, prior_depth=1, text_dim=8), 8)
    with torch.no_grad():  # a prior whose draws differ from each other
        torch.nn.init.normal_(layer.colour_prior.velocity.out.weight, std=0.5)
    drawn = []
    draw = layer.colour_prior.sample
    layer.colour_prior.sample = lambda *a, **kw: drawn.append(draw(*a, **kw)) or drawn[-1]
    under = torch.ones(2, 2, 3, 8, 8)  # white
    alpha, colour = layer.sample(["a", "b"], torch.zeros(2, 8), under, torch.Generator().manual_seed(0),
                                 colour_temperature=1.0)
    candidates = drawn[-1].view(2, -1, 3)
    assert candidates.shape[1] > 1
    far = (candidates - 1).norm(dim=-1)  # each candidate's distance from white
    assert torch.equal(colour, candidates[torch.arange(2), far.argmax(1)])
