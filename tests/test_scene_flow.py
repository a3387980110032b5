"""scene-flow: objects measured from pixels, slots matched to them, prompts it must refuse."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from conftest import small_model
from tinyt2v.io import to_tensor
from tinyt2v.models.objects import object_coverage, split_objects
from tinyt2v.models.scene_flow import motion_summary
from tinyt2v.models.sprite_flow import backgrounds, colour_distance, track_of
from tinyt2v.world import clip_batch, get_world


def measured(video: torch.Tensor, slots: int = 3):
    bg = backgrounds(video)
    dist = colour_distance(video, bg)
    index, present = split_objects(video, dist, slots)
    coverage = object_coverage(dist, index, slots)
    b, t = video.shape[:2]
    return index, present, track_of(coverage.flatten(0, 1), 8.0).view(b, slots, t, 4)


def test_each_object_of_a_scene_is_found_where_it_starts_and_followed_to_where_it_ends():
    batch = clip_batch(get_world("scenes"), "train", 48, seed=3)
    video = to_tensor(batch.video)
    _, present, track = measured(video)
    h = video.shape[-1]
    for i, label in enumerate(batch.labels):
        objs = label["objects"]
        assert present[i].sum() == len(objs)
        start = (track[i, :len(objs), 0, :2].numpy() + 1) * h / 2  # frame coordinates -> px
        want = np.array([[o["start_x"], o["start_y"]] for o in objs])
        # objects are numbered by first appearance, not label order: pair each with the nearest
        assert np.abs(start[:, None] - want[None]).sum(-1).min(0).max() < 1.5


def test_two_objects_passing_close_keep_their_own_tracks():
    """Circles of two colours, one going right and one left, pass each other as close as 4 px:
    the linking must not swap them where they are closest."""
    world = replace(get_world("scenes"), shapes=("circle",), sizes=("medium",), speeds=("fast",),
                    motions=("left", "right"), heldout_fraction=0.0)
    batch = clip_batch(world, "train", 200, seed=0)
    pick = [i for i, lab in enumerate(batch.labels) if len(lab["objects"]) == 2
            and {o["motion"] for o in lab["objects"]} == {"left", "right"}]
    assert pick, "no such scene in the batch"
    _, _, track = measured(to_tensor(batch.video[pick]))
    steps = track[:, :2, 1:, 0] - track[:, :2, :-1, 0]  # x changes per frame
    # every object keeps one direction of travel through the whole clip
    assert ((steps > 0).all(-1) | (steps < 0).all(-1)).all()


def test_a_clip_with_more_objects_than_slots_keeps_the_largest():
    batch = clip_batch(get_world("scenes"), "train", 64, seed=5)
    three = [i for i, lab in enumerate(batch.labels) if len(lab["objects"]) == 3][:4]
    index, present, _ = measured(to_tensor(batch.video[three]), slots=2)
    assert present.all() and index.max() == 1


def test_slots_take_the_objects_their_sprites_and_motions_look_like():
    """Sprites equal to the cut-outs in another order, motions equal to the measured ones in
    that order: matching must find it."""
    torch.manual_seed(0)
    world, model = small_model("scene-flow")
    batch = clip_batch(world, "train", 64, seed=2)
    keep = [i for i, lab in enumerate(batch.labels)  # three different objects (no counted group)
            if len(lab["objects"]) == 3 and lab["count"] is None][:5]
    video = to_tensor(batch.video[keep])
    index, present, track = measured(video)
    bgs = backgrounds(video)
    cutouts = model.cutouts(video, index, track, bgs)  # (B, 3, 3, S, S)
    order = torch.tensor([2, 0, 1])  # slot k draws object order[k]
    sprites = torch.cat([cutouts[:, order], torch.ones_like(cutouts[:, :, :1])], 2)  # opaque
    logits = torch.full(present.shape, 5.0)
    got = model.match(sprites, logits, motion_summary(track)[:, order], cutouts, motion_summary(track),
                      present, bgs[:, 0])
    assert (got == order).all(), got


def test_a_scene_model_refuses_more_objects_than_it_has_slots_and_contradictions(tmp_path):
    from tinyt2v.pipeline import Pipeline
    from tinyt2v.train import TrainConfig, train
    from conftest import SMALL

    ck = train(TrainConfig(out=str(tmp_path / "run"), steps=1, batch_size=2, sample_every=None,
                           ckpt_every=None, **SMALL["scene-flow"]))
    pipe = Pipeline.from_pretrained(ck)
    assert pipe.max_objects == 3
    pipe.check("a red circle moving left and a blue square moving down")
    pipe.check("three green stars falling")
    with pytest.raises(ValueError, match="at most 3 objects.*names 4 objects"):
        pipe.check("a red circle moving left and three blue squares moving down")
    with pytest.raises(ValueError, match="contradicts itself.*two colors: red and blue"):
        pipe.check("a red blue circle moving left and a green square")
    clip = pipe("a red circle moving left and a blue square moving down")
    assert clip.frames.shape == (16, 64, 64, 3)


def test_a_one_object_model_still_refuses_two_objects():
    from tinyt2v.pipeline import Pipeline

    pipe = Pipeline.from_pretrained()
    with pytest.raises(ValueError, match="one object per clip"):
        pipe.check("two red circles moving left")
