"""The prompt reader (text/reading.py) on phrasings people write that a word-by-word reading
got wrong: a real word read as the grammar word it contains, "from A to B", negated motion,
a change of size said with a comparative, and shape names the lexicon does not map."""
import pytest

from tinyt2v.world import training_words
from tinyt2v.text.reading import ModelFacts, read
from tinyt2v.world import get_world
from tinyt2v.world.grammar import WORLD_GRAMMAR

ONE = ModelFacts(frozenset(training_words(get_world("default"))), grammar=WORLD_GRAMMAR)
SCENES = ModelFacts(frozenset(training_words(get_world("scenes"))), objects=3, grammar=WORLD_GRAMMAR)

# prompt -> the attributes it must read as (None: not said)
READS = {
    # a real word is never read as a grammar word it contains or resembles
    "the green square crossing to the right": dict(shape="square", color="green", motion="right"),
    "a red square crossing left": dict(shape="square", color="red", motion="left"),
    "a blue triangle crossing the frame downward": dict(shape="triangle", color="blue", motion="down"),
    "a yellow circle starring in a clip, moving up": dict(shape="circle", color="yellow", motion="up"),
    # from A to B: the direction is B
    "a circle moving from left to right": dict(shape="circle", motion="right"),
    "a blue square going from right to left": dict(shape="square", color="blue", motion="left"),
    "a star moving from the top to the bottom": dict(shape="star", motion="down"),
    "a red cross moving from bottom to top": dict(shape="cross", color="red", motion="up"),
    "a green circle moving left to right": dict(shape="circle", color="green", motion="right"),
    "a purple triangle travelling from the left to the right": dict(shape="triangle", color="purple",
                                                                    motion="right"),
    # negated motion, or no motion: still
    "red circle, no motion": dict(shape="circle", color="red", motion="still"),
    "a red circle that is not moving left": dict(shape="circle", color="red", motion="still"),
    "a yellow star that doesn't move": dict(shape="star", color="yellow", motion="still"),
    "a blue square without moving": dict(shape="square", color="blue", motion="still"),
    "a purple triangle that never moves": dict(shape="triangle", color="purple", motion="still"),
    "a green circle with no movement": dict(shape="circle", color="green", motion="still"),
    "a black cross that isn't moving at all": dict(shape="cross", color="black", motion="still"),
    "a red star not moving to the right quickly": dict(shape="star", color="red", motion="still"),
    # a change of size said with a comparative: growth or shrinking, not a size
    "a big red triangle which is getting larger": dict(shape="triangle", color="red", size="large",
                                                       motion="grow"),
    "a small blue circle becoming smaller": dict(shape="circle", color="blue", size="small",
                                                 motion="shrink"),
    "a green square that gets bigger": dict(shape="square", color="green", motion="grow"),
    "an orange star growing larger": dict(shape="star", color="orange", motion="grow"),
    "a purple cross getting tinier": dict(shape="cross", color="purple", motion="shrink"),
    # shape names the lexicon does not map
    "a red ring moving up": dict(shape="circle", color="red", motion="up"),
    "a blue cube moving left": dict(shape="square", color="blue", motion="left"),
    "a green ball moving down": dict(shape="circle", color="green", motion="down"),
    "a purple box moving right": dict(shape="square", color="purple", motion="right"),
    "a yellow pyramid moving up": dict(shape="triangle", color="yellow", motion="up"),
    "a black disc moving left": dict(shape="circle", color="black", motion="left"),
}


@pytest.mark.parametrize("prompt", list(READS))
def test_a_phrasing_people_write_reads_as_it_means(prompt):
    u = read(prompt, ONE)
    assert not u.several and not u.conflict, u
    want = {**dict(shape=None, color=None, size=None), **READS[prompt]}
    assert {k: u.attributes[k] for k in ("shape", "color", "size", "motion")} == want, u.describe()


def test_the_understood_line_says_which_phrases_were_read_whole():
    line = read("a circle moving from left to right", ONE).describe()
    assert "from left to right→right" in line
    assert "not understood" not in read("red circle, no motion", ONE).describe()


def test_a_negation_of_something_other_than_motion_is_not_read_as_still():
    assert read("a red circle moving left, not fast", ONE).attributes["motion"] == "left"


def test_a_known_word_stays_itself():
    assert read("a red cross moving up", ONE).attributes["shape"] == "cross"
    assert read("a red circle moving", ONE).travels_anywhere


def test_scene_prompts_are_read_piece_by_piece_with_the_same_phrases():
    u = read("a red ring that doesn't move and a blue cube moving from left to right", SCENES)
    assert not u.several and not u.conflict
    assert "not moving" in u.text and "right" in u.text and "circle" in u.text and "square" in u.text


def test_a_model_of_real_footage_gets_words_and_phrases_but_no_grammar_reading():
    footage = ModelFacts(frozenset("a red ring the camera panning left right moving not".split()))
    u = read("a red ring, the camera panning from left to right", footage)
    assert u.attributes is None and "ring" in u.text and "right" in u.text and "left" not in u.text
