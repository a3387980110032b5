"""The camera track is measured from the pixels: a pan reads as the window's shift, a zoom as
its scale; with it a clip's frames are brought back into its first frame's view. The background's
camera is still where the measured motion explains the clip no better (an object over a plain
stretch drags the whole-frame fit)."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from tinyt2v.models.camera import (
    STILL_MARGIN,
    background_camera,
    evened,
    light_change,
    measure_camera,
    stabilised_median,
    unexplained,
)

SIDE, FRAMES = 64, 8


def texture(seed: int = 0, side: int = 160) -> np.ndarray:
    """A photograph-like grey texture (smooth noise), (side, side) in [-1, 1]."""
    img = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal((side, side)), 3)
    return (img / np.abs(img).max()).astype(np.float32)


def as_clip(frames: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(frames))[None, :, None].expand(1, FRAMES, 3, SIDE, SIDE).contiguous()


@pytest.mark.parametrize("dx,dy", [(2, 0), (-1, 0), (0, 2), (1, -1)])
def test_a_pan_reads_as_the_windows_shift(dx, dy):
    img = texture()
    clip = as_clip([img[40 + dy * t:40 + dy * t + SIDE, 40 + dx * t:40 + dx * t + SIDE] for t in range(FRAMES)])
    track = measure_camera(clip)[0]
    px = 2 / SIDE  # one pixel in frame coordinates
    expected = torch.tensor([[dx * t * px, dy * t * px] for t in range(FRAMES)])
    assert torch.allclose(track[:, :2], expected, atol=0.5 * px)
    assert track[:, 2].abs().max() < 0.02


def test_a_zoom_in_reads_as_a_shrinking_window():
    img = texture()
    step = 0.95  # each frame shows 0.95 of the previous one's width
    frames = []
    for t in range(FRAMES):
        s = step ** t
        c = 80  # the window's centre in the texture
        frames.append(ndimage.affine_transform(img, np.eye(2) * s, offset=c - s * (SIDE - 1) / 2,
                                               output_shape=(SIDE, SIDE), order=1))
    track = measure_camera(as_clip(frames))[0]
    assert torch.allclose(track[:, 2], torch.arange(FRAMES) * np.log(step), atol=0.01)
    assert track[:, :2].abs().max() < 0.03


def test_an_object_moving_over_a_still_background_is_not_read_as_the_camera_moving():
    img = texture()
    frames = []
    for t in range(FRAMES):
        frame = img[40:40 + SIDE, 40:40 + SIDE].copy()
        frame[20:34, 10 + 3 * t:24 + 3 * t] = 1.0  # a 14 px square, 3 px a frame to the right
        frames.append(frame)
    track = measure_camera(as_clip(frames))[0]
    assert track[:, :2].abs().max() < 0.5 * 2 / SIDE  # under half a pixel: the camera is still
    assert track[:, 2].abs().max() < 0.02


def test_an_object_moving_over_a_mostly_plain_still_background_drags_the_measured_motion_but_not_the_backgrounds():
    img = texture()
    frames = []
    for t in range(FRAMES):  # a still view: texture in its top 8 rows only, plain below
        frame = np.zeros((SIDE, SIDE), np.float32)
        frame[:8] = img[40:48, 40:40 + SIDE]
        frame[30:44, 10 + 3 * t:24 + 3 * t] = 1.0  # a 14 px square, 3 px a frame to the right
        frames.append(frame)
    clip = as_clip(frames)
    measured = measure_camera(clip)
    assert measured[0, -1, 0].abs() > 5 * 2 / SIDE  # the case at hand: the plain part gives the fit
    # nothing to hold, and the whole-frame motion follows the square
    still = torch.zeros_like(measured)
    assert unexplained(clip, still) < STILL_MARGIN / 1.2 * unexplained(clip, measured)  # by a margin
    assert background_camera(clip).abs().max() == 0  # so the still camera is the background's


def test_a_still_clip_seen_by_a_still_camera_leaves_nothing_unexplained_and_a_pan_seen_so_leaves_much():
    img = texture()
    still = as_clip([img[40:40 + SIDE, 40:40 + SIDE]] * FRAMES)
    pan = as_clip([img[40:40 + SIDE, 40 + 3 * t:40 + 3 * t + SIDE] for t in range(FRAMES)])
    camera = torch.zeros(1, FRAMES, 3)
    assert unexplained(still, camera) == 0
    assert unexplained(pan, camera) > 0.25  # about half, the texture moving under it
    assert unexplained(pan, measure_camera(pan)) < 0.05


def test_a_pan_with_an_object_crossing_it_keeps_its_measured_motion_as_the_backgrounds():
    img = texture()
    frames = []
    for t in range(FRAMES):  # the camera pans 2 px a frame right; a square crosses the view
        frame = img[40:40 + SIDE, 40 + 2 * t:40 + 2 * t + SIDE].copy()
        frame[24:30, 4 + 7 * t:10 + 7 * t] = 1.0
        frames.append(frame)
    clip = as_clip(frames)
    assert torch.equal(background_camera(clip), measure_camera(clip))
    assert background_camera(clip)[0, -1, 0] > 0.5 * 2 * (FRAMES - 1) * 2 / SIDE


def test_the_stabilised_median_of_a_pan_with_an_object_crossing_it_is_the_first_view_without_the_object():
    img = texture()
    frames, first = [], img[40:40 + SIDE, 40:40 + SIDE]
    for t in range(FRAMES):  # the camera pans 2 px a frame right; a square crosses the view
        frame = img[40:40 + SIDE, 40 + 2 * t:40 + 2 * t + SIDE].copy()
        frame[24:30, 4 + 7 * t:10 + 7 * t] = 1.0  # 6 px, 7 px a frame: each pixel covered once
        frames.append(frame)
    clip = as_clip(frames)
    still = stabilised_median(clip, measure_camera(clip))[0, 0].numpy()
    crossed = (slice(22, 32), slice(4, 48))  # where the square went, in the first frame's view
    assert np.abs(still - first)[crossed].max() < 0.1  # gone: under 13 grey levels anywhere
    assert np.abs(frames[0] - first)[crossed].max() > 0.5  # frame 0 itself has it


def fading(clip: torch.Tensor) -> torch.Tensor:
    """The clip (1, T, 3, H, W) in [-1, 1] with its light fading to half over it, as light scales
    pixels (0 is black: -1)."""
    light = torch.linspace(1.0, 0.5, clip.shape[1])[None, :, None, None, None]
    return (clip + 1) * light - 1


def test_with_light_a_pan_and_a_zoom_as_the_light_fades_read_as_the_pan_and_the_zoom():
    img = texture()
    pan = fading(as_clip([img[40:40 + SIDE, 40 + 2 * t:40 + 2 * t + SIDE] for t in range(FRAMES)]))
    zoom = fading(as_clip([ndimage.affine_transform(img, np.eye(2) * 0.95 ** t, offset=80 - 0.95 ** t * (SIDE - 1) / 2,
                                                    output_shape=(SIDE, SIDE), order=1) for t in range(FRAMES)]))
    px = 2 / SIDE
    track = measure_camera(pan, light=True)[0]
    assert torch.allclose(track[:, 0], torch.arange(FRAMES) * 2 * px, atol=0.5 * px)
    assert track[:, 2].abs().max() < 0.02
    assert measure_camera(pan)[0, :, 2].abs().max() > 0.05  # without, the fading reads partly as a zoom
    track = measure_camera(zoom, light=True)[0]
    assert torch.allclose(track[:, 2], torch.arange(FRAMES) * np.log(0.95), atol=0.01)


def test_with_light_the_light_fading_over_a_clip_is_not_something_moving_over_it():
    img = texture()
    pan = fading(as_clip([img[40:40 + SIDE, 40 + 2 * t:40 + 2 * t + SIDE] for t in range(FRAMES)]))
    camera = measure_camera(pan, light=True)
    assert unexplained(pan, camera) > 0.25  # without: much of the clip is off its background
    assert unexplained(pan, camera, light=True) < 0.05


def test_the_light_fading_over_a_pan_reads_as_its_change_and_a_pan_in_steady_light_reads_none():
    img = texture()
    steady = as_clip([img[40:40 + SIDE, 40 + 2 * t:40 + 2 * t + SIDE] for t in range(FRAMES)])
    camera = measure_camera(steady)
    assert light_change(fading(steady), camera) == pytest.approx(np.log(2), abs=0.05)  # faded to half
    assert light_change(steady, camera) < 0.05


def test_a_clip_whose_light_fades_is_evened_to_its_brightest_frames_light_and_one_in_steady_light_is_left_as_it_is():
    img = texture() * 0.5  # within [-0.5, 0.5]: evened, no pixel is clipped
    steady = as_clip([img[40:40 + SIDE, 40 + 2 * t:40 + 2 * t + SIDE] for t in range(FRAMES)])
    camera = measure_camera(steady)
    assert torch.allclose(evened(fading(steady), camera, 0.2), steady, atol=1e-4)
    assert torch.equal(evened(steady, camera, 0.2), steady)
