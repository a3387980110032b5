"""layer-flow: text-to-video for footage, as a canvas seen through a moving camera.

Real clips rarely have a plain background and a still camera. The classical layered reading of
moving images (Wang & Adelson 1994) splits a clip into a background image larger than the
frame and the motion that shows it, both measured from the pixels. This model learns that from
text, as sprite-flow learns its sprite and track:
- camera track: per frame, the shift and zoom of the view of the first frame, measured by
  `camera.measure_camera` (global Lucas-Kanade; no labels, no learned encoder). A rectified-flow
  prior learns p(track | motion words), exactly as sprite-flow's learns its pose track;
- canvas: the frames warped back onto the first frame's coordinates (`camera.stabilise`),
  `canvas_reach` times the frame's half side each way, squeezed by a small conv autoencoder into
  a grid latent; a second flow prior learns p(canvas latent | caption). The decoder also reads
  the caption, so the grid only has to say which part of the subject is in view;
- rendering: the decoded canvas warped by each frame's camera (affine_grid + grid_sample),
  compared with a few random frames per clip (L1).
Every frame comes from one canvas and one smooth track, so the camera's motion is modelled
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
from .camera import CAMERA, measure_camera, stabilise, view
from .flow_prior import FlowPrior, FlowPriorConfig
from .layers import Recomputable, coords, maybe_checkpoint, pick_frames


@dataclass
class LayerFlowConfig(FlowPriorConfig):
    text: str = "mean"          # word embeddings: subject and motion words are what matter
    canvas_reach: float = 1.75  # the canvas covers the first frame's [-reach, reach]^2: room
                                # for a pan of 0.7 frame widths or a zoom out to 1/0.6
    canvas_down: int = 8        # the canvas latent grid's side is the canvas side / this (a power of 2)
    canvas_channels: int = 4    # channels of the canvas latent grid
    width_enc: int = 32         # canvas encoder base channels
    width_dec: int = 64         # canvas decoder channels at the latent grid (halved per 2x up)
    caption_channels: int = 16  # caption features broadcast beside the latent grid
    latent_noise: float = 0.1   # noise added to the canvas latent in training, so that the
                                # decoder tolerates the prior's errors
    latent_l2: float = 1e-3     # keeps the latent near 0 for the prior
    freeze_encoder_at: float = 0.7  # share of the run after which the encoder is frozen, so the
                                    # canvas prior's targets stop moving and it can converge
    prior_width: int = 256    # each prior's velocity MLP: the checkpoint stays near 15 MB

    @property
    def canvas_side(self) -> int:  # canvas px: a frame px each, a multiple of canvas_down
        return self.canvas_down * max(1, round(self.canvas_reach * self.width / self.canvas_down))

    @property
    def canvas_grid(self) -> int:  # the latent grid's side
        return self.canvas_side // self.canvas_down

    @property
    def camera_latent(self) -> int:  # what the camera prior generates: the change per frame
        return CAMERA * (self.frames - 1)


PRESETS = {
    "tiny": LayerFlowConfig(),
    "default": LayerFlowConfig(width_enc=48, width_dec=96, prior_width=384),
}


def _up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.SiLU(),
                         nn.Conv2d(c_out, c_out, 3, 1, 1), nn.SiLU())


class CanvasEncoder(Recomputable, nn.Module):
    """Stabilised canvas at half resolution (B, 3, S/2, S/2) and where it was seen
    (B, 1, S/2, S/2) -> latent grid (B, C, g, g), g = S / canvas_down."""

    def __init__(self, c: LayerFlowConfig):
        super().__init__()
        w = c.width_enc
        chans = (6, w, 2 * w, 4 * w)[:int(math.log2(c.canvas_down))]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 4, 2, 1) for a, b in zip(chans, chans[1:]))
        self.out = nn.Conv2d(chans[-1], c.canvas_channels, 1)

    def forward(self, canvas, seen):
        return maybe_checkpoint(self, self._encode, canvas, seen)

    def _encode(self, canvas, seen):
        x = torch.cat([canvas * seen, seen, coords(canvas.shape[0], *canvas.shape[2:], canvas.device)], 1)
        for conv in self.convs:
            x = F.silu(conv(x))
        return self.out(x)


class CanvasDecoder(Recomputable, nn.Module):
    """(latent grid (B, C, g, g), caption embedding (B, D)) -> canvas (B, 3, S, S) in [-1, 1]."""

    def __init__(self, c: LayerFlowConfig, text_dim: int):
        super().__init__()
        w = c.width_dec
        self.caption = nn.Linear(text_dim, c.caption_channels)
        self.inp = nn.Conv2d(c.canvas_channels + c.caption_channels + 2, w, 3, 1, 1)
        chans = (w, w, w // 2, w // 4)[-int(math.log2(c.canvas_down)):]
        self.ups = nn.Sequential(*(_up(a, b) for a, b in zip(chans, chans[1:])))
        self.out = nn.ConvTranspose2d(chans[-1], 3, 4, 2, 1)  # the last 2x: no conv at full size

    def forward(self, z, e):
        return maybe_checkpoint(self, self._decode, z, e)

    def _decode(self, z, e):
        b, _, g, _ = z.shape
        cap = self.caption(e)[..., None, None].expand(-1, -1, g, g)
        x = F.silu(self.inp(torch.cat([z, cap, coords(b, g, g, z.device)], 1)))
        return torch.tanh(self.out(self.ups(x)))


def camera_to_latent(camera: torch.Tensor) -> torch.Tensor:
    """(B, T, 3) camera track -> (B, 3(T-1)): the change from each frame to the next (frame 0 is
    the origin by definition). The prior generates velocities, so its small errors change a
    pan's speed a little rather than making the view jitter."""
    return camera.diff(dim=1).transpose(1, 2).flatten(1)


def latent_to_camera(latent: torch.Tensor, frames: int) -> torch.Tensor:
    steps = latent.view(latent.shape[0], CAMERA, frames - 1).transpose(1, 2)
    return F.pad(steps, (0, 0, 1, 0)).cumsum(1)


class LayerFlow(System):
    compile_targets = ("encoder", "decoder", "canvas_prior", "camera_prior")

    def __init__(self, cfg: LayerFlowConfig, vocab: Vocab):
        super().__init__()
        self.cfg = cfg
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # what is seen
        self.motion_text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # how the camera moves
        d = self.text.dim
        g = cfg.canvas_grid
        self.encoder = CanvasEncoder(cfg)
        self.decoder = CanvasDecoder(cfg, d)
        self.canvas_prior = FlowPrior(cfg, cfg.canvas_channels * g * g, d)  # p(canvas latent | caption)
        self.camera_prior = FlowPrior(cfg, cfg.camera_latent, d)  # p(camera track | motion words)

    def draw(self, canvas: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
        """Canvases (B, 3, S, S) seen by camera tracks (B, F, 3) -> frames (B, F, 3, H, W)."""
        c = self.cfg
        b, f = camera.shape[:2]
        frames = view(canvas.repeat_interleave(f, 0), camera.reshape(b * f, CAMERA), c.canvas_reach,
                      c.height, c.width)
        return frames.view(b, f, 3, c.height, c.width)

    def losses(self, video, captions, progress, targets):
        c = self.cfg
        camera = measure_camera(video)
        canvas_in, seen = stabilise(video, camera, c.canvas_reach, c.canvas_side // 2)
        with torch.set_grad_enabled(torch.is_grad_enabled() and progress < c.freeze_encoder_at):
            z = self.encoder(canvas_in, seen)
        e = self.text(captions)
        canvas = self.decoder(z + c.latent_noise * torch.randn_like(z), e)
        fi, target = pick_frames(video, c.dec_frames)
        rows = torch.arange(video.shape[0], device=video.device)[:, None]
        recon = (self.draw(canvas, camera[rows, fi]) - target).abs().mean()
        l2 = z.pow(2).mean()
        canvas_flow = self.canvas_prior.loss(z.detach().flatten(1), e)
        camera_flow = self.camera_prior.loss(camera_to_latent(camera), self.motion_text(captions))
        loss = recon + c.latent_l2 * l2 + c.flow_weight * (canvas_flow + camera_flow)
        return loss, {"loss": loss, "recon": recon, "canvas_flow": canvas_flow, "camera_flow": camera_flow}

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        c = self.cfg
        g = c.canvas_grid
        e = self.text(captions)
        z = self.canvas_prior.sample(e, generator, guidance=guidance, temperature=temperature)
        canvas = self.decoder(z.view(-1, c.canvas_channels, g, g), e)
        camera = latent_to_camera(self.camera_prior.sample(self.motion_text(captions), generator,
                                                           guidance=guidance, temperature=temperature), c.frames)
        if frames and frames != c.frames:
            camera = F.interpolate(camera.transpose(1, 2), size=frames, mode="linear",
                                   align_corners=True).transpose(1, 2)
        return self.draw(canvas, camera).clamp(-1, 1)
