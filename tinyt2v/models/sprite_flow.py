"""sprite-flow: text-to-video as layered rendering, for clips of one moving object.

A clip of one object is (what it looks like) x (where it is, how big and how turned in each
frame). This model learns both from text, and measures the second from the pixels instead of
learning an encoder for it:
- pose track: per frame, the centre of what differs from the background, its equal-area
  radius and its angle, measured by `measure_track` (no labels, no learned encoder). A rectified-flow MLP
  prior (the DiT-style one of latent-flow) learns p(track | text): where a clip starts, how
  big the object is and how fast it goes are free; the direction and kind of motion are not;
- appearance: the caption draws one RGBA sprite (a small transposed-conv net), in a canonical
  frame: centred, equal-area radius `ref_radius` px, upright;
- rotation: measured from pixels too: the turn from frame to frame is read from the phase
  of the object's strongest k-fold angular moment (k = 2..5), so it is part of the track.
  (Learning the angle through the rendering loss alone failed: the sprite of a rotating
  prompt blurred into a disc first, and a disc gives the angle no gradient.);
- rendering: a spatial transformer (affine_grid + grid_sample) puts the sprite at each
  frame's pose over a background colour; it is differentiable, so the sprite, the angle and
  the text encoder learn from an L1 loss on a few random frames per clip, with the measured
  (true) track, and the prior learns the track.
Every frame comes from one sprite and one smooth track, so motion is modelled and frames
cannot disagree. Made for one-object clips (the procedural world); latent-flow is the general
model for real footage.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..text import Vocab, build_text_encoder
from .base import System, check_words
from .flow_prior import FlowPrior, FlowPriorConfig
from .layers import coords, foreground_weight, maybe_checkpoint, pick_frames


@dataclass
class SpriteFlowConfig(FlowPriorConfig):
    sprite: int = 32          # sprite side in pixels: covers a radius-16 px circle at scale 1
    ref_radius: float = 8.0   # the sprite draws its object at this equal-area radius
    width_dec: int = 32       # sprite net channels
    prior_width: int = 256
    prior_depth: int = 3
    # A small prior errs in the tails of its distribution; 0.6 keeps most of the real spread of
    # start positions (benchmarks/results/temperature.md).
    temperature: float = 0.6
    # Shift each sampled track so that its object stays wholly inside the frame, as the object of
    # every world clip does (a prior's tail draw starts a small object half over the edge, where
    # its cut-off outline reads as another shape). False for footage whose objects leave the frame.
    in_frame: bool = True

    @property
    def latent(self) -> int:  # what the prior generates: first pose + pose changes per frame
        return POSE * self.frames - 1

    @property
    def objects(self) -> int:  # most objects one clip holds: one sprite, one track
        return 1


POSE = 4  # centre x, y, log scale, angle


PRESETS = {
    "tiny": SpriteFlowConfig(),
    # The shipped model: tiny's renderer, a wider and deeper prior (the track is what a short
    # run gets wrong last), trained longer.
    "default": SpriteFlowConfig(prior_width=384, prior_depth=4, gpu_batch_size=512),
    "large": SpriteFlowConfig(width_dec=128, hidden=1024, prior_width=1024, prior_depth=8,
                              text_dim=512, batch_size=128, dec_frames=8, gpu_batch_size=512),
}


def backgrounds(video: torch.Tensor) -> torch.Tensor:
    """Each frame's background colour (B, T, 3): the median of every 4th pixel in each direction
    (a median over all of them is the slowest part of a training step)."""
    return video[..., ::4, ::4].flatten(3).median(-1).values


SOLID = 0.3  # sprite alpha above which a pixel counts towards the object's reach
EDGE = 1.0   # px an object in frame keeps from the frame's edge (the world's start_range keeps 1)


def reach(sprites: torch.Tensor) -> torch.Tensor:
    """How far each sprite (..., 4, S, S) reaches from its centre, in sprite px (a sprite px is
    a frame px at scale 1): (...); 0 for a clear sprite. Exact for any shape and any turn, where
    an equal-area radius misses a triangle's corners by half."""
    s = sprites.shape[-1]
    axis = torch.arange(s, device=sprites.device, dtype=sprites.dtype) + 0.5 - s / 2
    dist = (axis[:, None] ** 2 + axis[None, :] ** 2).sqrt()  # (S, S)
    return (dist * (sprites[..., 3, :, :] > SOLID)).flatten(-2).amax(-1)


def into_frame(track: torch.Tensor, reach: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Tracks (N, T, 4) shifted, each as a whole, by the least that keeps an object of `reach`
    (N,) sprite px wholly inside the frame, EDGE px from its edges; speed, turn and scale are
    kept. A path too long for the frame is centred on it."""
    half = track.new_tensor([width / 2, height / 2])
    px = (track[..., :2] + 1) * half  # frame coordinates -> px from the top-left corner
    ext = reach[:, None, None] * track[..., 2:3].clamp(-2, 2).exp() + EDGE  # (N, T, 1) px
    lo = (ext - px).amax(1)  # (N, 2): the least shift that clears the left/top edge ...
    hi = (2 * half - ext - px).amin(1)  # ... the most that still clears the right/bottom one
    shift = torch.where(lo > hi, (lo + hi) / 2, lo.clamp(min=0) + hi.clamp(max=0))
    return torch.cat([track[..., :2] + (shift / half)[:, None], track[..., 2:]], -1)


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
    dist = colour_distance(video, bg)
    alpha = (dist / dist.flatten(2).amax(-1).clamp(min=1e-3)[..., None, None]).clamp_(0, 1)
    alpha.mul_(dist > NOISE_FLOOR)
    return track_of(alpha, ref_radius), bg[:, 0]


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


class SpriteNet(nn.Module):
    """caption embedding (B, D) -> sprite (B, 4, S, S): premultiplied RGB and alpha."""

    def __init__(self, c: SpriteFlowConfig, text_dim: int):
        super().__init__()
        w, self.s0 = c.width_dec, c.sprite // 4
        self.inp = nn.Sequential(nn.Linear(text_dim, c.hidden), nn.SiLU(),
                                 nn.Linear(c.hidden, w * self.s0 * self.s0))
        self.up1 = nn.ConvTranspose2d(w + 2, w // 2, 4, 2, 1)
        self.conv1 = nn.Conv2d(w // 2 + 2, w // 2, 3, 1, 1)
        self.up2 = nn.ConvTranspose2d(w // 2 + 2, 4, 4, 2, 1)

    def forward(self, e):
        n = e.shape[0]
        x = F.silu(self.inp(e)).view(n, -1, self.s0, self.s0)
        x = F.silu(self.up1(torch.cat([x, coords(n, *x.shape[2:], e.device)], 1)))
        x = F.silu(self.conv1(torch.cat([x, coords(n, *x.shape[2:], e.device)], 1))) + x
        x = self.up2(torch.cat([x, coords(n, *x.shape[2:], e.device)], 1))
        alpha = torch.sigmoid(x[:, 3:])
        return torch.cat([torch.tanh(x[:, :3]) * alpha, alpha], 1)


def render(sprite: torch.Tensor, pose: torch.Tensor, angle: torch.Tensor, bg: torch.Tensor,
           height: int, width: int, extent: float) -> torch.Tensor:
    """Warp sprites (N, 4, S, S) to poses (N, 3) and angles (N,) over colours bg (N, 3) or
    images bg (N, 3, H, W): frames (N, 3, H, W). extent: the sprite's half side in frame
    coordinates at scale 1."""
    n = sprite.shape[0]
    cx, cy = pose[:, 0], pose[:, 1]
    scale = pose[:, 2].clamp(-2, 2).exp() * extent
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # frame point p -> sprite point R(-angle) (p - centre) / scale
    theta = torch.stack([torch.stack([cos, sin, -(cos * cx + sin * cy)], -1),
                         torch.stack([-sin, cos, sin * cx - cos * cy], -1)], 1)
    grid = F.affine_grid(theta, (n, 4, height, width), align_corners=False)
    layer = F.grid_sample(sprite, grid, align_corners=False, padding_mode="zeros")
    under = bg[:, :, None, None] if bg.dim() == 2 else bg
    return layer[:, :3] + (1 - layer[:, 3:]) * under


class SpriteFlow(System):
    name = "sprite-flow"
    uses_ema = True
    compile_targets = ("sprite", "prior")

    def __init__(self, cfg: SpriteFlowConfig, vocab: Vocab):
        super().__init__()
        self.cfg = cfg
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # what it looks like
        self.motion_text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # how it moves
        d = self.text.dim
        self.sprite = SpriteNet(cfg, d)
        self.background = nn.Linear(d, 3)
        nn.init.zeros_(self.background.weight)
        nn.init.constant_(self.background.bias, 2.0)  # tanh(2) ~ white
        self.prior = FlowPrior(cfg, cfg.latent, d)  # p(pose track | motion words)
        self.extent = (cfg.sprite / 2) / (cfg.width / 2)  # sprite half side, frame coordinates
        self.checkpointing = False  # recompute draw() in backward: the frames are most of the memory

    def check_prompt(self, caption):
        return check_words(self.text, caption)

    def draw(self, e: torch.Tensor, track: torch.Tensor, sprite: torch.Tensor | None = None) -> torch.Tensor:
        """Caption embeddings (B, D), poses (B, F, 4) -> frames (B, F, 3, H, W); sprite: the
        captions' sprites (B, 4, S, S) when the caller has drawn them already."""
        return maybe_checkpoint(self, self._draw, e, track, sprite)

    def _draw(self, e, track, sprite=None):
        c = self.cfg
        b, f = track.shape[:2]
        sprite = (self.sprite(e) if sprite is None else sprite).repeat_interleave(f, 0)
        bg = torch.tanh(self.background(e.repeat_interleave(f, 0)))
        pose = track.reshape(b * f, POSE)
        frames = render(sprite, pose[:, :3], pose[:, 3], bg, c.height, c.width, self.extent)
        return frames.view(b, f, 3, c.height, c.width)

    def losses(self, video, captions, progress, targets):
        c = self.cfg
        b, t = video.shape[:2]
        bgs = backgrounds(video)
        track, _ = measure_track(video, c.ref_radius, bgs)
        fi = pick_frames(b, t, c.dec_frames, video.device)
        rows = torch.arange(b, device=video.device)[:, None]
        target = video[rows, fi]  # (B, F, 3, H, W)
        frames = self.draw(self.text(captions), track[rows, fi])
        weight = foreground_weight(target, bgs[rows, fi][..., None, None], c.fg_weight)
        recon = (weight * (frames - target).abs()).mean()
        flow = self.prior.loss(track_to_latent(track), self.motion_text(captions))
        loss = recon + c.flow_weight * flow
        return loss, {"loss": loss, "recon": recon, "flow": flow}

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        c = self.cfg
        z = self.prior.sample(self.motion_text(captions), generator, guidance=guidance,
                              temperature=temperature)
        track = latent_to_track(z, c.frames)
        e = self.text(captions)
        sprite = self.sprite(e)
        if c.in_frame:
            track = into_frame(track, reach(sprite), c.height, c.width)
        return self.draw(e, resample_track(track, frames or c.frames), sprite).clamp(-1, 1)
