"""An object layer over a canvas: what differs from the stabilised background, drawn as a sprite.

Wang & Adelson split a clip into layers by motion: once the background's motion is known and
the background drawn where each frame shows it, what differs from it is another layer. Here
that layer is measured, not learned: its coverage is each pixel's colour distance from the
background the model draws for that frame (the canvas seen through the camera track), and its
pose track (centre, size, turn) comes from that coverage as sprite-flow's track comes from an
object's difference from a plain colour (`tracks.track_of`). The layer's look is one RGBA
sprite of a bank (`SpriteBank`), learned pixel by pixel as the canvas's atlas bank is: each
sprite is seeded by a clip's object cut out of its first frame (centred, upright, at one size),
a clip's object is drawn by the sprite its cut-out correlates with best, and the caption
learns which. A clip may shift the sprite's colour (an offset fitted by least squares and drawn
by the model's window prior), so one sprite serves a subject filmed in many colours. The track
is learned by a flow prior from the motion words. (A caption's sprite drawn by a network, as
sprite-flow's, averaged the many faces of a glyph into a blob:
benchmarks/results/objects_layer_flow_net.md.)

One object per clip: all that differs from the canvas is taken as one thing. As the canvas is
learned, a thing that stays put in every clip of it (a lamp post, the coffee cup's handle)
becomes part of it; a thing that moves over it stays an object.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .flow_prior import FlowPrior
from .sprites import into_frame, reach, sprite_extent, warp
from .tracks import POSE, latent_to_track, resample_track, track_of, track_to_latent

OFFSET = 3          # a clip's shift of its sprite's colour, per channel
MIN_OBJECT = 16     # px over half covered from which a clip's first frame has an object to seed a sprite
MAX_COVER = 0.3     # share of a first frame from which what differs is the canvas drawn wrong, not
                    # one object: such a clip seeds no sprite
OBJECT_FLOOR = 0.2  # colour distance (in [-1, 1] units: 25 grey levels) under which a pixel is the
                    # canvas drawn a little off, not an object (from as much again above the floor:
                    # all object) ...
OBJECT_SHARE = 0.25  # ... or under twice the distance this share of a frame's pixels exceed, where
                     # that is more: an object covers less of a frame, so that distance is how far
                     # off the canvas is drawn, and twice it leaves out its worst misses too


def differs(video: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """How much of each pixel (B, T, H, W) in [0, 1] is object: none at a colour distance from
    the background (B, T, 3, H, W) of the frame's floor or less, all from OBJECT_FLOOR above it
    (a glyph far from its canvas is drawn whole, not translucent, where the floor is high). The floor
    is OBJECT_FLOOR, or higher in a frame whose canvas is drawn worse: a photograph drawn a
    little soft differs from the real one at every edge (in a fifth of a glyph clip's pixels by
    more than OBJECT_FLOOR), and those edges are no object. Not relative to the frame's largest
    distance (as over a plain colour): over a photograph an object's distance from what is under
    it varies as much as the photograph does."""
    dist = (video - background).norm(dim=2)
    floor = (2 * dist.flatten(2).quantile(1 - OBJECT_SHARE, dim=2)).clamp(min=OBJECT_FLOOR)[..., None, None]
    return ((dist - floor) / OBJECT_FLOOR).clamp(0, 1)


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


def cut_out(frames: torch.Tensor, alpha: torch.Tensor, pose: torch.Tensor, side: int, extent: float) -> torch.Tensor:
    """Each frame's object (frames (B, 3, H, W), coverage (B, H, W)) at pose (B, 4) as a sprite
    (B, 4, side, side): premultiplied RGB and alpha in the sprite's frame (centred, upright, at
    scale 1), as `sprites.warp` would put it back."""
    scale = pose[:, 2].clamp(-2, 2).exp() * extent
    cos, sin = torch.cos(pose[:, 3]) * scale, torch.sin(pose[:, 3]) * scale
    # sprite point q -> frame point centre + scale R(angle) q: warp's inverse
    theta = torch.stack([torch.stack([cos, -sin, pose[:, 0]], -1), torch.stack([sin, cos, pose[:, 1]], -1)], 1)
    grid = F.affine_grid(theta, (frames.shape[0], 4, side, side), align_corners=False)
    layer = torch.cat([frames * alpha[:, None], alpha[:, None]], 1)
    return F.grid_sample(layer, grid, align_corners=False, padding_mode="zeros")


def likeness(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Correlation (N, K) of the alphas of sprites a (N, 4, S, S) and b (K, 4, S, S): both in the
    sprite's frame, so no search is needed."""
    za, zb = (x[:, 3].flatten(1) - x[:, 3].flatten(1).mean(1, keepdim=True) for x in (a, b))
    return F.normalize(za, dim=1) @ F.normalize(zb, dim=1).T


class SpriteBank(nn.Module):
    """`sprites` RGBA sprites, learned pixel by pixel, each seeded by a clip's object. As the
    canvas's atlas bank (layer_flow.AtlasBank): a clip's object is drawn by the sprite it
    correlates with best, the caption's choice as a prior (hard EM), and the caption learns it."""

    def __init__(self, c, text_dim: int):
        super().__init__()
        self.images = nn.Parameter(torch.zeros(c.sprites, 4, c.sprite, c.sprite))  # before tanh / sigmoid
        self.choose = nn.Linear(text_dim, c.sprites)  # caption -> logits over the sprites
        self.register_buffer("seeded", torch.zeros((), dtype=torch.long))  # sprites seeded so far

    def __getitem__(self, k: torch.Tensor) -> torch.Tensor:
        x = self.images[k]
        alpha = torch.sigmoid(x[:, 3:])
        return torch.cat([torch.tanh(x[:, :3]) * alpha, alpha], 1)

    @torch.no_grad()
    def seed(self, cut: torch.Tensor, ready: torch.Tensor) -> None:
        """Fill the sprites not seeded yet with cut-outs (B, 4, S, S) whose `ready` (B,) is
        true, in order (no value read back: the step never waits on the device)."""
        b, k = cut.shape[0], self.images.shape[0]
        order = torch.argsort((~ready).to(torch.uint8), stable=True)  # ready cut-outs first
        slot = torch.arange(k, device=cut.device) - self.seeded
        fill = (slot >= 0) & (slot < ready.sum())
        alpha = cut[:, 3:].clamp(0.02, 0.98)
        raw = torch.cat([torch.atanh((cut[:, :3] / alpha).clamp(-0.99, 0.99)), torch.logit(alpha)], 1)
        self.images.copy_(torch.where(fill[:, None, None, None], raw[order][slot.clamp(0, b - 1)], self.images))
        self.seeded.copy_((self.seeded + ready.sum()).clamp(max=k))


class ObjectLayer(nn.Module):
    """A bank of sprites the caption chooses from and a flow prior over the object's pose
    track. c: the model's config (sprites, sprite, ref_radius, sprite_match_weight, frames, width,
    height and the flow prior's fields)."""

    def __init__(self, c, text_dim: int):
        super().__init__()
        self.cfg = c
        self.bank = SpriteBank(c, text_dim)
        self.prior = FlowPrior(c, POSE * c.frames - 1, text_dim)  # p(pose track | motion words)
        self.extent = sprite_extent(c.sprite, c.width)

    def layers(self, sprite: torch.Tensor, track: torch.Tensor) -> torch.Tensor:
        """Sprites (B, 4, S, S) at poses (B, F, 4) -> layers (B, F, 4, H, W)."""
        c = self.cfg
        b, f = track.shape[:2]
        pose = track.reshape(b * f, POSE)
        layer = warp(sprite.repeat_interleave(f, 0), pose[:, :3], pose[:, 3], c.height, c.width, self.extent)
        return layer.view(b, f, 4, c.height, c.width)

    def losses(self, e, motion_e, video, background, frames, under, seeding: bool):
        """The object of clips `video` (B, T, ...) over their drawn `background` (B, T, 3, H, W):
        its track measured, its sprite chosen and drawn at `frames` (B, F) over `under` (the
        background there, with gradient). With `seeding`, clips' objects seed the sprites not
        seeded yet (not at the start: the canvas then still holds the objects its seeds had).
        Returns the drawn frames, each pixel's weight (objects weighed up: they are a few
        percent of a frame), the clips' colour offsets and the losses (choice, prior)."""
        c = self.cfg
        alpha = differs(video, background.detach())
        track = track_of(alpha, c.ref_radius)
        cut = cut_out(video[:, 0], alpha[:, 0], track[:, 0], c.sprite, self.extent)
        if seeding:  # an object is there, and the canvas is drawn right around it
            first = alpha[:, 0].flatten(1)
            self.bank.seed(cut, ((first > 0.5).sum(1) >= MIN_OBJECT) & ((first > 0).float().mean(1) <= MAX_COVER))
        k, logits = self._choose(cut, e)
        rows = torch.arange(video.shape[0], device=video.device)[:, None]
        layer = self.layers(self.bank[k], track[rows, frames]) * (self.bank.seeded > 0)  # none until seeded
        target = video[rows, frames]
        offset = offset_fit(layer.detach(), under.detach(), target)
        covered = alpha[rows, frames][:, :, None]
        # the canvas learns only from what is canvas: where the sprite misses its object, the
        # object's pixels (weighed up) would otherwise paint it into the canvas's image
        under = torch.lerp(under, under.detach(), covered)
        weight = 1 + c.fg_weight * covered
        losses = {"object_choice": F.cross_entropy(logits, k) * (self.bank.seeded > 0),  # nothing to choose yet
                  "object_flow": self.prior.loss(track_to_latent(track), motion_e)}
        return over(layer, offset, under), weight, offset, losses

    def _choose(self, cut: torch.Tensor, e: torch.Tensor):
        """Each clip's sprite (B,) by its cut-out's likeness, the caption's choice as a prior;
        and the caption's logits."""
        c = self.cfg
        seeded = torch.arange(c.sprites, device=cut.device) < self.bank.seeded
        logits = self.bank.choose(e)
        like = likeness(cut, self.bank[torch.arange(c.sprites, device=cut.device)].detach())
        scores = (c.sprite_match_weight * like + logits.detach().log_softmax(1)).masked_fill(~seeded, -math.inf)
        return scores.argmax(1), logits

    @torch.no_grad()
    def sample(self, e, motion_e, offset, under, generator, guidance=None, temperature=None):
        """The captions' objects (with colour offsets (B, 3)) drawn over `under` (B, F, 3, H, W)."""
        c = self.cfg
        track = latent_to_track(self.prior.sample(motion_e, generator, guidance=guidance, temperature=temperature),
                                c.frames)
        sprite = self.bank[self.bank.choose(e).argmax(1)]
        track = resample_track(into_frame(track, reach(sprite), c.height, c.width), under.shape[1])
        return over(self.layers(sprite, track), offset, under)
