"""The world: what clips look like, how they are captioned and split."""
import colorsys
import re

import numpy as np
import pytest
import torch

from tinyt2v.world import (
    COLORS,
    MOTIONS,
    SHAPES,
    SIZES,
    PromptError,
    clip_batch,
    clips,
    combos,
    get_world,
    heldout_pairs,
    parse_prompt,
)
from tinyt2v.world.captions import (
    COLOR_WORDS,
    FRAMES,
    FUNCTION_WORDS,
    OBJECTS,
    SHAPE_WORDS,
    SIZE_WORDS,
    SPEED_WORDS,
    motion_phrases,
    vocabulary,
)
from tinyt2v.world.export import export
from tinyt2v.world.splits import SPLITS


def test_world_has_the_promised_variety():
    assert len(SHAPES) >= 6 and len(COLORS) >= 8 and len(MOTIONS) >= 16
    ranges = sorted(SIZES.values())
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:])), "size ranges overlap"
    rgb = np.array(list(COLORS.values()), float)
    d = np.linalg.norm(rgb[:, None] - rgb[None], axis=-1) + np.eye(len(rgb)) * 1e9
    assert d.min() > 80, "two colours are too close to tell apart"


# Where each chromatic colour name sits on the HSV colour wheel, in degrees (0 red, 60 yellow,
# 120 green, 180 cyan, 240 blue, 300 magenta; purple between violet 270 and magenta), from colour
# science rather than from the world's table: so red's red channel dominates, yellow is red +
# green with little blue, and a palette that draws "red" in blue fails here. Black has no hue.
HUES = {"red": 0, "orange": 30, "yellow": 60, "green": 120, "cyan": 180, "blue": 240, "purple": 285}
HUE_TOLERANCE = 15  # degrees: half the gap between the closest names, orange and yellow


def _drawn_rgb(video: np.ndarray) -> np.ndarray:
    """The colour a clip's object is drawn in: its most common non-background pixel, which is the
    fully covered interior (edges blend into the white background)."""
    pixels = video.reshape(-1, 3)
    drawn = pixels[(pixels != 255).any(-1)]
    values, counts = np.unique(drawn, axis=0, return_counts=True)
    return values[counts.argmax()]


@pytest.mark.parametrize("name", list(COLORS))
def test_each_colour_name_is_drawn_in_its_hue(name):
    only = get_world("default", shapes=("square",), colors=(name,), sizes=("large",),
                     motions=("still",), heldout_fraction=0.0)
    batch = clip_batch(only, "train", 1)
    assert batch.labels[0]["color"] == name
    hue, saturation, value = colorsys.rgb_to_hsv(*_drawn_rgb(batch.video[0]) / 255)
    if name == "black":
        assert value < 0.2
        return
    assert name in HUES, f"say where {name!r} sits on the colour wheel"
    off = (hue * 360 - HUES[name] + 180) % 360 - 180  # signed, so red at 357 is 3 off
    assert abs(off) < HUE_TOLERANCE, f"{name} is drawn {off:.0f} degrees off its hue"
    assert saturation > 0.6 and value > 0.5, f"{name} is drawn greyish or dark"


def test_default_clip_is_16_frames_of_64x64_on_white(world):
    b = clip_batch(world, "train", 8, seed=0)
    assert b.video.shape == (8, 16, 64, 64, 3) and b.video.dtype == np.uint8
    corners = b.video[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners == 255).all()


def test_same_seed_same_bytes_whatever_the_batch_size(world):
    a = clip_batch(world, "train", 100, seed=7)
    b = np.concatenate([x.video for x in clips(world, "train", 100, seed=7, batch_size=13)])
    c = np.concatenate([x.video for x in clips(world, "train", 100, seed=7, batch_size=50, workers=2)])
    assert np.array_equal(a.video, b) and np.array_equal(a.video, c)
    assert not np.array_equal(a.video, clip_batch(world, "train", 100, seed=8).video)


def test_clips_drawn_with_torch_on_a_device_match_numpy_within_one_level(world):
    """The renderer a GPU uses gives today's clips (same layout, float rounding apart)."""
    a = clip_batch(world, "train", 64, seed=5)
    b = next(clips(world, "train", 64, seed=5, batch_size=64, device=torch.device("cpu")))
    assert isinstance(b.video, torch.Tensor) and b.video.dtype == torch.uint8
    assert {lab["shape"] for lab in a.labels} == set(SHAPES)  # every SDF is compared
    diff = np.abs(a.video.astype(int) - b.video.numpy().astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-4
    assert b.captions == a.captions and b.labels == a.labels
    # laid out in worker processes, the same clips
    c = torch.cat([x.video for x in clips(world, "train", 64, seed=5, batch_size=16,
                                           device=torch.device("cpu"), workers=2)])
    assert torch.equal(c, b.video)


def test_a_rank_takes_every_kth_batch_of_the_one_stream(world):
    full = list(clips(world, "train", 96, seed=2, batch_size=8))
    mine = list(clips(world, "train", 96, seed=2, batch_size=8, shard=(1, 3)))
    assert len(mine) == 4
    assert all(np.array_equal(a.video, b.video) for a, b in zip(full[1::3], mine))


def test_stream_can_start_mid_way(world):
    full = clip_batch(world, "test", 150, seed=3)
    tail = np.concatenate([x.video for x in clips(world, "test", 50, seed=3, start=100)])
    assert np.array_equal(full.video[100:], tail)


def test_object_stays_wholly_in_frame_by_default(world):
    v = clip_batch(world, "train", 300, seed=1).video
    border = np.concatenate([v[:, :, 0], v[:, :, -1], v[:, :, :, 0], v[:, :, :, -1]], axis=2)
    assert (border == 255).all()


def test_partly_out_of_frame_is_an_option():
    v = clip_batch(get_world("default", in_frame=False), "train", 300, seed=1).video
    border = np.concatenate([v[:, :, 0], v[:, :, -1], v[:, :, :, 0], v[:, :, :, -1]], axis=2)
    assert (border != 255).any()


def test_edges_are_anti_aliased(world):
    v = clip_batch(world, "train", 20, seed=0).video
    # pixels part-way between white and the object's colour exist along every edge
    frame = v[0, 0].astype(int)
    colour = np.array(list(COLORS.values()))
    pure = (frame == 255).all(-1) | (frame[:, :, None] == colour[None, None]).all(-1).any(-1)
    assert (~pure).sum() > 5


def test_background_and_frames_are_configurable():
    cfg = get_world("default", frames=8, height=32, width=48, background=(200, 220, 255))
    v = clip_batch(cfg, "train", 4).video
    assert v.shape == (4, 8, 32, 48, 3)
    assert (v[:, :, 0, 0] == (200, 220, 255)).all()
    textured = clip_batch(get_world("default", texture=0.05), "train", 2).video
    assert len(np.unique(textured[0, 0, :8, :8].reshape(-1, 3), axis=0)) > 5


def test_a_circle_is_never_asked_to_rotate(world):
    for split in ("train", "heldout"):
        assert not any(s == "circle" and m.startswith("rotate") for s, _, _, m in combos(world, split))


def test_seed_preset_is_the_tutorials_world_drawn_every_frame():
    seed = get_world("seed")
    b = clip_batch(seed, "train", 64)
    assert b.video.shape[1:] == (10, 64, 64, 3)
    assert set(b.captions) <= {p for p, _ in seed.prompts} and len(seed.prompts) == 18
    assert "circle moving up-right" not in b.captions
    drawn = (b.video != 255).any(-1).sum((2, 3))  # object pixels per frame
    assert (drawn > 20).all(), "every frame shows the circle"
    blue = np.array(COLORS["blue"])
    assert (np.abs(b.video.reshape(-1, 3) - blue).sum(-1) == 0).any()
    held = clip_batch(seed, "heldout", 4)
    assert set(held.captions) == {"circle moving up-right"}


@pytest.mark.parametrize("split", SPLITS)
def test_every_caption_parses_back_to_its_label(world, split):
    b = clip_batch(world, split, 300, seed=2)
    for caption, label in zip(b.captions, b.labels):
        parsed = parse_prompt(caption)
        for key in ("shape", "color", "size", "motion"):
            assert parsed[key] == label[key], (caption, key)
        assert parsed["speed"] in (None, label["speed"]), caption


def test_parse_prompt_names_the_words_it_does_not_know():
    assert parse_prompt("a small red circle moving up-right") == dict(
        shape="circle", color="red", size="small", motion="up_right", speed=None)
    assert parse_prompt("Red ball sliding toward the upper right, quickly!")["motion"] == "up_right"
    with pytest.raises(PromptError) as e:
        parse_prompt("a small red circle moonwalking gracefully")
    assert e.value.words == ("moonwalking", "gracefully")
    with pytest.raises(PromptError):
        parse_prompt("   ")
    with pytest.raises(PromptError, match="two shapes"):
        parse_prompt("a circle and a square")


@pytest.mark.parametrize("prompt, motion", [
    ("a star travelling downwards", "down"),
    ("a box heading down and to the left", "down_left"),
    ("the cross moves toward the top left corner", "up_left"),
    ("a disc that moves diagonally down-right", "down_right"),
    ("a triangle floating to the left", "left"),
    ("a red square heading northeast", "up_right"),
    ("a blue circle going in a downward direction", "down"),
])
def test_parse_reads_directions_however_they_are_phrased(prompt, motion):
    assert parse_prompt(prompt)["motion"] == motion


def test_heldout_pairs_are_never_in_train_and_include_the_tutorials_test(world):
    sm, cs = heldout_pairs(world)
    assert ("circle", "up_right") in sm
    n_sm = sum(1 for s in world.shapes for m in world.motions if not (s == "circle" and m.startswith("rotate")))
    assert len(sm) >= 0.1 * n_sm and len(cs) >= 0.1 * len(world.shapes) * len(world.colors)
    train = combos(world, "train")
    assert not any((s, m) in sm or (c, s) in cs for s, c, _, m in train)
    assert all((s, m) in sm or (c, s) in cs for s, c, _, m in combos(world, "heldout"))
    # every shape, colour and motion is still trained on
    assert {s for s, *_ in train} == set(world.shapes)
    assert {c for _, c, *_ in train} == set(world.colors)
    assert {m for *_, m in train} == set(world.motions)


def test_every_paraphrase_wording_has_a_content_word_training_never_says():
    unseen = vocabulary("paraphrase") - vocabulary("train") - FUNCTION_WORDS
    tables = (SHAPE_WORDS, COLOR_WORDS, SIZE_WORDS, SPEED_WORDS)
    phrases = [p for t in tables for _, para in t.values() for p in para]
    phrases += [p for m in MOTIONS for p in motion_phrases(m, "paraphrase")]
    phrases += [re.sub(r"\{\w+\}", " ", f) for f in FRAMES["paraphrase"]]
    for phrase in phrases:
        assert set(re.findall(r"[a-z]+", phrase)) & unseen, phrase


def test_freeform_says_only_training_words_in_frames_training_never_uses(world):
    assert vocabulary("freeform") <= vocabulary("train")
    assert not set(FRAMES["freeform"]) & set(FRAMES["train"])
    assert not set(OBJECTS["freeform"]) & set(OBJECTS["train"])
    train = {c.lower().rstrip(".") for c in clip_batch(world, "train", 2000, seed=4).captions}
    freeform = [c.lower().rstrip(".") for c in clip_batch(world, "freeform", 300, seed=4).captions]
    assert not train & set(freeform)


def test_training_captions_vary_their_wording(world):
    captions = clip_batch(world, "train", 1000, seed=5).captions
    assert len(set(captions)) > 950
    assert len({c.split()[-1] for c in captions}) > 40  # many endings: verbs, directions, adverbs


def test_export_writes_clips_and_both_manifests(tmp_path, world):
    export(world, "heldout", 3, tmp_path / "mp4", seed=0, fmt="mp4")
    rows = (tmp_path / "mp4" / "manifest.jsonl").read_text().splitlines()
    assert len(rows) == 3 and all((tmp_path / "mp4" / f"clip_00000{i}.mp4").stat().st_size > 0 for i in range(3))
    import json
    row = json.loads(rows[0])
    assert {"path", "caption", "shape", "color", "size", "motion"} <= set(row)
    csv = (tmp_path / "mp4" / "manifest.csv").read_text().splitlines()
    assert csv[0] == "path,text,num_frames,height,width" and csv[1].endswith(",16,64,64")
    export(world, "train", 2, tmp_path / "png", fmt="png")
    assert (tmp_path / "png" / "video_1" / "frame_15.png").exists()
    assert (tmp_path / "png" / "video_1" / "prompt.txt").read_text().strip()
