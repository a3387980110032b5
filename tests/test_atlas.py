"""A frame is placed in an atlas where it shows: its window's centre and size are found from
the pixels, below a pixel of the search; a clip filmed over an atlas is drawn again from
its measured camera track and its first frame's place; and an object layer's coverage model
draws a caption from the image likeliest to show its clips, not one two subjects share."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from tinyt2v.models.atlas import match, place
from tinyt2v.models.camera import affine, measure_camera
from tinyt2v.models.layer_flow import AtlasBank, LayerFlow, LayerFlowConfig, colour_fit, in_atlas, recolour
from tinyt2v.text import Vocab

WINDOWS = [(0.1, -0.2, 0.4), (-0.3, 0.3, 0.3), (0.0, 0.0, 0.55), (0.35, 0.35, 0.5), (-0.5, 0.1, 0.25),
           (0.2, 0.05, 0.62)]  # x, y, half side in the atlas


def texture(n: int, seed: int = 0) -> torch.Tensor:
    """n copies of a photograph-like colour texture (n, 3, 128, 128) in [-1, 1]."""
    img = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal((3, 128, 128)), (0, 2, 2))
    return torch.tensor(img / np.abs(img).max(), dtype=torch.float32)[None].expand(n, -1, -1, -1)


def cut(atlases: torch.Tensor, windows: list[tuple[float, float, float]]) -> torch.Tensor:
    """The 64 x 64 frame each atlas shows through its window (x, y, half side)."""
    w = torch.tensor([(x, y, math.log(h)) for x, y, h in windows])
    grid = F.affine_grid(affine(w), (len(windows), 3, 64, 64), align_corners=False)
    return F.grid_sample(atlases, grid, align_corners=False)


def test_frames_cut_from_an_atlas_are_placed_where_they_were_cut():
    atlas = texture(len(WINDOWS))
    windows = torch.tensor([(x, y, math.log(h)) for x, y, h in WINDOWS])
    frames = cut(atlas, WINDOWS)
    found = place(frames, atlas.contiguous(), (0.22, 0.75), 12)
    assert (found[:, :2] - windows[:, :2]).abs().max() < 0.01  # a third of a search px
    assert (found[:, 2] - windows[:, 2]).abs().max() < 0.04    # 4% of the window's size


def test_a_clip_filmed_over_an_atlas_is_drawn_again_from_what_is_measured():
    model = LayerFlow(LayerFlowConfig(frames=8), Vocab(["a"]))
    atlas = texture(1)
    window = torch.tensor([[0.2, -0.1, math.log(0.45)]])
    camera = torch.stack([torch.tensor([0.06 * t, 0.0, -0.03 * t]) for t in range(8)])[None]  # pan + zoom in
    clip = model.draw(atlas, in_atlas(window, camera))
    measured = measure_camera(clip)
    placed = place(clip[:, 0], atlas.contiguous(), model.cfg.window_range, model.cfg.window_sizes)
    again = model.draw(atlas, in_atlas(placed, measured))
    assert (again - clip).abs().mean() < 0.1 * clip.abs().mean()
    shifted = model.draw(atlas, in_atlas(placed + torch.tensor([[0.03, 0.0, 0.0]]), measured))
    assert (shifted - clip).abs().mean() > 3 * (again - clip).abs().mean()  # 1 px off is seen


def test_a_clip_of_an_image_of_the_bank_is_reconstructed_from_its_layers_and_a_clip_of_another_is_not():
    model = LayerFlow(LayerFlowConfig(frames=8, atlases=2), Vocab(["a"]))
    with torch.no_grad():
        model.atlas.images.copy_(torch.atanh(torch.cat([texture(1, 0), texture(1, 1)]).clamp(-0.99, 0.99)))
        model.atlas.seeded.fill_(2)
    camera = torch.stack([torch.tensor([0.05 * t, 0.02 * t, -0.02 * t]) for t in range(8)])[None]
    clip = model.draw(model.atlas[torch.tensor([1])], in_atlas(torch.tensor([[0.1, -0.1, math.log(0.45)]]), camera))
    again = model.layered_copy(clip, ["a"])
    assert (again - clip).square().mean() < 0.1 * clip.var()  # over 90% of its variance explained
    other = texture(1, 7)[:, None].expand(-1, 8, -1, -1, -1)[..., 32:96, 32:96]  # in no image of the bank
    assert (model.layered_copy(other, ["a"]) - other).square().mean() > 0.5 * other.var()


def test_the_first_window_is_drawn_unguided_and_the_camera_with_the_guidance_asked_for(monkeypatch):
    model = LayerFlow(LayerFlowConfig(frames=8), Vocab(["a"])).eval()  # window_guidance 1 by default
    asked = {}
    for name in ("window_prior", "camera_prior"):
        prior = getattr(model, name)

        def sample(*args, _name=name, _sample=prior.sample, **kwargs):
            asked[_name] = kwargs["guidance"]
            return _sample(*args, **kwargs)
        monkeypatch.setattr(prior, "sample", sample)
    model.generate(["a"], torch.Generator().manual_seed(0), guidance=3.0)
    assert asked == {"window_prior": 1.0, "camera_prior": 3.0}


def test_each_frame_is_matched_to_the_atlas_it_was_cut_from():
    bank = torch.cat([texture(1, seed) for seed in range(5)])
    owner = [i % 5 for i in range(len(WINDOWS))]
    frames = cut(bank[owner], WINDOWS)
    assert match(frames, bank, (0.22, 0.75)).argmax(1).tolist() == owner


def test_the_bank_is_seeded_by_whole_clips_in_order_and_then_left_to_learn():
    cfg = LayerFlowConfig(atlases=5)
    bank = AtlasBank(cfg, 8)
    # six two-frame clips of one texture: the second frame 0.3 to the side of the first
    first = [(x, y, cfg.first_window) for x, y, _ in WINDOWS]
    second = [(x + (0.3 if x <= 0 else -0.3), y, h) for x, y, h in first]
    frames = torch.stack([cut(texture(6), first), cut(texture(6), second)], 1)  # (6, 2, 3, 64, 64)
    windows = torch.tensor([[(x, y, math.log(h)) for x, y, h in pair] for pair in zip(first, second)])
    bank.seed(frames[:3], windows[:3])
    assert int(bank.seeded) == 3 and bank[torch.arange(5)][3:].abs().max() == 0
    bank.seed(frames[3:], windows[3:])  # fills images 3 and 4 from the next batch's first two
    assert int(bank.seeded) == 5
    images = bank[torch.arange(5)]
    for t, where in enumerate((first, second)):  # each image shows each of its clip's frames where it lay
        shown = cut(images, where[:5])
        for i in range(5):
            assert torch.corrcoef(torch.stack([shown[i].flatten(), frames[i, t].flatten()]))[0, 1] > 0.95
    before = images.clone()
    bank.seed(frames, windows)  # full: nothing changes
    assert torch.equal(bank[torch.arange(5)], before)
    loaded = AtlasBank(cfg, 8)
    loaded.load_state_dict(bank.state_dict())  # a checkpoint's full bank: nothing changes either
    loaded.seed(frames, windows)
    assert torch.equal(loaded[torch.arange(5)], before)


def test_a_median_seed_leaves_out_an_object_that_moves_over_a_still_view_and_a_mean_seed_keeps_its_ghost():
    still = cut(texture(1), [(0.0, 0.0, 0.45)])  # (1, 3, 64, 64): the camera never moves
    clip = still[:, None].repeat(1, 8, 1, 1, 1)
    for t in range(8):  # a white 6 px square crossing the view, 7 px a frame
        clip[0, t, :, 29:35, 4 + 7 * t:10 + 7 * t] = 1.0
    windows = torch.tensor([[0.0, 0.0, math.log(0.45)]]).expand(8, -1)[None]
    ghost = {}
    for median in (False, True):
        bank = AtlasBank(LayerFlowConfig(atlases=1, median_background=median), 8)
        bank.seed(clip, windows)
        ghost[median] = (cut(bank[torch.tensor([0])], [(0.0, 0.0, 0.45)]) - still)[..., 29:35, 4:60].abs().amax()
    assert ghost[True] < 0.05 and ghost[False] > 0.1


def test_a_clips_colours_are_fitted_as_a_gain_and_offset_of_its_image_per_channel():
    drawn = cut(texture(6), WINDOWS).view(2, 3, 3, 64, 64) * 0.5  # 2 clips of 3 frames
    colour = torch.tensor([[2.0, -1.0, 0.5, 0.1, -0.2, 0.3], [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]])
    assert torch.allclose(colour_fit(drawn, recolour(drawn, colour)), colour, atol=1e-4)


@pytest.mark.parametrize("option", [dict(clip_colour=True), dict(median_background=True, object_layers=1),
                                    dict(residual=True), dict(residual=True, median_background=True, object_layers=1)],
                         ids=["clip_colour", "median_background", "residual", "residual_over_an_object"])
def test_layer_flow_with_an_option_on_trains_and_samples(tmp_path, option):
    from conftest import SMALL
    from tinyt2v.pipeline import Pipeline
    from tinyt2v.train import TrainConfig, train

    kw = dict(SMALL["layer-flow"])
    kw["overrides"] = dict(kw["overrides"], **option)
    ck = train(TrainConfig(out=str(tmp_path / "run"), steps=2, batch_size=4, sample_every=None,
                           ckpt_every=None, **kw))
    video = Pipeline.from_pretrained(ck).generate(["a red circle moving left"], seed=0)
    assert video.shape == (1, 16, 64, 64, 3)


def write_clips(folder, frames: torch.Tensor, caption: str) -> str:
    """Clips (B, T, 3, H, W) in [-1, 1] as .mp4 files with captions: a --data videos: spec."""
    from tinyt2v.io import to_uint8, write_video

    folder.mkdir()
    for i, video in enumerate(to_uint8(frames)):
        write_video(folder / f"clip{i}.mp4", video)
        (folder / f"clip{i}.txt").write_text(caption)
    return f"videos:{folder}"


@pytest.mark.parametrize("set_it", [None, False])
def test_a_new_run_fits_each_clips_colours_when_its_clips_show_a_plain_background_and_not_a_picture(
        tmp_path, set_it):
    from conftest import SMALL
    from tinyt2v.run_state import fresh
    from tinyt2v.train import TrainConfig

    square = torch.zeros(4, 16, 3, 64, 64)
    square[..., 20:40, 20:40] = 1.0  # a light square over one dark colour, in each frame
    plain = write_clips(tmp_path / "plain", square - 0.6, "a square")
    photo = cut(texture(4), WINDOWS[:4])[:, None].expand(-1, 16, -1, -1, -1)
    picture = write_clips(tmp_path / "picture", photo, "a picture")
    letterboxed = write_clips(tmp_path / "letterboxed", F.pad(photo[..., 12:52, :], (0, 0, 12, 12), value=-1.0),
                              "a picture between black bars")
    kw = dict(SMALL["layer-flow"])
    if set_it is not None:  # what --set gives is kept
        kw["overrides"] = dict(kw["overrides"], clip_colour=set_it)
    read = {spec: fresh(TrainConfig(steps=1, data=spec, **kw)).model_config.clip_colour
            for spec in (plain, picture, letterboxed, None)}  # None: the world's clips, over one colour
    assert read == ({plain: True, picture: False, letterboxed: False, None: True} if set_it is None
                    else dict.fromkeys(read, set_it))


def views_of_photographs() -> tuple[torch.Tensor, torch.Tensor]:
    """Still 16-frame views (4, 16, 3, 64, 64) of four photograph-like textures, and the same
    with a magenta square crossing each view, 3 px a frame."""
    photo = cut(torch.cat([texture(1, seed) for seed in range(4)]), WINDOWS[:4])[:, None].expand(-1, 16, -1, -1, -1)
    moving = photo.clone()
    for t in range(16):
        moving[:, t, :, 20:32, 4 + 3 * t:16 + 3 * t] = torch.tensor([1.0, -1.0, 1.0])[:, None, None]
    return photo, moving


def test_a_new_run_takes_an_object_layer_when_something_moves_over_the_picture_and_a_residual_when_the_light_changes(
        tmp_path):
    from conftest import SMALL
    from tinyt2v.run_state import fresh
    from tinyt2v.train import TrainConfig

    photo, moving = views_of_photographs()
    plain = torch.full_like(moving, -0.6)
    plain[:, :, :, 20:32, 20:32] = 0.8  # a still square over one colour
    fading = (photo + 1) * torch.linspace(1.0, 0.5, 16)[None, :, None, None, None] - 1  # light scales pixels
    read = {}
    for name, clips in (("still picture", photo), ("picture, something moving over it", moving),
                        ("plain", plain), ("picture, its light fading", fading)):
        cfg = fresh(TrainConfig(steps=1, data=write_clips(tmp_path / name.replace(" ", "_").replace(",", ""), clips,
                                                          "a thing"), **SMALL["layer-flow"])).model_config
        read[name] = (cfg.object_layers, cfg.median_background, cfg.seed_frames, cfg.light_changes,
                      (cfg.residual, cfg.light_evened))
    alone, unlit, lit = (0, False, LayerFlowConfig.seed_frames), (False, False), (True, True)
    assert read == {"still picture": (*alone, False, unlit),
                    "picture, something moving over it": (1, True, 16, False, unlit),
                    "plain": (*alone, False, unlit), "picture, its light fading": (*alone, True, lit)}


def test_a_canvas_under_an_object_layer_has_half_the_images_each_sharper_and_the_coverage_bank_keeps_tinys():
    from tinyt2v.models.layer_flow import SHARPER, settings_from_clips

    photo, moving = views_of_photographs()
    preset = LayerFlowConfig(atlases=64)
    read = settings_from_clips(moving, preset)
    assert (read["atlases"], read["atlas_side"]) == (32, round(preset.atlas_side * SHARPER))
    assert "atlases" not in settings_from_clips(photo, preset)  # nothing moves over it: the preset's bank
    model = LayerFlow(LayerFlowConfig(object_layers=1, atlases=16, atlas_side=192), Vocab(["a", "view"]))
    assert model.atlas.images.shape == (16, 3, 192, 192)
    assert model.object.coverage.atlas.images.shape == (LayerFlowConfig.atlases, 3, 128, 128)


def test_reading_a_runs_first_clips_leaves_the_random_state_its_seed_gives_the_weights(tmp_path):
    from tinyt2v.run_state import first_clips
    from tinyt2v.train import TrainConfig
    from tinyt2v.world import get_world

    spec = write_clips(tmp_path / "clips", torch.zeros(2, 16, 3, 64, 64), "nothing")
    torch.manual_seed(0)
    state = torch.get_rng_state()
    clips = first_clips(TrainConfig(model="layer-flow", steps=1, data=spec), get_world("default"))
    assert clips.shape[0] == 32 and torch.equal(torch.get_rng_state(), state)


def test_a_caption_draws_from_the_image_likeliest_to_show_its_clips_not_one_two_subjects_share():
    bank = AtlasBank(LayerFlowConfig(atlases=4), 4)
    with torch.no_grad():  # the caption chooses image 0 most, image 1 next, 2 and 3 less than an even share
        bank.choose.weight.zero_()
        bank.choose.bias.copy_(torch.tensor([0.6, 0.3, 0.05, 0.05]).log())
        bank.use.copy_(torch.tensor([0.5, 0.1, 0.001, 0.399]))  # image 0 takes two subjects' clips
    caption = torch.zeros(1, 4)
    assert bank.pick(caption).item() == 0
    assert bank.pick(caption, by_lift=True).item() == 1  # 3 x its share, where image 0 has 1.2 x
    # image 2, chosen less than an even share of times, is never picked, however rarely used
    model = LayerFlow(LayerFlowConfig(object_layers=1), Vocab(["a", "view"]))
    assert model.object.coverage.cfg.image_by_lift and not model.cfg.image_by_lift
