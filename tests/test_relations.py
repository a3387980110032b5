"""Spatial relations: "a red circle above a blue square". The world places a related pair as its
caption says, holds some arrangements and one wording of each relation out of training, the
grammar reads the relation back, the judge reads it from the first frame, and the prompt reader
tells a model's user whether the model knows relations."""
from collections import Counter

import numpy as np
import pytest

from tinyt2v.judge.scene import read_scene, score_scenes
from tinyt2v.judge.verdict import judge_prompt
from tinyt2v.text.reading import ModelFacts, read
from tinyt2v.world import clip_batch, get_world, training_words
from tinyt2v.world.grammar import WORLD_GRAMMAR
from tinyt2v.world.relations import (RELATIONS, WORDINGS, arrangement, held_arrangements, placed_as,
                                     wordings)
from tinyt2v.world.scene_captions import parse_relation, parse_scene
from tinyt2v.world.splits import RELATION_SPLITS, splits_of

WORLD = get_world("relations")
FLIPPED = {"above": "below", "below": "above", "left_of": "right_of", "right_of": "left_of"}


@pytest.fixture(scope="module")
def batches():
    return {split: clip_batch(WORLD, split, 80, seed=5) for split in ("train", "test", *RELATION_SPLITS)}


def related_pairs(batches):
    """(split, label, its relation, subject's start, object's start) of every related scene."""
    for split, batch in batches.items():
        for label in batch.labels:
            rel = label["relation"]
            if rel is not None:
                a, b = (np.array([label["objects"][rel[k]][f"start_{x}"] for x in "xy"]) for k in ("subject", "object"))
                yield split, label, rel, a, b


def test_a_related_pair_starts_where_its_relation_says(batches):
    for split, label, rel, a, b in related_pairs(batches):
        sides = (True, False) if rel["kind"] == "next_to" else (None,)
        assert any(placed_as(rel["kind"], a, b, side) for side in sides), (split, label)


def test_a_share_of_train_scenes_is_related_and_every_relation_split_scene_is(batches):
    related = [lab["relation"] is not None for lab in batches["train"].labels + batches["test"].labels]
    assert 0.15 < np.mean(related) < 0.45  # relations = 0.3 of 160 scenes
    for split in RELATION_SPLITS:
        assert all(lab["relation"] for lab in batches[split].labels)
    kinds = Counter(lab["relation"]["kind"] for split in RELATION_SPLITS for lab in batches[split].labels)
    assert set(kinds) == set(RELATIONS)


def test_held_out_arrangements_are_only_in_the_relation_split(batches):
    held = held_arrangements(WORLD)
    assert 0 < len(held) < 72 * 0.4  # 2 axes x 6 x 6 shape pairs, about a fifth held out
    for split, label, rel, a, b in related_pairs(batches):
        shapes = [label["objects"][rel[k]]["shape"] for k in ("subject", "object")]
        first = bool(a[0] < b[0]) if rel["kind"] == "next_to" else None
        shown = arrangement(rel["kind"], *shapes, first)
        assert (shown in held) == (split == "relation"), (split, label)


def test_one_wording_of_each_relation_is_never_in_training(batches):
    train_words = set(training_words(WORLD))
    for kind in RELATIONS:
        held = wordings(kind, held_out=True)[0]
        assert held not in wordings(kind, held_out=False)
        assert not all(w in train_words for w in held.split())
    for caption in batches["train"].captions + batches["test"].captions:
        assert not any(WORDINGS[k][1] in caption.lower() for k in RELATIONS), caption
    for caption in batches["relation_wording"].captions:
        assert any(WORDINGS[k][1] in caption.lower() for k in RELATIONS), caption


def test_a_world_without_relations_has_neither_relation_scenes_nor_relation_splits():
    scenes = get_world("scenes")
    assert not set(RELATION_SPLITS) & set(splits_of(scenes))
    assert all(lab["relation"] is None for lab in clip_batch(scenes, "train", 60, seed=1).labels)
    with pytest.raises(ValueError, match="relation"):
        clip_batch(scenes, "relation", 1)


def test_the_grammar_reads_every_caption_s_relation_and_objects_back(batches):
    for batch in batches.values():
        for caption, label in zip(batch.captions, batch.labels):
            assert parse_relation(caption) == label["relation"], caption
            assert sum(n for _, n in parse_scene(caption)) == len(label["objects"]), caption


@pytest.mark.parametrize("prompt, relation", [
    ("a red circle above a blue square", dict(kind="above", subject=0, object=1)),
    ("a red circle and a green star moving up to the left of a blue square", dict(kind="left_of", subject=1, object=2)),
    ("two red circles beside a blue square", dict(kind="next_to", subject=1, object=2)),
    ("a red circle moving to the left", None),  # a motion, not a relation: no "of" after it
])
def test_a_relation_stands_between_the_objects_named_beside_it(prompt, relation):
    assert parse_relation(prompt) == relation


def test_the_judge_reads_relations_on_real_clips_and_fails_a_flipped_one(batches):
    pairs = [(read_scene(v), lab) for split in RELATION_SPLITS
             for v, lab in zip(batches[split].video, batches[split].labels)]
    assert score_scenes(pairs)["relation"] >= 0.99
    flipped = [(r, {**lab, "relation": {**lab["relation"], "kind": FLIPPED[lab["relation"]["kind"]]}})
               for r, lab in pairs if lab["relation"]["kind"] in FLIPPED]
    report = score_scenes(flipped)
    assert report["relation"] == 0 and report["all_correct"] == 0
    assert report["binding_errors"] == 0  # every object is right: only the relation is wrong


def test_the_verdict_on_a_prompt_checks_its_relation(batches):
    video, label = batches["relation"].video[0], batches["relation"].labels[0]
    a, b = (label["objects"][label["relation"][k]] for k in ("subject", "object"))
    name = lambda o: f"a {o['color']} {o['shape']}"  # noqa: E731
    kind = label["relation"]["kind"]
    said = {"above": "above", "below": "below", "left_of": "left of", "right_of": "right of"}
    if kind == "next_to":
        pytest.skip("next to holds on either side")
    extra = [f" and a {o['color']} {o['shape']}" for o in label["objects"][2:]]
    right = f"{name(a)} {said[kind]} {name(b)}" + "".join(extra)
    wrong = f"{name(a)} {said[FLIPPED[kind]].replace('_', ' ')} {name(b)}" + "".join(extra)
    assert judge_prompt(video, right, scene=True)[1] is True
    assert judge_prompt(video, wrong, scene=True)[1] is False


RELATIONS_MODEL = ModelFacts(frozenset(training_words(WORLD)), objects=3, grammar=WORLD_GRAMMAR, relations=True)
SCENES_MODEL = ModelFacts(frozenset(training_words(get_world("scenes"))), objects=3, grammar=WORLD_GRAMMAR)


def test_a_model_trained_on_relations_is_told_the_relation_it_reads():
    u = read("a crimson ball to the left of a blue box", RELATIONS_MODEL)
    assert u.relation == "the red circle left of the blue square"
    assert "(the red circle left of the blue square)" in u.describe()


def test_a_wording_the_model_never_saw_is_read_as_its_relation():
    u = read("a red circle underneath a blue square", RELATIONS_MODEL)
    assert "below" in u.text.split() and "downward" not in u.text
    assert u.relation == "the red circle below the blue square"


def test_a_model_not_trained_on_relations_says_so_and_reads_no_relation_word_as_motion():
    u = read("a red circle above a blue square", SCENES_MODEL)
    assert "not trained on relations" in u.relation_unread and "above" in u.describe()
    assert u.text.split() == ["a", "red", "circle", "and", "a", "blue", "square"]
    assert not u.relation


def test_a_relation_without_an_object_on_each_side_is_told_not_read():
    u = read("above a blue square", RELATIONS_MODEL)
    assert not u.relation and "before it and one after it" in u.relation_unread
