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

from dataclasses import dataclass

import torch

from ..text import Vocab, build_text_encoder
from .base import System
from .flow_prior import FlowPrior, FlowPriorConfig
from .layers import Recomputable, foreground_error, maybe_checkpoint, pick_frames
from .sprites import (
    BackgroundHead,
    SpriteNet,
    into_frame,
    layer_reach,
    move_layer,
    reach,
    render,
    shortened,
    sprite_extent,
)
from .tracks import (
    POSE,
    backgrounds,
    coverage,
    latent_to_track,
    measure_track,
    resample_track,
    track_of,
    track_to_latent,
)


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


PRESETS = {
    "tiny": SpriteFlowConfig(),
    # The shipped model: tiny's renderer, a wider and deeper prior (the track is what a short
    # run gets wrong last), trained longer.
    "default": SpriteFlowConfig(prior_width=384, prior_depth=4, gpu_batch_size=512),
    "large": SpriteFlowConfig(width_dec=128, hidden=1024, prior_width=1024, prior_depth=8,
                              text_dim=512, batch_size=128, dec_frames=8, gpu_batch_size=512),
}


class SpriteFlow(Recomputable, System):  # recomputes draw(): the frames are most of the memory
    compile_targets = ("sprite", "prior")
    animates = True

    def __init__(self, cfg: SpriteFlowConfig, vocab: Vocab):
        super().__init__()
        self.cfg = cfg
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # what it looks like
        self.motion_text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # how it moves
        d = self.text.dim
        self.sprite = SpriteNet(cfg, d)
        self.background = BackgroundHead(d)
        self.prior = FlowPrior(cfg, cfg.latent, d)  # p(pose track | motion words)
        self.extent = sprite_extent(cfg.sprite, cfg.width)

    def draw(self, e: torch.Tensor, track: torch.Tensor, sprite: torch.Tensor | None = None) -> torch.Tensor:
        """Caption embeddings (B, D), poses (B, F, 4) -> frames (B, F, 3, H, W); sprite: the
        captions' sprites (B, 4, S, S) when the caller has drawn them already."""
        return maybe_checkpoint(self, self._draw, e, track, sprite)

    def _draw(self, e, track, sprite=None):
        c = self.cfg
        b, f = track.shape[:2]
        sprite = (self.sprite(e) if sprite is None else sprite).repeat_interleave(f, 0)
        bg = self.background(e.repeat_interleave(f, 0))
        pose = track.reshape(b * f, POSE)
        frames = render(sprite, pose[:, :3], pose[:, 3], bg, c.height, c.width, self.extent)
        return frames.view(b, f, 3, c.height, c.width)

    def losses(self, video, captions, progress, targets):
        c = self.cfg
        b = video.shape[0]
        bgs = backgrounds(video)
        track, _ = measure_track(video, c.ref_radius, bgs)
        fi, target = pick_frames(video, c.dec_frames)  # (B, F), (B, F, 3, H, W)
        rows = torch.arange(b, device=video.device)[:, None]
        frames = self.draw(self.text(captions), track[rows, fi])
        recon = foreground_error(frames, target, bgs[rows, fi][..., None, None], c.fg_weight)
        flow = self.prior.loss(track_to_latent(track), self.motion_text(captions))
        loss = recon + c.flow_weight * flow
        return loss, {"loss": loss, "recon": recon, "flow": flow}

    def _track(self, captions, generator, guidance, temperature) -> torch.Tensor:
        z = self.prior.sample(self.motion_text(captions), generator, guidance=guidance, temperature=temperature)
        return latent_to_track(z, self.cfg.frames)

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        c = self.cfg
        track = self._track(captions, generator, guidance, temperature)
        e = self.text(captions)
        sprite = self.sprite(e)
        if c.in_frame:
            track = into_frame(track, reach(sprite), c.height, c.width)
        return self.draw(e, resample_track(track, frames or c.frames), sprite).clamp(-1, 1)

    @torch.no_grad()
    def animate(self, stills, captions, generator, frames=None, guidance=None, temperature=None):
        """Stills (B, 3, H, W) of one object over a plain colour, moved as the captions' motion
        words say: the object's pose in the still is measured as a training clip's is, a track
        drawn from the prior gives the change from its first pose, and the still's own object
        layer is moved by that change (`move_layer`), so the first frame is the still. A change
        that would take the object out of the frame is cut short (`shortened`)."""
        c = self.cfg
        track = resample_track(self._track(captions, generator, guidance, temperature), frames or c.frames)
        bg = backgrounds(stills[:, None])  # (B, 1, 3)
        alpha = coverage(stills[:, None], bg)  # (B, 1, H, W)
        centre = track_of(alpha, c.ref_radius)[:, 0, :2]
        alpha = alpha[:, 0]
        change = shortened(track - track[:, :1], centre, layer_reach(alpha, centre), c.height, c.width)
        layer = torch.cat([stills - (1 - alpha[:, None]) * bg[:, 0, :, None, None], alpha[:, None]], 1)
        return move_layer(layer, centre, change, bg[:, 0]).clamp(-1, 1)
