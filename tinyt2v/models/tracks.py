"""Pose tracks measured from pixels: where one object is, how big and how turned in each frame.

Every layered model (sprite-flow, scene-flow) learns its motion as a track measured here
rather than by a learned encoder: the centre of what differs from the background, its
equal-area radius and its turn read from angular moments. A track is turned into the latent a
flow prior learns (first pose, then the change per frame) and back.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

POSE = 4  # centre x, y, log scale, angle


def backgrounds(video: torch.Tensor) -> torch.Tensor:
    """Each frame's background colour (B, T, 3): the median of every 4th pixel in each direction
    (a median over all of them is the slowest part of a training step)."""
    return video[..., ::4, ::4].flatten(3).median(-1).values


NOISE_FLOOR = 0.1  # colour distance below which a pixel is codec noise, not object


def colour_distance(video: torch.Tensor, bg: torch.Tensor) -> torch.Tensor:
    """Each pixel's RGB distance (B, T, H, W) from its frame's background colour bg (B, T, 3),
    summed one colour plane at a time (this runs on every training clip)."""
    dist = (video[:, :, 0] - bg[:, :, 0, None, None]).square_()
    for ch in (1, 2):
        dist.add_((video[:, :, ch] - bg[:, :, ch, None, None]).square_())
    return dist.sqrt_()


@torch.no_grad()
def measure_track(video: torch.Tensor, ref_radius: float,
                  bg: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """video (B, T, 3, H, W) in [-1, 1] -> (track (B, T, 4): centre x, y in [-1, 1] frame
    coordinates (pixel centres as affine_grid places them), log(radius / ref_radius), angle in
    radians (clockwise on screen, 0 in the first frame); and the background colour (B, 3)).
    Coverage is the colour distance from the background relative to the frame's strongest
    pixel, so anti-aliased edges count fractionally. bg: `backgrounds(video)` when the caller
    has it already."""
    bg = backgrounds(video) if bg is None else bg  # (B, T, 3)
    return track_of(coverage(video, bg), ref_radius), bg[:, 0]


def coverage(video: torch.Tensor, bg: torch.Tensor) -> torch.Tensor:
    """How much of each pixel (B, T, H, W) in [0, 1] is the object: its colour distance from the
    background bg (B, T, 3) relative to the frame's strongest pixel, none below codec noise."""
    dist = colour_distance(video, bg)
    alpha = (dist / dist.flatten(2).amax(-1).clamp(min=1e-3)[..., None, None]).clamp_(0, 1)
    return alpha.mul_(dist > NOISE_FLOOR)


def track_of(alpha: torch.Tensor, ref_radius: float) -> torch.Tensor:
    """Coverage (B, T, H, W) of one object per clip -> its pose track (B, T, 4), as
    measure_track describes."""
    b, t, h, w = alpha.shape
    flat = alpha.reshape(b * t, h * w)
    row, pix = flat.nonzero(as_tuple=True)
    return pixel_track(row, pix, flat[row, pix], (b, t, h, w), ref_radius)


def pixel_track(row: torch.Tensor, pix: torch.Tensor, alpha: torch.Tensor, shape: tuple[int, int, int, int],
                ref_radius: float) -> torch.Tensor:
    """The covered pixels only: frame `row` (clip * T + frame) of each, its index `pix` in the
    frame (y * W + x) and its coverage `alpha` (N,), in clips of `shape` (B, T, H, W) -> the
    pose track (B, T, 4). A few percent of a frame is covered, so this visits only those."""
    b, t, h, w = shape
    xs = (torch.arange(w, device=alpha.device) + 0.5) * 2 / w - 1
    ys = (torch.arange(h, device=alpha.device) + 0.5) * 2 / h - 1
    x, y = xs[pix % w], ys[pix // w]
    sums = alpha.new_zeros(b * t, 3).index_add_(0, row, torch.stack([alpha, alpha * x, alpha * y], 1))
    area = sums[:, 0].clamp(min=1.0)
    cx, cy = sums[:, 1] / area, sums[:, 2] / area
    log_scale = torch.log(torch.sqrt(area / math.pi) / ref_radius)
    angle = measure_turn(angular_moments(row, x - cx[row], y - cy[row], alpha, b, t))
    return torch.stack([cx.view(b, t), cy.view(b, t), log_scale.view(b, t), angle], -1)


TURN_HARMONICS = (2, 3, 4, 5)


def angular_moments(row: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor, alpha: torch.Tensor,
                    b: int, t: int) -> torch.Tensor:
    """Complex angular moments (B, T, K) for k in TURN_HARMONICS of covered pixels (N,) at
    offsets dx, dy from their frame's centre, weighted by alpha * r^2 (the outline says more
    about orientation than the middle) and normalised."""
    weight = alpha * (dx * dx + dy * dy)
    kt = torch.atan2(dy, dx)[:, None] * torch.tensor(TURN_HARMONICS, dtype=alpha.dtype, device=alpha.device)
    sums = alpha.new_zeros(b * t, 2 * len(TURN_HARMONICS) + 1).index_add_(
        0, row, torch.cat([weight[:, None] * torch.cos(kt), weight[:, None] * torch.sin(kt),
                           weight[:, None]], 1))
    k = len(TURN_HARMONICS)
    moments = torch.complex(sums[:, :k], sums[:, k:2 * k]) / sums[:, -1:].clamp(min=1e-6)
    return moments.view(b, t, k)


def measure_turn(moments: torch.Tensor, round_below: float = 0.05) -> torch.Tensor:
    """Angle (B, T) of a shape turning over a clip, from its angular moments (B, T, K). A shape
    with k-fold symmetry turned by a has its k-th moment's phase moved by k * a; the clip's
    strongest harmonic gives the turn between frames modulo 2 pi / k, which is all the pixels
    can tell (and all a renderer needs). Frame-to-frame turns must stay under pi / k
    (36 degrees at k = 5); the world spins at most 12. A shape with no harmonic above
    `round_below` (a disc) does not turn."""
    strength = moments.abs().mean(1)  # (B, K)
    best = strength.argmax(-1)  # (B,)
    k = torch.tensor(TURN_HARMONICS, device=moments.device, dtype=strength.dtype)[best][:, None]
    phase = torch.gather(moments, 2, best[:, None, None].expand(-1, moments.shape[1], 1))[..., 0].angle()
    period = 2 * math.pi / k
    step = torch.remainder(phase.diff(dim=1) / k + period / 2, period) - period / 2
    step = torch.where(strength.gather(1, best[:, None]) > round_below, step, torch.zeros_like(step))
    return torch.cat([torch.zeros_like(phase[:, :1]), step.cumsum(1)], 1)


def track_to_latent(track: torch.Tensor) -> torch.Tensor:
    """(B, T, 4) poses -> (B, 4T - 1): the first pose (its angle is 0 by definition, and a
    constant would give the flow a singular target), then the change from each frame to the
    next. The prior generates velocities rather than positions: its small independent errors
    then perturb speeds a little instead of making positions jitter from frame to frame, which
    would read as erratic motion."""
    return torch.cat([track[:, 0, :3], track.diff(dim=1).transpose(1, 2).flatten(1)], 1)


def latent_to_track(latent: torch.Tensor, frames: int) -> torch.Tensor:
    b = latent.shape[0]
    first = torch.cat([latent[:, :3], latent.new_zeros(b, 1)], 1)
    steps = latent[:, 3:].reshape(b, POSE, frames - 1).transpose(1, 2)
    return torch.cat([first[:, None], steps], 1).cumsum(1)


def resample_track(track: torch.Tensor, frames: int) -> torch.Tensor:
    """Poses (B, T, 4) -> (B, frames, 4), linearly in time: the prior knows T poses."""
    if frames == track.shape[1]:
        return track
    return F.interpolate(track.transpose(1, 2), size=frames, mode="linear", align_corners=True).transpose(1, 2)
