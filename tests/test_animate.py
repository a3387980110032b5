"""Animating a picture: any picture is fitted to the model's frame, or refused in one line; the
clip starts on it and its content moves as the prompt says."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from tinyt2v.io import MIN_STILL_SIDE, read_still
from tinyt2v.judge import read_clip
from tinyt2v.pipeline import Pipeline
from tinyt2v.world import clips

from conftest import small_model


def run(*args):
    return subprocess.run([sys.executable, "-m", "tinyt2v", *args], capture_output=True, text=True)


def test_any_picture_is_resized_on_its_short_side_and_centre_cropped(tmp_path):
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, 100:200] = 255  # the middle third: what the crop keeps
    Image.fromarray(wide).save(tmp_path / "wide.jpg")
    still = read_still(tmp_path / "wide.jpg", 64, 64)
    assert still.shape == (64, 64, 3) and still.dtype == np.uint8
    assert still[:, 2:-2].min() > 200  # the crop is the white middle
    assert np.array_equal(read_still(Image.fromarray(wide), 64, 64), read_still(wide, 64, 64))


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "missing.png", "does not exist"),
    (lambda d: d, "is not a file"),
    (lambda d: (d / "notes.png").write_text("hello") and d / "notes.png", "is not an image"),
    (lambda d: Image.new("RGB", (MIN_STILL_SIDE - 1, 40)).save(d / "tiny.png") or d / "tiny.png", "at least"),
])
def test_a_bad_picture_is_refused_in_one_line_naming_what_is_wrong(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(ValueError, match=words):
        read_still(path, 64, 64)
    r = run("animate", str(path), "a red circle moving left", "-o", str(tmp_path / "out.mp4"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and words in r.stderr, r.stderr


def test_a_world_still_is_the_first_frame_and_its_object_moves_as_prompted(tmp_path):
    pipe = Pipeline.from_pretrained()
    batch = next(clips(pipe.world, "test", 4, seed=3, batch_size=4))
    right = 0
    for label, video in zip(batch.labels, batch.video):
        still = video[0]
        # the middle of the frame: room to move every way
        moved = np.roll(still, (32 - round(label["start_y"]), 32 - round(label["start_x"])), (0, 1))
        prompt = f"a {label['size']} {label['color']} {label['shape']} moving down"
        clip = pipe(prompt, seed=0, image=moved).frames
        assert np.abs(clip[0].astype(int) - moved).max() <= 1  # the picture itself
        seen = read_clip(clip)
        assert (seen.shape, seen.color) == (label["shape"], label["color"])
        right += seen.motion == "down"
    assert right >= 3


def test_the_cli_animates_a_picture_file(tmp_path):
    batch = next(clips(Pipeline.from_pretrained().world, "test", 1, seed=0, batch_size=1))
    Image.fromarray(batch.video[0, 0]).resize((200, 200)).save(tmp_path / "still.png")
    r = run("animate", str(tmp_path / "still.png"), "a red circle growing", "-o", str(tmp_path / "a.gif"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.gif").exists() and "sprite-flow" in r.stderr


def test_a_camera_animation_starts_on_the_picture_and_moves_the_view():
    _, model = small_model("layer-flow")
    picture = torch.rand(2, 3, 64, 64) * 2 - 1
    video = model.eval().animate(picture, ["panning left", "zooming in"], torch.Generator().manual_seed(0))
    assert video.shape == (2, 16, 3, 64, 64)
    assert torch.allclose(video[:, 0], picture, atol=1e-5)


def test_a_model_that_cannot_animate_says_so_in_one_line(tmp_path):
    from test_pipeline import tiny_run

    _, checkpoint = tiny_run(tmp_path, steps=1)  # latent-flow: no layers to move
    Image.new("RGB", (64, 64)).save(tmp_path / "still.png")
    r = run("animate", str(tmp_path / "still.png"), "a red circle moving left", "--checkpoint", str(checkpoint))
    assert r.returncode == 2 and "cannot animate" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
