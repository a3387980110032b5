"""An object layer over a canvas: what differs from the stabilised background, drawn as a sprite.

Wang & Adelson split a clip into layers by motion: once the background's motion is known and
the background drawn where each frame shows it, what differs from it is another layer. Here
that layer is measured, not learned: its coverage is each pixel's colour distance from the
background the model draws for that frame (the canvas seen through the camera track), and its
pose track (centre, size, turn) comes from that coverage as sprite-flow's track comes from an
object's difference from a plain colour (`tracks.track_of`). The layer's look is a caption's
RGBA sprite (`SpriteNet`, as sprite-flow's) whose colour a clip may shift (an offset fitted by
least squares and drawn by the model's window prior), so one sprite serves a subject filmed in
many colours; its track is learned by a flow prior from the motion words.

One object per clip: the largest thing that differs from the canvas. As the canvas is learned,
a thing that stays put in every clip of it (a lamp post, the coffee cup's handle) becomes part
of it; a thing that moves over it stays an object.
"""
from __future__ import annotations

import torch
from torch import nn

from .flow_prior import FlowPrior
from .sprites import SpriteNet, into_frame, reach, sprite_extent, warp
from .tracks import POSE, latent_to_track, resample_track, track_of, track_to_latent

OFFSET = 3         # a clip's shift of its sprite's colour, per channel
OBJECT_FLOOR = 0.2  # colour distance (in [-1, 1] units: 25 grey levels) under which a pixel is the
                    # canvas drawn a little off, not an object


def differs(video: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """How much of each pixel (B, T, H, W) in [0, 1] is object: its colour distance from the
    background (B, T, 3, H, W) relative to the frame's largest, none under OBJECT_FLOOR."""
    dist = (video - background).norm(dim=2)
    alpha = (dist / dist.flatten(2).amax(-1).clamp(min=1e-3)[..., None, None]).clamp(0, 1)
    return alpha * (dist > OBJECT_FLOOR)


def offset_fit(layer: torch.Tensor, under: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The colour offset (B, 3) per clip that, added to the layers' colour where they cover,
    best draws the targets: layers (B, F, 4, H, W) over `under` (B, F, 3, H, W), by least
    squares (target - drawn = alpha * offset)."""
    alpha = layer[:, :, 3:]
    drawn = layer[:, :, :3] + (1 - alpha) * under
    num = (alpha * (target - drawn)).sum((1, 3, 4))
    return num / alpha.square().sum((1, 3, 4)).clamp(min=1.0)


def over(layer: torch.Tensor, offset: torch.Tensor, under: torch.Tensor) -> torch.Tensor:
    """Layers (B, F, 4, H, W) with their colour shifted by `offset` (B, 3) over `under`."""
    alpha = layer[:, :, 3:]
    return layer[:, :, :3] + alpha * offset[:, None, :, None, None] + (1 - alpha) * under


class ObjectLayer(nn.Module):
    """A caption's sprite and a flow prior over its pose track. c: the model's config (sprite,
    ref_radius, width_dec, hidden, frames, width, height and the flow prior's fields)."""

    def __init__(self, c, text_dim: int):
        super().__init__()
        self.cfg = c
        self.sprite = SpriteNet(c, text_dim)
        self.prior = FlowPrior(c, POSE * c.frames - 1, text_dim)  # p(pose track | motion words)
        self.extent = sprite_extent(c.sprite, c.width)

    def layers(self, sprite: torch.Tensor, track: torch.Tensor) -> torch.Tensor:
        """Sprites (B, 4, S, S) at poses (B, F, 4) -> layers (B, F, 4, H, W)."""
        c = self.cfg
        b, f = track.shape[:2]
        pose = track.reshape(b * f, POSE)
        layer = warp(sprite.repeat_interleave(f, 0), pose[:, :3], pose[:, 3], c.height, c.width, self.extent)
        return layer.view(b, f, 4, c.height, c.width)

    def losses(self, e, motion_e, video, background, frames, under):
        """The object of clips `video` (B, T, ...) over their drawn `background` (B, T, 3, H, W):
        its track measured, its sprite drawn at `frames` (B, F) over `under` (the background there,
        with gradient). Returns the drawn frames, each pixel's weight (objects weighed up: they
        are a few percent of a frame), the clips' colour offsets and the prior's loss."""
        alpha = differs(video, background.detach())
        track = track_of(alpha, self.cfg.ref_radius)
        rows = torch.arange(video.shape[0], device=video.device)[:, None]
        layer = self.layers(self.sprite(e), track[rows, frames])
        target = video[rows, frames]
        offset = offset_fit(layer.detach(), under.detach(), target)
        weight = 1 + self.cfg.fg_weight * alpha[rows, frames][:, :, None]
        return over(layer, offset, under), weight, offset, self.prior.loss(track_to_latent(track), motion_e)

    @torch.no_grad()
    def sample(self, e, motion_e, offset, under, generator, guidance=None, temperature=None):
        """The captions' objects (with colour offsets (B, 3)) drawn over `under` (B, F, 3, H, W)."""
        c = self.cfg
        track = latent_to_track(self.prior.sample(motion_e, generator, guidance=guidance, temperature=temperature),
                                c.frames)
        sprite = self.sprite(e)
        track = resample_track(into_frame(track, reach(sprite), c.height, c.width), under.shape[1])
        return over(self.layers(sprite, track), offset, under)
