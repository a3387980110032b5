"""sprite-flow: the pose track is measured exactly from pixels, rendering and measuring agree,
the prior's velocity code round-trips, and the model really learns (overfit check)."""
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from training_runs import sprite_flow_learns_16_prompts
from tinyt2v.models import build_model, model_config
from tinyt2v.models.sprites import EDGE, into_frame, reach, render
from tinyt2v.models.tracks import latent_to_track, measure_track, track_to_latent
from tinyt2v.text import Vocab
from tinyt2v.world import training_words
from tinyt2v.io import to_tensor
from tinyt2v.world import clip_batch, get_world
from tinyt2v.world.attributes import SPEEDS


def test_track_measured_from_pixels_matches_the_world_labels():
    batch = clip_batch(get_world("default"), "test", 64, seed=3)
    track, bg = measure_track(to_tensor(batch.video), ref_radius=8.0)
    x_px = (track[:, 0, 0] + 1) * 32
    y_px = (track[:, 0, 1] + 1) * 32
    # the label radius is the clip's middle one: growth is exponential about the middle frame
    radius = 8.0 * track[:, :, 2].mean(1).exp()
    assert np.allclose(x_px, [lab["start_x"] for lab in batch.labels], atol=0.1)
    assert np.allclose(y_px, [lab["start_y"] for lab in batch.labels], atol=0.1)
    assert np.allclose(radius, [lab["radius"] for lab in batch.labels], atol=0.1)
    assert torch.allclose(bg, torch.ones(64, 3))  # white


def test_turn_measured_from_pixels_matches_the_world_spin():
    world = replace(get_world("default"), motions=("rotate_cw", "rotate_ccw", "up_left", "grow"))
    batch = clip_batch(world, "test", 64, seed=4)
    track, _ = measure_track(to_tensor(batch.video), ref_radius=8.0)
    direction = {"rotate_cw": 1, "rotate_ccw": -1, "up_left": 0, "grow": 0}
    expected = [direction[lab["motion"]] * SPEEDS[lab["speed"]].spin * 15 for lab in batch.labels]
    assert {lab["motion"] for lab in batch.labels} == set(direction)
    assert np.allclose(torch.rad2deg(track[:, -1, 3]).numpy(), expected, atol=1.0)  # degrees after 15 frames
    assert (track[:, 0, 3] == 0).all()


def test_render_puts_the_sprite_where_the_track_says():
    yy, xx = torch.meshgrid(torch.arange(32) + 0.5, torch.arange(32) + 0.5, indexing="ij")
    disk = (((xx - 16) ** 2 + (yy - 16) ** 2) < 8 ** 2).float()  # radius 8 at scale 1
    sprite = torch.stack([-disk, -disk, -disk, disk])[None].repeat(3, 1, 1, 1)  # black disk
    pose = torch.tensor([[-0.5, 0.25, 0.0], [0.3, -0.4, np.log(0.75)], [0.0, 0.0, np.log(1.1)]],
                        dtype=torch.float32)
    frames = render(sprite, pose, torch.zeros(3), torch.ones(3, 3), 64, 64, extent=0.5)
    track, _ = measure_track(frames[:, None], ref_radius=8.0)
    assert torch.allclose(track[:, 0, :2], pose[:, :2], atol=0.01)
    assert torch.allclose(track[:, 0, 2], pose[:, 2], atol=0.05)


def test_render_turns_the_sprite_by_the_angle_the_measure_reads():
    yy, xx = torch.meshgrid(torch.arange(32) + 0.5, torch.arange(32) + 0.5, indexing="ij")
    box = (((xx - 16).abs() < 7) & ((yy - 16).abs() < 7)).float()  # a square: 4-fold
    sprite = torch.stack([-box, -box, -box, box])[None].repeat(6, 1, 1, 1)
    angles = torch.deg2rad(torch.tensor([0.0, 10, 20, 30, 40, 50]))  # clockwise on screen
    frames = render(sprite, torch.zeros(6, 3), angles, torch.ones(6, 3), 64, 64, extent=0.5)
    track, _ = measure_track(frames[None], ref_radius=8.0)  # one clip of 6 frames
    assert torch.allclose(torch.rad2deg(track[0, :, 3]), torch.rad2deg(angles), atol=1.0)


def test_the_prior_works_in_velocities_that_round_trip_to_the_track():
    track = torch.randn(5, 16, 4)
    track[:, 0, 3] = 0  # angles count from the first frame
    latent = track_to_latent(track)
    assert latent.shape == (5, 63)
    assert torch.allclose(latent_to_track(latent, 16), track, atol=1e-5)


def test_a_sprites_reach_is_its_furthest_solid_pixel():
    s = 32
    sprites = torch.zeros(2, 4, s, s)
    sprites[0, 3, s // 2, s // 2] = 1.0  # the centre ...
    sprites[0, 3, s // 2 + 10, s // 2] = 1.0  # ... and one pixel 10 rows below it
    sprites[0, 3, 0, 0] = 0.2  # a faint corner pixel does not count
    assert reach(sprites)[0] == pytest.approx((10.5 ** 2 + 0.5 ** 2) ** 0.5) and reach(sprites)[1] == 0


def test_into_frame_moves_a_track_just_inside_the_frame_and_keeps_its_motion():
    """In 64 px frames: a 4 px object that starts 2 px from the left edge and moves right is
    shifted right until it clears the edge by EDGE; one at twice the scale needs twice the
    room; one wholly inside is left alone; a path longer than the frame is centred."""
    h = w = 64
    t = torch.arange(16.0)
    track = torch.zeros(4, 16, 4)
    track[:, :, 0] = (2 + t) / (w / 2) - 1  # x px 2 .. 17, moving right
    track[1, :, 2] = math.log(2)  # clip 1 at twice the scale
    track[2, :, 0] += 30 / (w / 2)  # clip 2: x px 32 .. 47
    track[3, :, 0] = (t * 8 - 28) / (w / 2)  # clip 3: x px 4 .. 124, longer than the frame
    track[:, :, 1] = 0.3 * t[None] / 16  # moving down a little, well inside
    moved = into_frame(track, torch.full((4,), 4.0), h, w)
    left = (moved[:, :, 0] + 1) * w / 2  # px
    assert left[0, 0] == pytest.approx(4 + EDGE) and left[1, 0] == pytest.approx(8 + EDGE)
    assert torch.allclose(moved[2], track[2])
    assert (left[3, 0] + left[3, -1]) / 2 == pytest.approx(w / 2)
    assert torch.allclose(moved.diff(dim=1), track.diff(dim=1), atol=1e-6)  # the same motion
    assert torch.allclose(moved[..., 1:], track[..., 1:])  # down and scale untouched


def test_one_sprite_and_one_track_per_clip():
    world = get_world("default")
    model = build_model("sprite-flow", model_config("sprite-flow", "tiny"),
                        Vocab(training_words(world))).eval()
    out = model.generate(["a small red star moving up", "a big blue square rotating clockwise"],
                         torch.Generator().manual_seed(0), frames=9)
    assert out.shape == (2, 9, 3, 64, 64) and torch.isfinite(out).all()
    again = model.generate(["a small red star moving up", "a big blue square rotating clockwise"],
                           torch.Generator().manual_seed(0), frames=9)
    assert torch.equal(out, again)


@pytest.mark.timeout(1200)  # 7-10 CPU-minutes on a busy machine's slower kernel paths
def test_tiny_model_learns_a_handful_of_prompts(tmp_path):
    """1,200 steps on 16 prompts must read back well above what a model with any
    one attribute at chance could reach (tests/training_runs.py)."""
    m = sprite_flow_learns_16_prompts(tmp_path)
    print(f"overfit all-correct: {m.value:.3f}")
    assert m.holds, m
