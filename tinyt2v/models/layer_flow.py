"""layer-flow: text-to-video for footage, as a still image seen through a moving camera.

Real clips rarely have a plain background and a still camera. The classical layered reading of
moving images (Wang & Adelson 1994) splits a clip into a background image larger than the
frame and the motion that shows it, both measured from the pixels. This model learns that from
text, as sprite-flow learns its sprite and track:
- camera track: per frame, the shift and zoom of the view of the first frame, measured by
  `camera.measure_camera` (global Lucas-Kanade; no labels, no learned encoder). A rectified-flow
  prior learns p(track | motion words), as sprite-flow's learns its pose track;
- atlas: one image per caption that every clip of it shows a window of (`AtlasBank`); each
  clip's first frame is placed in it by `atlas.place` (correlation search), and a second prior
  learns p(first window | caption);
- rendering: the atlas seen through the first window moved by the camera (affine_grid +
  grid_sample), compared with a few random frames per clip (L1): the atlas learns from that.
Every frame comes from one image and one smooth track, so the camera's motion is modelled
rather than smeared across a clip latent, which is what latent-flow and latent-dit do with the
same footage (benchmarks/results/footage.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..text import Vocab, build_text_encoder
from .base import System
from .atlas import place
from .camera import CAMERA, affine, measure_camera
from .flow_prior import FlowPrior, FlowPriorConfig
from .layers import pick_frames


@dataclass
class LayerFlowConfig(FlowPriorConfig):
    text: str = "mean"          # word embeddings: subject and motion words are what matter
    atlas_side: int = 128       # atlas px; a frame spans 2 * half side of it
    atlases: int = 32           # images in the bank a caption's atlas is mixed from: subjects
                                # beyond this many share images (and blur)
    atlas_temperature: float = 1.0  # of the caption's softmax over the bank (lower: a caption
                                    # mixes fewer images)
    window_range: tuple[float, float] = (0.22, 0.75)  # half sides a frame's window may have in
                                # the atlas: room for a zoom of 1/0.6 and a pan of 0.7 frames
    window_sizes: int = 12      # half sides tried when placing a frame (even steps in log)
    first_window: float = 0.45  # every clip's first frame sits in the middle at this half side
                                # until align_from, so the atlas starts as their mean
    align_from: float = 0.05    # share of the run after which first frames are placed by search
    prior_width: int = 256      # each prior's velocity MLP (tiny's checkpoint: 31 MB of the 50 allowed)

    @property
    def camera_latent(self) -> int:  # what the camera prior generates: the change per frame
        return CAMERA * (self.frames - 1)


PRESETS = {
    "tiny": LayerFlowConfig(),
    "default": LayerFlowConfig(atlases=64),  # room for 64 subjects: +6 MB
}


class AtlasBank(nn.Module):
    """Caption embedding (B, D) -> atlas (B, 3, A, A) in [-1, 1]: a mix of `atlases` images
    learned pixel by pixel, weighted by a softmax the caption gives. Pixels learned directly
    sharpen in a few hundred steps, where a conv decoder of the same budget drew a blur."""

    def __init__(self, c: LayerFlowConfig, text_dim: int):
        super().__init__()
        self.images = nn.Parameter(0.01 * torch.randn(c.atlases, 3, c.atlas_side, c.atlas_side))
        self.choose = nn.Linear(text_dim, c.atlases)
        self.temperature = c.atlas_temperature

    def forward(self, e):
        weights = (self.choose(e) / self.temperature).softmax(-1)
        return torch.tanh(torch.einsum("bk,kchw->bchw", weights, self.images))


def camera_to_latent(camera: torch.Tensor) -> torch.Tensor:
    """Camera track (B, T, 3) -> (B, 3(T-1)): the change from each frame to the next (frame 0 is
    the origin by definition). The prior generates velocities, so its small errors change a
    pan's speed a little rather than making the view jitter."""
    return camera.diff(dim=1).transpose(1, 2).flatten(1)


def latent_to_camera(latent: torch.Tensor, frames: int) -> torch.Tensor:
    steps = latent.view(latent.shape[0], CAMERA, frames - 1).transpose(1, 2)
    return F.pad(steps, (0, 0, 1, 0)).cumsum(1)


def in_atlas(window: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
    """Each frame's window in the atlas (B, T, 3), from the first frame's (B, 3) and the camera
    track (B, T, 3): frame t's point p is the first frame's s_t p + c_t, the atlas's
    exp(w) (s_t p + c_t) + (x, y)."""
    scale = window[:, None, 2:].exp()
    return torch.cat([window[:, None, :2] + scale * camera[..., :2], window[:, None, 2:] + camera[..., 2:]], -1)


def inside(windows: torch.Tensor) -> torch.Tensor:
    """Windows (B, T, 3) shifted, each clip's as a whole, by the least that keeps every frame's
    window inside the atlas (centred when a clip's path is too long for it): outside it there is
    only the atlas's stretched edge."""
    half = windows[..., 2:].exp()
    lo = (half - 1 - windows[..., :2]).amax(1)  # (B, 2): the least shift that clears the low edge
    hi = (1 - half - windows[..., :2]).amin(1)  # the most that still clears the high edge
    shift = torch.where(lo > hi, (lo + hi) / 2, lo.clamp(min=0) + hi.clamp(max=0))
    return torch.cat([windows[..., :2] + shift[:, None], windows[..., 2:]], -1)


class LayerFlow(System):
    compile_targets = ("window_prior", "camera_prior")

    def __init__(self, cfg: LayerFlowConfig, vocab: Vocab):
        super().__init__()
        self.cfg = cfg
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # what is seen, and where
        self.motion_text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # how the camera moves
        d = self.text.dim
        self.atlas = AtlasBank(cfg, d)
        self.window_prior = FlowPrior(cfg, CAMERA, d)  # p(first frame's window | caption)
        self.camera_prior = FlowPrior(cfg, cfg.camera_latent, d)  # p(camera track | motion words)

    def draw(self, atlas: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
        """Atlases (B, 3, A, A) seen through windows (B, F, 3) -> frames (B, F, 3, H, W)."""
        c = self.cfg
        b, f = windows.shape[:2]
        grid = F.affine_grid(affine(windows.reshape(b * f, CAMERA)), (b * f, 3, c.height, c.width),
                             align_corners=False)
        frames = F.grid_sample(atlas.repeat_interleave(f, 0), grid, align_corners=False, padding_mode="border")
        return frames.view(b, f, 3, c.height, c.width)

    def losses(self, video, captions, progress, targets):
        c = self.cfg
        camera = measure_camera(video)
        e = self.text(captions)
        atlas = self.atlas(e)
        if progress < c.align_from:
            window = video.new_tensor([0.0, 0.0, math.log(c.first_window)]).expand(video.shape[0], -1)
        else:
            window = place(video[:, 0], atlas.detach(), c.window_range, c.window_sizes)
        fi, target = pick_frames(video, c.dec_frames)
        rows = torch.arange(video.shape[0], device=video.device)[:, None]
        recon = (self.draw(atlas, in_atlas(window, camera)[rows, fi]) - target).abs().mean()
        window_flow = self.window_prior.loss(window, e)
        camera_flow = self.camera_prior.loss(camera_to_latent(camera), self.motion_text(captions))
        loss = recon + c.flow_weight * (window_flow + camera_flow)
        return loss, {"loss": loss, "recon": recon, "window_flow": window_flow, "camera_flow": camera_flow}

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        c = self.cfg
        e = self.text(captions)
        window = self.window_prior.sample(e, generator, guidance=guidance, temperature=temperature)
        camera = latent_to_camera(self.camera_prior.sample(self.motion_text(captions), generator,
                                                           guidance=guidance, temperature=temperature), c.frames)
        if frames and frames != c.frames:
            camera = F.interpolate(camera.transpose(1, 2), size=frames, mode="linear",
                                   align_corners=True).transpose(1, 2)
        return self.draw(self.atlas(e), inside(in_atlas(window, camera))).clamp(-1, 1)
