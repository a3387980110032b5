"""The web demo: the function behind the button, and the page driven in a real browser."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

gr = pytest.importorskip("gradio")

from tinyt2v.demo import FOOTAGE, WORLD, Generator, example_prompts  # noqa: E402
from tinyt2v.pipeline import Pipeline  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def pipe():
    return Pipeline.from_pretrained()


def test_examples_show_seen_heldout_and_paraphrased_prompts_the_model_gets_right(pipe):
    from tinyt2v.judge import judge_prompt
    from tinyt2v.text.vocab import words
    from tinyt2v.world import training_words
    from tinyt2v.world import parse_prompt
    from tinyt2v.world.splits import combos

    known, held = set(training_words(pipe.world)), set(combos(pipe.world, "heldout"))
    kinds = set()
    examples, all_right = example_prompts(pipe)
    assert all_right
    for prompt in examples:
        video = pipe(prompt, seed=0)
        assert judge_prompt(video.frames, prompt, video.understood.text)[1], prompt
        a = parse_prompt(prompt)
        combo = (a["shape"], a["color"], a["size"], a["motion"])
        kinds.add("paraphrase" if not set(words(prompt)) <= known
                  else "heldout" if combo in held else "seen")
    assert kinds == {"seen", "heldout", "paraphrase"}


def test_generate_returns_mp4_gif_and_a_tick_when_the_clip_matches(pipe, tmp_path):
    from tinyt2v.io import read_video

    # A combination the shipped model trained on: it draws it right, and the page says so.
    prompt = "a medium red square moving right"
    mp4, gif, text = Generator(pipe, str(tmp_path))(prompt, 0, 2.0, 8)
    assert Path(mp4).name == "clip.mp4" and read_video(mp4).shape == (8, 64, 64, 3)
    assert Path(gif).name == "clip.gif" and read_video(gif).shape == (8, 64, 64, 3)
    verdict, _, understood = text.splitlines()
    assert verdict == "✔ the judge sees: medium red square right (matches the prompt)"
    assert understood == "understood: square · red · medium · right"


class DrawsAnotherPrompt:
    """The shipped pipeline, except that it draws `other` whatever it is asked for."""

    def __init__(self, pipe, other: str):
        self.pipe, self.other = pipe, other

    def check(self, *args):
        return self.pipe.check(*args)

    def __call__(self, prompt, **knobs):
        from dataclasses import replace

        return replace(self.pipe(self.other, **knobs), prompt=prompt, understood=self.pipe.understand(prompt))

    def __getattr__(self, name):
        return getattr(self.pipe, name)


def test_a_clip_that_does_not_match_shows_a_cross(pipe, tmp_path):
    wrong = DrawsAnotherPrompt(pipe, "a large blue star moving left")
    _, _, text = Generator(wrong, str(tmp_path))("a medium red square moving right", 0, 2.0, 8)
    verdict = text.splitlines()[0]
    assert verdict.startswith("✘ the judge sees: ") and verdict.endswith("(does not match the prompt)")


class DrawsTheWorldScene:
    """A scenes pipeline that answers with the world's own clip of its prompt (a perfect model)."""

    def __init__(self, pipe, batch):
        self.pipe, self.clips = pipe, dict(zip(batch.captions, batch.video))

    def __call__(self, prompt, **knobs):
        from tinyt2v.pipeline import Video

        return Video(self.clips[prompt][:knobs["frames"]], prompt, understood=self.pipe.understand(prompt))

    def __getattr__(self, name):
        return getattr(self.pipe, name)


def test_a_scene_prompt_goes_to_the_scenes_model_and_each_object_is_read(pipe, tmp_path):
    from conftest import SMALL
    from tinyt2v.train import TrainConfig, train
    from tinyt2v.world import clip_batch

    ck = train(TrainConfig(out=str(tmp_path / "run"), steps=1, batch_size=2, sample_every=None,
                           ckpt_every=None, **SMALL["scene-flow"]))
    scenes = Pipeline.from_pretrained(ck)
    batch = clip_batch(scenes.world, "test", 40, seed=0)
    k = next(i for i, lab in enumerate(batch.labels) if len(lab["objects"]) == 2 and lab["count"] is None)
    demo = Generator(pipe, str(tmp_path), scenes=DrawsTheWorldScene(scenes, batch))
    _, _, text = demo(batch.captions[k], 0, 2.0, 16)
    lines = text.splitlines()
    assert lines[0].startswith("✔ the judge sees: ") and lines[0].endswith("(matches the prompt)")
    objects = [f"{o['size']} {o['color']} {o['shape']}" for o in batch.labels[k]["objects"]]
    listed = [line for line in lines if line.startswith("- object ")]
    assert len(listed) == 2 and all(sum(f": {o} " in line for line in listed) == 1 for o in objects), lines
    with pytest.raises(gr.Error, match="one object per clip"):  # no scenes model: the message
        Generator(pipe, str(tmp_path))(batch.captions[k], 0, 2.0, 16)


def test_a_prompt_outside_the_grammar_is_judged_as_the_model_understood_it(pipe, tmp_path):
    _, _, text = Generator(pipe, str(tmp_path))("a medium red square moonwalking", 0, 2.0, 8)
    verdict = text.splitlines()[0]
    assert verdict.endswith("the prompt as understood)") and "not understood: moonwalking" in text


def test_a_prompt_with_nothing_the_judge_can_compare_shows_a_question_mark(pipe, tmp_path):
    _, _, text = Generator(pipe, str(tmp_path))("plus moonwalking", 0, 2.0, 8)
    assert text.startswith("? the judge sees: ") and "match" not in text.splitlines()[0]


@pytest.mark.parametrize("prompt, seed, guidance, frames, says", [
    ("", 0, 2.0, 8, "empty"),
    ("x" * 301, 0, 2.0, 8, "characters"),
    ("a red circle", 0, 2.0, 65, "frames"),
    ("a red circle", 0, float("nan"), 8, "guidance"),
    ("a red circle", -1, 2.0, 8, "seed"),
])
def test_bad_input_is_a_clear_message_and_writes_nothing(pipe, tmp_path, prompt, seed, guidance,
                                                          frames, says):
    with pytest.raises(gr.Error, match=says):
        Generator(pipe, str(tmp_path))(prompt, seed, guidance, frames)
    assert list(tmp_path.iterdir()) == []


def test_a_picture_given_is_animated_and_a_bad_one_is_a_clear_message(pipe, tmp_path):
    from tinyt2v.io import read_video
    from tinyt2v.world import clips

    still = next(clips(pipe.world, "test", 1, seed=0, batch_size=1)).video[0, 0]
    prompt = "a red circle moving left"
    mp4, _, text = Generator(pipe, str(tmp_path))(prompt, 0, 2.0, 8, WORLD, still)
    first = read_video(mp4)[0].astype(int)
    assert np.abs(first - still).mean() < 4  # the picture, through the MP4 codec
    with pytest.raises(gr.Error, match="at least"):
        Generator(pipe, str(tmp_path))(prompt, 0, 2.0, 8, WORLD, still[:8])


def test_the_footage_model_draws_when_chosen_and_no_world_judge_speaks(pipe, tmp_path):
    footage = Pipeline.from_pretrained("footage")
    mp4, _, text = Generator(pipe, str(tmp_path), footage=footage)("a cat, the camera panning left", 0, 2.0, 8,
                                                                   FOOTAGE)
    assert Path(mp4).exists() and text.startswith("understood:") and "judge" not in text


def test_user_text_never_becomes_a_path(pipe, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    mp4, gif, _ = Generator(pipe, str(work))("../../escape red circle /etc/passwd", 0, 2.0, 4)
    assert Path(mp4).parent.parent == work and Path(gif).name == "clip.gif"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_old_results_are_cleaned_up(pipe, tmp_path, monkeypatch):
    monkeypatch.setattr("tinyt2v.demo.KEEP_RESULTS", 2)
    g = Generator(pipe, str(tmp_path))
    for seed in range(4):
        g("a red circle", seed, 2.0, 2)
    assert len(list(tmp_path.iterdir())) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "tinyt2v", "demo", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("demo exited:\n" + proc.stdout.read())
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("demo did not start in 120 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_the_page_in_a_real_browser(server):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(server)
        page.locator("#prompt textarea").fill("a large blue square rotating clockwise")
        page.locator("#generate").click()
        page.wait_for_selector("#video video[src]", timeout=60_000)
        assert page.locator("#video video").get_attribute("src").endswith("clip.mp4")
        page.wait_for_function(
            "document.querySelector('#verdict').innerText.includes('the judge sees')", timeout=60_000)
        # the shipped model draws this trained combination right, and the page shows the tick
        verdict = page.locator("#verdict").inner_text()
        assert "✔ the judge sees: large blue square rotate cw (matches the prompt)" in verdict, verdict
        # the footage model, chosen on the page, draws a photograph: a new clip, and no world verdict
        first = page.locator("#video video").get_attribute("src")
        page.locator("#model").get_by_text(FOOTAGE).click()
        page.locator("#prompt textarea").fill("old coins, the camera zooming in")
        page.locator("#generate").click()
        page.wait_for_function(f"document.querySelector('#video video')?.getAttribute('src') !== {first!r}",
                               timeout=60_000)
        page.wait_for_function("document.querySelector('#verdict').innerText.startsWith('understood')",
                               timeout=60_000)
        # a bad input shows a message instead of a clip
        page.locator("#prompt textarea").fill("   ")
        page.locator("#generate").click()
        page.wait_for_selector("text=prompt is empty", timeout=30_000)
        browser.close()
