"""Several things over one colour, each in a colour of its own: a new run gives itself an object
layer for each over a plain canvas; what differs from the canvas is split into objects by colour
(an edge goes with the body it borders, even where two things almost touch); each object is
matched to the slot of words whose predicted colour is nearest, whatever order the split found
them in, by slots that see where each word stands in the caption or that each take one run of
its words, in order; the objects drawn keep clear
of each other and of the frame's border, their draws
chosen together (the first object's leaves the second room; of the clear combinations the
coolest in sum, within a pixel of coverage of the clearest; three objects pair by pair); a
layer-flow with two object layers trains and draws both; and over one colour it draws no camera
track (one colour looks the same through any)."""
from types import SimpleNamespace

import torch

from tinyt2v.models.bound_objects import APART, BoundObjects, clear_draws, colours_apart, split_by_colour
from tinyt2v.models.layer_flow import LayerFlow, LayerFlowConfig, settings_from_clips
from tinyt2v.models.object_layer import differs
from tinyt2v.models.slots import SlotReader, SpanReader
from tinyt2v.text import Vocab, build_text_encoder

RED, BLUE = torch.tensor([0.8, -0.7, -0.7]), torch.tensor([-0.5, -0.3, 1.0])
DARK = torch.tensor([-0.7, -0.6, -0.8])


def two_squares(b: int = 2, t: int = 4) -> torch.Tensor:
    """Clips (b, t, 3, 32, 32) over a dark colour: a red square moving right, a blue one standing
    still below it, each with a half-covered edge on one side."""
    video = DARK[None, None, :, None, None].expand(b, t, -1, 32, 32).clone()
    for f in range(t):
        x = 2 + 2 * f
        video[:, f, :, 4:10, x:x + 6] = RED[:, None, None]
        video[:, f, :, 4:10, x + 6] = (RED + DARK)[:, None] / 2  # anti-aliased edge
        video[:, f, :, 18:26, 12:20] = BLUE[:, None, None]
        video[:, f, :, 18:26, 20] = (BLUE + DARK)[:, None] / 2
    return video


def test_a_clip_over_one_colour_shows_as_many_things_as_it_has_colours_of_their_own():
    video = two_squares()
    assert colours_apart(video, DARK.expand(2, 3)).tolist() == [2, 2]
    one = video.clone()
    one[:, :, :, 18:26, 12:21] = DARK[:, None, None]  # the blue square gone: the red one and its edge
    assert colours_apart(one, DARK.expand(2, 3)).tolist() == [1, 1]  # (its edge is a mix, not a colour)


def test_a_new_run_over_one_colour_takes_an_object_layer_per_thing_only_when_it_shows_several():
    several = settings_from_clips(two_squares(), LayerFlowConfig())
    assert (several["object_layers"], several["plain_background"], several["clip_colour"]) == (2, True, True)
    assert several["slot_spans"]  # each slot takes one run of the caption's words
    one = two_squares()
    one[:, :, :, 18:26, 12:21] = DARK[:, None, None]
    single = settings_from_clips(one, LayerFlowConfig())
    assert single["object_layers"] == 0 and not single.get("plain_background", False)


def test_what_differs_from_the_background_splits_into_objects_by_colour_edges_with_their_own():
    video = two_squares()
    background = DARK[None, None, :, None, None].expand_as(video)
    alpha, colour = split_by_colour(video, background, differs(video, background), 2)
    assert alpha.shape == (2, 2, 4, 32, 32)
    red = (colour[0] - RED).norm(dim=1).argmin()
    assert torch.allclose(colour[0, red], RED, atol=1e-3) and torch.allclose(colour[0, 1 - red], BLUE, atol=1e-3)
    assert alpha[0, red, 0, 4:10, 2:8].min() == 1 and alpha[0, red, :, 18:26].sum() == 0  # its square only
    assert alpha[0, red, 0, 4:10, 8].min() > 0  # with its half-covered edge ...
    assert alpha[0, 1 - red, 0, 4:10].sum() == 0  # ... which is not the blue one's
    assert alpha[0, 1 - red, 0, 18:26, 12:20].min() == 1


def test_two_things_a_pixel_apart_whose_edges_touch_are_still_split_by_their_colours():
    video = DARK[None, None, :, None, None].expand(1, 2, -1, 32, 32).clone()
    video[..., 8:20, 4:14] = RED[:, None, None]
    video[..., 8:20, 15:25] = BLUE[:, None, None]
    video[..., 8:20, 14] = (RED + BLUE)[:, None] / 2  # the column between them, blurred into both
    background = DARK[None, None, :, None, None].expand_as(video)
    alpha, colour = split_by_colour(video, background, differs(video, background), 2)
    red = (colour[0] - RED).norm(dim=1).argmin()
    assert alpha[0, red, :, 8:20, 4:14].min() == 1 and alpha[0, red, :, :, 15:].sum() == 0
    assert alpha[0, 1 - red, :, 8:20, 15:25].min() == 1 and alpha[0, 1 - red, :, :, :14].sum() == 0


class Squares(torch.nn.Module):
    """A coverage model that reads words as layer-flow's does and draws one square per clip,
    further left the hotter its draw."""
    cfg = SimpleNamespace(temperature=0.0)

    def __init__(self):
        super().__init__()
        self.text = self.motion_text = build_text_encoder("mean", Vocab(["red", "blue"]), 8)

    def generate_given(self, e, motion_e, generator, frames, guidance=None, temperature=None):
        clip = -torch.ones(len(e), frames, 3, 32, 32)
        for i, heat in enumerate(temperature[:, 0].tolist()):
            x = 26 - round(heat * 24)  # the coolest off the right edge, the hottest at the left
            clip[i, :, :, 12:20, x:x + 8] = 1.0
        return clip


def test_each_object_goes_to_the_slot_whose_words_predict_its_colour_whatever_order_it_was_found_in():
    layer = BoundObjects(Squares(), LayerFlowConfig(prior_width=32, text_dim=8), 8, Vocab(["red", "blue"]), 2)
    looks = torch.zeros(2, 2, 8)
    looks[:, 0, 0], looks[:, 1, 1] = 1.0, 1.0  # slot 0 reads one word, slot 1 another
    with torch.no_grad():
        layer.tint.weight.zero_(), layer.tint.bias.zero_()
        layer.tint.weight[:, 0], layer.tint.weight[:, 1] = RED, BLUE  # slot 0's words say red
    found = torch.stack([torch.stack([RED, BLUE]), torch.stack([BLUE, RED])])  # in either order
    order, error = layer._matched(looks, found)
    assert order.tolist() == [[0, 1], [1, 0]]  # slot 0 gets the red one in both clips
    assert error.abs().max() < 1e-6


def test_each_object_drawn_keeps_clear_of_the_others_and_of_the_frames_border():
    layer = BoundObjects(Squares(), LayerFlowConfig(prior_width=32, text_dim=8), 8, Vocab(["red", "blue"]), 2)
    under = torch.zeros(1, 2, 3, 32, 32)
    alpha, _ = layer.sample(["red and blue"], torch.zeros(1, 8), under, torch.Generator().manual_seed(0))
    for thing in alpha[0, :, 0]:  # each whole, clear of the border
        assert thing.sum() == 64 and thing[:, :APART].sum() == 0 and thing[:, -APART:].sum() == 0
    near = torch.nn.functional.max_pool2d(alpha[0, 0, :1], 2 * APART + 1, 1, APART)[0]
    assert (alpha[0, 1, 0] * near).sum() == 0  # the two keep clear of each other


def test_the_slots_of_several_objects_see_where_each_word_stands_in_its_caption():
    torch.manual_seed(0)
    alike = torch.zeros(2, 6, 8)  # six words read alike: only their places tell them apart
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    reader = SlotReader(2, 3, 8, positions=True)
    share = reader(alike, mask)[1]
    assert not torch.allclose(share[0, 0], share[0, 5])  # the first word and the last go apart
    alone = reader(alike[1:, :4], mask[1:, :4])[1]  # the shorter caption with no padding after it
    assert torch.allclose(share[1:, :4], alone, atol=1e-6)  # places count the caption's own words
    blind = SlotReader(2, 3, 8)(alike, mask)[1]
    assert torch.allclose(blind[0, 0], blind[0, 5])  # without places, words read alike split alike
    assert not any("place" in name for name in SlotReader(2, 3, 8).state_dict())  # (scene-flow's checkpoints)
    cfg = LayerFlowConfig(prior_width=32, text_dim=8)
    assert BoundObjects(Squares(), cfg, 8, Vocab(["red"]), 2, places=True).reader.place is not None


def test_each_slot_of_several_objects_takes_one_run_of_consecutive_words_in_order():
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    untrained = SpanReader(2, 8)(torch.randn(2, 6, 8), mask)[1]
    assert untrained.argmax(-1)[0].tolist() == [0, 0, 0, 1, 1, 1]  # every word as likely a start: even runs
    assert untrained.argmax(-1)[1, :4].tolist() == [0, 0, 1, 1] and untrained[1, 4:].sum() == 0  # padding: none
    torch.manual_seed(0)
    reader = SpanReader(3, 8)
    torch.nn.init.normal_(reader.start.weight, std=3.0)  # any starts, learned or not
    slot = reader(torch.randn(64, 9, 8), torch.ones(64, 9, dtype=torch.bool))[1].argmax(-1)
    assert (slot.diff(dim=1) >= 0).all() and (slot[:, 0] == 0).all()  # runs, in order, from the first word
    assert (slot == 2).any()  # and the last slot is reached


def test_a_start_learned_on_one_word_splits_the_caption_there():
    words = torch.zeros(1, 7, 8)
    words[0, 2, 0] = 4.0  # "and", told apart by its first feature
    reader = SpanReader(2, 8)
    with torch.no_grad():
        reader.start.weight[0, 0], reader.start.bias[0] = 8.0, -4.0  # a start where that feature is
    _, share, weights = reader(words, torch.ones(1, 7, dtype=torch.bool))
    assert share.argmax(-1)[0].tolist() == [0, 0, 1, 1, 1, 1, 1]
    assert torch.allclose(weights.sum(1), torch.ones(1, 2))


def square(y: int, x: int, side: int = 8) -> torch.Tensor:
    """A coverage (2, 32, 32) of a square at (y, x), still over two frames."""
    alpha = torch.zeros(2, 32, 32)
    alpha[:, y:y + side, x:x + side] = 1.0
    return alpha


def draws(*objects: list[torch.Tensor]) -> torch.Tensor:
    """Each object's draws, coolest first, as `clear_draws` takes them (1, K, C, 2, 32, 32)."""
    return torch.stack([torch.stack(d) for d in objects])[None]


def test_the_draws_kept_are_chosen_together_so_that_the_first_leaves_the_second_room():
    # the first object's coolest draw lies in the middle, a hotter one in a corner; the second
    # object's every draw lies in the middle: kept one after the other, the two would overlap
    alpha = clear_draws(draws([square(12, 12), square(4, 4)], [square(14, 14), square(13, 13)]))
    assert torch.equal(alpha[0, 0], square(4, 4)) and torch.equal(alpha[0, 1], square(14, 14))


def test_of_the_clear_combinations_the_coolest_in_sum_is_kept():
    # clear: (0, 3), (1, 1) and (1, 3); the first object's coolest draw is in the first of them,
    # but the second one's coolest clear draws sum to less
    middle, corner, below, far = square(12, 12), square(4, 4), square(18, 4), square(22, 22)
    alpha = clear_draws(draws([middle, corner, square(13, 13), square(13, 13)],
                              [square(13, 13), below, square(13, 13), far]))
    assert torch.equal(alpha[0, 0], corner) and torch.equal(alpha[0, 1], below)
    # where every combination is as clear, the coolest draws are kept
    apart = draws([square(4, 4), square(20, 4)], [square(4, 20), square(20, 20)])
    assert torch.equal(clear_draws(apart)[0], apart[0, :, 0])


def test_a_cooler_draw_within_a_pixel_of_coverage_of_the_clearest_is_as_clear():
    for extra, kept in ((0.25, 0), (0.75, 1)):  # coverage on the border in each of two frames
        edged = square(4, 4)
        edged[:, 0, 20] = extra
        alpha = clear_draws(draws([edged, square(4, 4)]))
        assert torch.equal(alpha[0, 0], [edged, square(4, 4)][kept])


def test_three_objects_keep_clear_of_each_other_pair_by_pair():
    # only the first object and the third collide in their coolest draws
    alpha = clear_draws(draws([square(4, 4), square(4, 4)], [square(4, 20), square(4, 20)],
                              [square(5, 5), square(20, 12)]))
    assert torch.equal(alpha[0, 2], square(20, 12)) and torch.equal(alpha[0, 0], square(4, 4))


def test_a_layer_flow_with_two_object_layers_trains_and_draws_both():
    torch.manual_seed(0)
    cfg = LayerFlowConfig(frames=4, height=32, width=32, dec_frames=2, atlases=2, atlas_side=32, prior_width=32,
                          object_layers=2, plain_background=True, clip_colour=True, object_seeding=0.0)
    model = LayerFlow(cfg, Vocab(["red", "blue", "square", "moving", "right", "still", "and"]))
    captions = ["a red square moving right and a blue square still"] * 2
    loss, logs = model.losses(two_squares(), captions, 0.5, None)
    loss.backward()
    assert torch.isfinite(loss) and "object_tint_error" in logs
    for learns in (model.object.reader.start, model.object.tint.weight, model.object.binding.embed.weight):
        assert learns.grad is not None and learns.grad.abs().sum() > 0  # the words' binding learns from the objects
    canvas, (alpha, colour) = model.layers(captions, torch.Generator().manual_seed(0))
    assert canvas.shape == (2, 4, 3, 32, 32) and alpha.shape == (2, 2, 4, 32, 32) and colour.shape == (2, 2, 3)
    assert model.generate(captions, torch.Generator().manual_seed(0)).shape == (2, 4, 3, 32, 32)


def test_over_one_colour_the_canvas_is_seen_through_a_still_camera_whose_prior_is_not_run(monkeypatch):
    cfg = LayerFlowConfig(frames=4, height=32, width=32, atlases=2, atlas_side=32, prior_width=32,
                          object_layers=2, plain_background=True, clip_colour=True)
    model = LayerFlow(cfg, Vocab(["red", "blue", "square", "moving", "right", "still", "and"]))

    def run(*args, **kwargs):
        raise AssertionError("the camera prior was run over one colour")
    monkeypatch.setattr(model.camera_prior, "sample", run)
    canvas, _ = model.layers(["a red square moving right and a blue square still"], torch.Generator().manual_seed(0))
    assert torch.equal(canvas, canvas[:, :1].expand_as(canvas))  # every frame the first one's view
