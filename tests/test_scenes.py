"""Scenes: several objects per clip, each bound to its own words; their splits, captions and
the judge that reads every object."""
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from conftest import degrade
from tinyt2v.judge.scene import read_scene, score_scenes
from tinyt2v.world import PromptError, clip_batch, combos, get_world
from tinyt2v.world.scene_captions import parse_scene
from tinyt2v.world.scenes import GAP, Placed, SceneLayout, layout_scene, reserved
from tinyt2v.world.render import extent
from tinyt2v.world.splits import SCENE_SPLITS

WORLD = get_world("scenes")
ATTRS = ("shape", "color", "size", "motion")


def kinds(label):
    return Counter(tuple(o[a] for a in ATTRS) for o in label["objects"])


@pytest.fixture(scope="module")
def batches():
    return {split: clip_batch(WORLD, split, 60, seed=4) for split in SCENE_SPLITS}


def test_one_object_worlds_have_no_scene_splits():
    with pytest.raises(ValueError, match="no split 'binding'"):
        clip_batch(get_world("default"), "binding", 1)


def test_a_scene_holds_one_to_three_objects_differing_in_shape_or_colour_unless_counted(batches):
    seen = Counter()
    for label in batches["train"].labels + batches["test"].labels:
        objs = label["objects"]
        seen[len(objs)] += 1
        assert 1 <= len(objs) <= WORLD.objects
        pairs = {(o["shape"], o["color"]) for o in objs}
        if label["count"]:
            assert len(pairs) == 1 and len(objs) == label["count"] >= 2
            assert len({tuple(o[a] for a in ATTRS) for o in objs}) == 1
        else:
            assert len(pairs) == len(objs)
    assert set(seen) == {1, 2, 3}


def test_objects_keep_apart_in_every_frame():
    rng = np.random.default_rng(0)
    for _ in range(100):
        placed, _, _ = layout_scene(WORLD, "train", rng)
        ext = placed.radius[:, None] * extent(placed.shape)[:, None] * placed.scale
        for i in range(len(placed.shape)):
            for j in range(i + 1, len(placed.shape)):
                d = np.linalg.norm(placed.center[i] - placed.center[j], axis=-1)
                assert (d - ext[i] - ext[j] >= GAP * WORLD.px - 1e-9).all()


def test_binding_scenes_swap_assignments_that_train_scenes_never_show(batches):
    binding, _ = reserved(WORLD)
    train_pairs = {(c, s) for s, c, _, _ in combos(WORLD, "train")}
    train_sm = {(s, m) for s, _, _, m in combos(WORLD, "train")}
    for label in batches["binding"].labels:
        objs = label["objects"]
        assert len(objs) == 2
        assert frozenset((o["color"], o["shape"]) for o in objs) in binding
        assert all((o["color"], o["shape"]) in train_pairs and (o["shape"], o["motion"]) in train_sm
                   for o in objs)
    train = clip_batch(WORLD, "train", 400, seed=9).labels
    for label in train:
        have = {(o["color"], o["shape"]) for o in label["objects"]}
        assert not any(a <= have for a in binding)
    # the swap of each binding assignment is something train can show
    swaps = {frozenset({(c1, s2), (c2, s1)}) for (c1, s1), (c2, s2) in (sorted(a) for a in binding)}
    assert not swaps & binding


def test_count_scenes_show_kinds_at_counts_train_never_does(batches):
    _, counted = reserved(WORLD)
    for label in batches["count"].labels:
        o = label["objects"][0]
        assert (o["shape"], o["color"], label["count"]) in counted
    for label in clip_batch(WORLD, "train", 400, seed=9).labels:
        if label["count"]:
            o = label["objects"][0]
            assert (o["shape"], o["color"], label["count"]) not in counted


def test_heldout_scenes_hold_an_object_training_never_shows(batches):
    held = set(combos(WORLD, "heldout"))
    for label in batches["heldout"].labels:
        assert any(tuple(o[a] for a in ATTRS) in held for o in label["objects"])


@pytest.mark.parametrize("split", SCENE_SPLITS)
def test_every_scene_caption_reads_back_to_its_objects(batches, split):
    for caption, label in zip(batches[split].captions, batches[split].labels):
        read = Counter()
        for obj, n in parse_scene(caption):
            read[tuple(obj[a] for a in ATTRS)] += n
        assert read == kinds(label), caption


@pytest.mark.parametrize("prompt, want", [
    ("a red circle moving left and a small blue square rising",
     {("circle", "red", None, "left"): 1, ("square", "blue", "small", "up"): 1}),
    ("two green stars falling", {("star", "green", None, "down"): 2}),
    ("a big purple cross spinning clockwise, a yellow triangle going right",
     {("cross", "purple", "large", "rotate_cw"): 1, ("triangle", "yellow", None, "right"): 1}),
    ("a red circle moving up and to the left", {("circle", "red", None, "up_left"): 1}),
    ("moving down, a blue box", {("square", "blue", None, "down"): 1}),
    ("three small crosses bouncing up and down while a star is standing still",
     {("cross", None, "small", "bounce_vertical"): 3, ("star", None, None, "still"): 1}),
])
def test_scene_prompts_as_people_write_them(prompt, want):
    got = Counter()
    for obj, n in parse_scene(prompt):
        got[tuple(obj[a] for a in ATTRS)] += n
    assert got == Counter(want)


def test_a_number_inside_a_word_is_not_a_count():
    assert [n for _, n in parse_scene("a three-sided shape and a circle")] == [1, 1]


def test_a_plural_without_a_number_still_starts_its_own_object():
    assert [obj["color"] for obj, _ in parse_scene("red circles moving up and a blue square")] == ["red", "blue"]


def test_every_word_of_a_training_scene_is_in_the_vocabulary():
    from tinyt2v.text import words
    from tinyt2v.world import training_words
    known = set(training_words(WORLD))
    captions = clip_batch(WORLD, "train", 300, seed=2).captions
    assert not {w for c in captions for w in words(c)} - known
    assert {"two", "three", "circles", "while"} <= known


def test_the_binding_split_is_the_same_in_every_process():
    """Reserved assignments are sets; their order must not follow Python's hash seed."""
    import os
    import subprocess
    import sys
    code = ("from tinyt2v.world import get_world, clip_batch; "
            "print(clip_batch(get_world('scenes'), 'binding', 8, seed=0).captions)")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONHASHSEED=h)).stdout for h in ("1", "2")}
    assert len(outs) == 1 and "[" in outs.pop()


def test_a_contradictory_object_is_refused_naming_the_problem():
    with pytest.raises(PromptError, match="two colors: red and blue"):
        parse_scene("a red blue circle and a green square")


def test_layers_drawn_on_a_torch_device_match_numpy():
    rng = np.random.default_rng(3)
    scenes = [layout_scene(WORLD, "train", rng) for _ in range(6)]
    bg = np.full((6, 64, 64, 3), 255, np.uint8)
    layout = SceneLayout([p for p, _, _ in scenes], bg, [c for _, c, _ in scenes], [lab for _, _, lab in scenes])
    on_cpu = layout.draw().video
    on_torch = layout.draw("cpu").video.numpy()
    assert np.abs(on_cpu.astype(int) - on_torch).max() <= 1


# -- the judge


@pytest.mark.parametrize("split", SCENE_SPLITS)
def test_judge_reads_every_object_of_every_split(batches, split):
    b = batches[split]
    report = score_scenes((read_scene(v), lab) for v, lab in zip(b.video, b.labels))
    assert report["all_correct"] == 1.0 and report["count_correct"] == 1.0


def test_judge_reads_scenes_through_noise_and_blur(batches):
    b = batches["test"]
    report = score_scenes((read_scene(degrade(v, seed=i)), lab)
                          for i, (v, lab) in enumerate(zip(b.video[:30], b.labels[:30])))
    assert report["all_correct"] >= 29 / 30


def _two_objects(batch):
    return next(i for i, lab in enumerate(batch.labels)
                if len(lab["objects"]) == 2 and not lab["count"]
                and lab["objects"][0]["color"] != lab["objects"][1]["color"]
                and lab["objects"][0]["shape"] != lab["objects"][1]["shape"])


def test_right_attributes_on_the_wrong_objects_are_binding_errors(batches):
    b = batches["binding"]
    i = _two_objects(b)
    a, c = b.labels[i]["objects"]
    swapped = dict(objects=[dict(a, color=c["color"]), dict(c, color=a["color"])], count=None)
    report = score_scenes([(read_scene(b.video[i]), swapped)])
    assert report["all_correct"] == 0 and report["binding_errors"] == 1
    assert report["accuracy"]["shape"] == 1 and report["count_correct"] == 1


def test_an_object_too_many_or_too_few_is_wrong(batches):
    b = batches["test"]
    i = _two_objects(b)
    one = dict(objects=b.labels[i]["objects"][:1], count=None)
    report = score_scenes([(read_scene(b.video[i]), one)])
    assert report["all_correct"] == 0 and report["count_correct"] == 0 and report["binding_errors"] == 0


def test_judge_follows_two_objects_that_pass_close_by():
    """A crossing path: two circles on the same row head for each other and pass 1 row apart
    at GAP px, outline to outline; each keeps its own colour and motion."""
    t = WORLD.frames
    xs = np.linspace(12, 52, t)
    r = 6.0
    y1, y2 = 32 - (r + GAP / 2), 32 + (r + GAP / 2)
    center = np.stack([np.stack([xs, np.full(t, y1)], -1), np.stack([xs[::-1], np.full(t, y2)], -1)])
    placed = Placed(np.array([0, 0]), np.array([[215, 25, 35], [30, 60, 230]], np.uint8),
                    np.array([r, r]), center, np.ones((2, t)), np.zeros((2, t)))
    video = SceneLayout([placed], np.full((1, 64, 64, 3), 255, np.uint8), ["x"], [{}]).draw().video[0]
    reading = read_scene(video)
    assert reading.readable and len(reading.objects) == 2
    seen = {(o.color, o.motion) for o in reading.objects}
    assert seen == {("red", "right"), ("blue", "left")}


def test_the_judge_command_scores_an_exported_scenes_split(tmp_path):
    from typer.testing import CliRunner

    from tinyt2v.cli import app
    runner = CliRunner()
    out = tmp_path / "binding"
    assert runner.invoke(app, ["data", "export", "--world", "scenes", "--split", "binding", "--n", "4",
                               "--out", str(out)]).exit_code == 0
    folder = runner.invoke(app, ["judge", str(out)])
    assert folder.exit_code == 0 and "all correct: 100.0%" in folder.output
    assert "binding errors (right values on the wrong objects): 0" in folder.output
    one = runner.invoke(app, ["judge", str(out / "clip_000000.mp4")])
    assert one.exit_code == 0 and one.output.count(" + ") == 1  # two objects, each read


def test_a_scenes_world_with_texture_lays_textured_backgrounds_as_the_one_object_world_does():
    from tinyt2v.world.sample import layout_block

    for name in ("default", "scenes"):
        plain = layout_block(get_world(name), "train", seed=0, block=0).background
        rough = layout_block(replace(get_world(name), texture=0.2), "train", seed=0, block=0).background
        assert plain.reshape(len(plain), -1, 3).std(1).max() == 0
        assert rough.reshape(len(rough), -1, 3).std(1).min() > 10, name
