"""The residual layer draws what a clip's layers leave (the light changing over a still
photograph seen through a still camera), learns it with the layers held fixed, and changes
nothing before it has learned."""
import pytest
import torch
from test_atlas import cut, texture

from tinyt2v.models.layer_flow import LayerFlow, LayerFlowConfig
from tinyt2v.models.residual import ResidualLayer
from tinyt2v.text import Vocab

WORDS = ["a", "view", "fading", "rising"]


def lit(frames: int, fading: bool) -> torch.Tensor:
    """A still view of a textured photograph (1, T, 3, 64, 64) whose light fades (to 0.4 of it)
    or rises (from 0.4) over the clip: outside what a canvas seen by a camera can draw."""
    view = cut(texture(1), [(0.0, 0.0, 0.45)])[0]
    light = torch.linspace(1.0, 0.4, frames) if fading else torch.linspace(0.4, 1.0, frames)
    return (view[None] * light[:, None, None, None])[None]


def test_an_untrained_residual_layer_adds_nothing():
    layer = ResidualLayer(8, 16)
    frames = torch.rand(2, 3, 3, 16, 16) * 2 - 1
    out = layer(frames, torch.rand(2, 3), torch.randn(2, 8))
    assert out.shape == frames.shape and out.abs().max() == 0


def test_the_residual_learns_with_the_layers_held_fixed():
    model = LayerFlow(LayerFlowConfig(frames=4, atlases=2, residual=True), Vocab(WORDS))
    _, logs = model.losses(lit(4, True), ["a view fading"], 0.0, None)
    logs["residual"].backward()
    residual = {id(p) for p in model.residual.parameters()}
    taught = [n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0]
    assert taught and all(id(dict(model.named_parameters())[n]) in residual for n in taught)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_residual_learns_the_light_the_caption_and_the_frames_time_ask_for(seed):
    torch.manual_seed(seed)
    model = LayerFlow(LayerFlowConfig(frames=4, atlases=2, residual=True, dec_frames=4, residual_frames=4),
                      Vocab(WORDS))
    clips = torch.cat([lit(4, True), lit(4, False)])
    captions = ["a view fading", "a view rising"]
    opt = torch.optim.Adam(model.residual.parameters(), lr=3e-3)
    for _ in range(150):
        _, logs = model.losses(clips, captions, 0.0, None)  # the bank seeds itself from the clips
        opt.zero_grad()
        logs["residual"].backward()
        opt.step()
    error = {on: (model.layered_copy(clips, captions, residual=on) - clips).abs().mean() for on in (False, True)}
    assert error[True] < 0.5 * error[False]  # the layers alone draw one light for the whole clip


def test_a_layer_flow_without_a_residual_has_none_and_its_copy_is_the_layers_alone():
    model = LayerFlow(LayerFlowConfig(frames=4, atlases=2), Vocab(WORDS))
    assert model.residual is None and not any("residual" in n for n, _ in model.named_parameters())
    clip = lit(4, True)
    model.losses(clip, ["a view fading"], 0.0, None)
    assert torch.equal(model.layered_copy(clip, ["a view fading"]),
                       model.layered_copy(clip, ["a view fading"], residual=False))
