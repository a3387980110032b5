"""The judge: reads shape, colour, size and motion from pixels, or says it cannot."""
import ast
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import degrade

import tinyt2v.judge
from tinyt2v.io import read_video, write_video
from tinyt2v.judge import describe_verdict, judge_prompt, read_clip, score
from tinyt2v.judge.definitions import COLOR_NAMES, SIZE_SPLITS
from tinyt2v.judge.read import classify_color, classify_size
from tinyt2v.world import COLORS, MOTIONS, SHAPES, SIZES, clip_batch, get_world
from tinyt2v.world.attributes import DIRECTIONS

ATTRS = ("shape", "color", "size", "motion")


def clip_of(shape, color, size, motion, seed=0):
    """A clean clip (T, H, W, 3) showing exactly these attributes, sampled and drawn by the world."""
    only = get_world("default", shapes=(shape,), colors=(color,), sizes=(size,), motions=(motion,),
                     heldout_fraction=0.0)
    return clip_batch(only, "train", 1, seed=seed).video[0]


def all_correct(batch, transform=lambda v: v):
    return np.mean([all(getattr(r, k) == lab[k] for k in ATTRS)
                    for r, lab in ((read_clip(transform(v)), lab) for v, lab in zip(batch.video, batch.labels))])


@pytest.mark.parametrize("split", ["train", "test", "heldout", "paraphrase"])
def test_judge_reads_world_clips_exactly(world, split):
    assert all_correct(clip_batch(world, split, 200, seed=11)) >= 0.99


def test_judge_reads_the_seed_world(world):
    seed = get_world("seed")
    assert all_correct(clip_batch(seed, "train", 100)) >= 0.99
    assert all_correct(clip_batch(seed, "heldout", 20)) == 1.0


def test_judge_survives_noise_and_blur(world):
    batch = clip_batch(world, "test", 200, seed=12)
    assert all_correct(batch, degrade) >= 0.97


def test_judge_reads_each_motion_and_shape(world):
    batch = clip_batch(world, "train", 600, seed=5)
    seen = {}
    for v, lab in zip(batch.video, batch.labels):
        r = read_clip(v)
        seen.setdefault(lab["motion"], []).append(r.motion == lab["motion"])
        seen.setdefault(lab["shape"], []).append(r.shape == lab["shape"])
    assert set(seen) == set(MOTIONS) | set(SHAPES)
    assert all(np.mean(v) >= 0.95 for v in seen.values()), {k: np.mean(v) for k, v in seen.items()}


def test_a_still_circle_reads_as_still():
    batch = clip_batch(get_world("default", shapes=("circle",), motions=("still",)), "train", 5)
    assert {read_clip(v).motion for v in batch.video} == {"still"}


def test_frames_with_nothing_drawn_are_unreadable(world):
    v = clip_batch(world, "train", 1).video[0].copy()
    assert read_clip(v).readable
    v[3] = 255  # the tutorial's bug: a frame with no circle
    r = read_clip(v)
    assert not r.readable and "empty" in r.why and r.shape is None
    assert not read_clip(np.full((10, 64, 64, 3), 255, np.uint8)).readable


def test_two_objects_are_unreadable(world):
    a, b = clip_batch(world, "train", 2, seed=3).video
    both = np.minimum(a, np.roll(b, 32, axis=2))  # a second object half a frame away
    r = read_clip(both)
    assert not r.readable and "more than one" in r.why


def test_per_frame_noise_is_caught_by_temporal_consistency(world):
    batch = clip_batch(world, "train", 16, seed=6)
    real = read_clip(batch.video[0]).temporal["overall"]
    shuffled = batch.video[np.arange(16), np.arange(16) % 16]  # each frame from another clip
    fake = read_clip(shuffled).temporal["overall"]
    assert real == 1.0 and fake < 0.8


def test_judge_reads_mp4_and_gif_files(tmp_path, world):
    batch = clip_batch(world, "test", 20, seed=9)
    for ext in ("mp4", "gif"):
        paths = [write_video(tmp_path / f"c{i}.{ext}", v) for i, v in enumerate(batch.video)]
        assert np.mean([all(getattr(read_clip(read_video(p)), k) == lab[k] for k in ATTRS)
                        for p, lab in zip(paths, batch.labels)]) >= 0.95


def test_score_reports_accuracy_confusion_and_temporal(world):
    batch = clip_batch(world, "test", 20, seed=2)
    readings = [read_clip(v) for v in batch.video]
    labels = [dict(lab) for lab in batch.labels]
    labels[0]["shape"] = "triangle" if labels[0]["shape"] != "triangle" else "star"
    rep = score(zip(readings, labels))
    assert rep["n"] == 20 and rep["all_correct"] == pytest.approx(19 / 20)
    assert rep["accuracy"]["shape"] == pytest.approx(19 / 20) and rep["accuracy"]["color"] == 1.0
    assert rep["temporal"]["overall"] == 1.0
    json.dumps(rep)


def test_variety_tells_one_repeated_clip_from_varied_clips(world):
    batch = clip_batch(world, "test", 40, seed=3)
    varied = score((read_clip(v), lab) for v, lab in zip(batch.video, batch.labels))["variety"]
    same = score((read_clip(batch.video[0]), lab) for lab in batch.labels)["variety"]
    assert varied["start_px"] > 5 and same["start_px"] < 1e-9
    assert varied["speed_cv"] > 0.05 and same["speed_cv"] < 1e-9


# The judge's answer key is its own: a world that draws the wrong thing must be caught, not
# followed. Each check below renders with the world and reads with the judge.

def test_judge_takes_only_the_prompt_grammar_from_the_world():
    borrowed = set()
    for path in Path(tinyt2v.judge.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and "world" in (node.module or ""):
                borrowed |= {(node.module, alias.name) for alias in node.names}
            if isinstance(node, ast.Import):
                assert not any("world" in alias.name for alias in node.names), path
    # how prompts read, one object or several (and where two stand against each other), and
    # whether a verb alone asks for any motion
    grammars = {"parse_prompt", "parse_scene", "parse_relation", "PromptError", "travels_anywhere"}
    assert {name for _, name in borrowed} <= grammars, borrowed


def test_judge_does_not_follow_a_change_to_the_worlds_palette(monkeypatch):
    monkeypatch.setitem(COLORS, "red", COLORS["blue"])
    assert read_clip(clip_of("square", "red", "large", "still")).color == "blue"


def test_judge_has_a_name_for_every_colour_word_of_the_world():
    assert set(COLOR_NAMES) == set(COLORS)


@pytest.mark.parametrize("color", list(COLORS))
def test_judge_reads_every_colour_the_world_draws(color):
    assert read_clip(clip_of("square", color, "medium", "still")).color == color


@pytest.mark.parametrize("rgb, name", [
    ((1.0, 0.6, 0.6), "red"),        # a pale red: the same hue, washed towards white
    ((0.5, 0.25, 0.0), "orange"),    # a dark orange (brown) keeps its hue
    ((0.2, 0.2, 0.9), "blue"),
    ((0.55, 0.55, 0.55), "black"),   # a grey has no hue
    ((0.95, 0.1, 0.2), "red"),       # hue 354 is nearer red (0) than purple (280) across 360
])
def test_judge_names_a_colour_by_its_hue_not_its_lightness(rgb, name):
    assert classify_color(np.array(rgb)) == name


@pytest.mark.parametrize("size", list(SIZES))
def test_judge_reads_every_size_the_world_draws(size):
    smallest, largest = SIZES[size]
    assert classify_size(smallest) == classify_size(largest) == size
    seen = [read_clip(clip_of("circle", "black", size, "still", seed)).size for seed in range(3)]
    assert seen == [size] * 3  # radii drawn anywhere in the range


def test_judge_splits_sizes_midway_between_the_worlds_ranges():
    ranges = sorted(SIZES.values())
    assert SIZE_SPLITS == tuple((below[1] + above[0]) / 2 for below, above in zip(ranges, ranges[1:]))


@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_judge_reads_every_direction_the_world_moves_in(direction):
    assert read_clip(clip_of("square", "black", "small", direction)).motion == direction


# The verdict: every attribute a prompt names must be seen in the clip.
PROMPT = "a medium red square moving right"
ASKED = dict(shape="square", color="red", size="medium", motion="right")
INSTEAD = dict(shape="star", color="blue", size="large", motion="left")


def test_verdict_is_match_for_real_clips_of_their_prompts(world):
    reading, ok = judge_prompt(clip_of(**ASKED), PROMPT)
    assert ok is True and reading.describe() == "medium red square right"
    batch = clip_batch(world, "test", 12, seed=4)  # the world's own wordings
    assert [judge_prompt(v, c)[1] for v, c in zip(batch.video, batch.captions)] == [True] * 12


@pytest.mark.parametrize("attribute", ATTRS)
def test_verdict_is_no_match_when_the_clip_differs_in_one_attribute(attribute):
    reading, ok = judge_prompt(clip_of(**{**ASKED, attribute: INSTEAD[attribute]}), PROMPT)
    assert getattr(reading, attribute) == INSTEAD[attribute]  # the judge saw the difference
    assert ok is False


def test_verdict_checks_only_what_the_prompt_names():
    clip = clip_of(**ASKED)
    assert judge_prompt(clip, "a red square")[1] is True
    assert judge_prompt(clip, "a blue square")[1] is False


@pytest.mark.parametrize("verb", ["moving", "travelling", "flies"])
def test_a_prompt_that_moves_without_a_direction_fits_any_motion_but_still(verb):
    prompt = f"a red square {verb}"
    assert judge_prompt(clip_of(**ASKED), prompt)[1] is True
    assert judge_prompt(clip_of(**{**ASKED, "motion": "rotate_cw"}), prompt)[1] is True
    assert judge_prompt(clip_of(**{**ASKED, "motion": "still"}), prompt)[1] is False


def test_verdict_is_none_for_a_prompt_outside_the_grammar():
    reading, ok = judge_prompt(clip_of(**ASKED), "a medium red square moonwalking gracefully")
    assert ok is None and reading.readable  # nothing exact to compare with, but still a reading
    assert describe_verdict(reading, ok) == "the judge sees: medium red square right"


def test_an_unreadable_clip_never_matches():
    reading, ok = judge_prompt(np.full((16, 64, 64, 3), 255, np.uint8), PROMPT)
    assert not reading.readable and ok is False
    assert describe_verdict(reading, ok).endswith("(does not match the prompt)")
