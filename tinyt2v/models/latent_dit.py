"""The general model: a video autoencoder and a flow-matching transformer over its latent grid.

The field's standard recipe, small: (1) a convolutional autoencoder squeezes a clip into a
space-time grid of latents (video_autoencoder.py); (2) a DiT learns p(grid | caption) by
rectified flow (dit.py, diffusion/flow.py), reading the words by cross-attention. Nothing in it
knows the world: it trains on pixels and captions alone, the same on `--data videos:PATH`.

One run trains both in turn: the first `ae_share` of the budget the autoencoder, then the
autoencoder is frozen and the transformer learns on its standardised latents (a target that
moves under it would have to be chased). The switch happens once: a run resumed with a longer
budget stays with the transformer.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..text import Vocab, build_text_encoder
from .base import System
from .conditional_flow import ConditionalFlow
from .config import ModelConfig
from .dit import DiT
from .layers import foreground_error, pick_frames
from .video_autoencoder import VideoDecoder, VideoEncoder

TOKEN_TEXT = ("gru", "subword")  # encoders with per-word states to cross-attend to
LATENT_L2 = 1e-4  # a small pull of the latents towards 0, so their scale cannot drift off
# How far (|standardised latent| summed over channels) a cell must be from its frame's median
# to count as wholly foreground in the flow loss: on world clips the tiny autoencoder's object
# cells lie 4-14 away and half of all cells within 0.5.
FOREGROUND_DISTANCE = 4.0


@dataclass
class LatentDiTConfig(ModelConfig):
    # -- the autoencoder
    ae_width: int = 8          # channels at full resolution, doubled at each halving
    latent_channels: int = 4   # numbers per latent cell
    time_down: int = 1         # frames per latent frame; 1: an image autoencoder frame by frame,
                               # which learns the world's outlines far sooner than a 3D one
                               # (measured: benchmarks/README.md)
    ae_frames: int = 4         # frames per clip a frame-by-frame autoencoder learns from each
                               # step: a few frames of many clips teach as much as all of a few
    space_down: int = 4        # pixels per latent cell, each way
    fg_weight: float = 10.0    # objects are ~2% of world pixels: weight them up or they vanish
    latent_noise: float = 0.1  # noise on the latents while the decoder learns: it must not
                               # depend on digits the transformer will not get right
    ae_lr: float = 2e-3
    ae_share: float = 0.1      # share of the run spent on the autoencoder
    # -- the transformer
    patch: int = 2             # latent cells per token, each way in space
    time_patch: int = 4        # latent frames per token
    attention: str = "full"    # full | factorised: self-attention over all tokens, or blocks
                               # that take turns within a frame and along time
    dit_width: int = 128
    dit_depth: int = 4
    heads: int = 4
    text: str = "gru"          # gru | subword: encoders with per-word states
    text_dim: int = 128
    lr: float = 2e-3           # the transformer's learning rate
    text_lr: float = 2e-3      # the text encoder's
    caption_drop: float = 0.1  # share of captions replaced by the null text (for guidance)
    flow_fg_weight: float = 0.0  # extra flow-loss weight of latent cells unlike their frame's
                                 # typical cell (its foreground; 0: every cell alike)
    guidance: float = 4.0      # classifier-free guidance scale when sampling
    sample_steps: int = 10     # Heun steps when sampling (19 network calls)
    temperature: float = 0.7   # scale of the starting noise when sampling (below 1: fewer
                               # clips from the tails, where a small model strays most)
    # -- training
    batch_size: int = 16
    grad_clip: float = 1.0


PRESETS = {
    "tiny": LatentDiTConfig(),
    # For a GPU (benchmarks/results/latent_dit_large_h100_run1.md; run2 tried other rates).
    "large": LatentDiTConfig(ae_width=16, ae_lr=1e-3, ae_share=0.15, dit_width=256, dit_depth=6,
                             heads=4, lr=5e-4, text_lr=5e-4, batch_size=64, gpu_batch_size=256),
}


def foreground_cells(fg_weight: float):
    """Standardised latents (B, C, T', H', W') -> each cell's flow-loss weight (B, 1, T', H', W'):
    1, up to 1 + fg_weight for cells far from their frame's median cell (its foreground), as
    the autoencoder weighs pixels."""
    def weigh(data: torch.Tensor) -> torch.Tensor:
        typical = data.flatten(3).median(-1).values[..., None, None]  # (B, C, T', 1, 1)
        away = (data - typical).abs().sum(1, keepdim=True) / FOREGROUND_DISTANCE
        return 1 + fg_weight * away.clamp(max=1)
    return weigh


def _restore_stage(model: "LatentDiT", incompatible) -> None:
    model.flow_batches = int(model.latent_batches.item())
    model.transformer_stage = model.flow_batches > 0


class LatentDiT(System):
    compile_targets = ("encoder", "decoder", "flow.velocity")

    def __init__(self, cfg: LatentDiTConfig, vocab: Vocab):
        super().__init__()
        if cfg.text not in TOKEN_TEXT:
            raise ValueError(f"latent-dit reads words by cross-attention: text must be one of "
                             f"{', '.join(TOKEN_TEXT)}, got {cfg.text!r}")
        if cfg.frames % cfg.time_down or cfg.height % cfg.space_down or cfg.width % cfg.space_down:
            raise ValueError(f"latent-dit needs frames divisible by {cfg.time_down} and height and "
                             f"width by {cfg.space_down}, got {cfg.frames}x{cfg.height}x{cfg.width}")
        self.cfg = cfg
        ae = (cfg.ae_width, cfg.latent_channels, cfg.time_down, cfg.space_down)
        self.encoder, self.decoder = VideoEncoder(*ae), VideoDecoder(*ae)
        self.grid = (cfg.latent_channels, cfg.frames // cfg.time_down,
                     cfg.height // cfg.space_down, cfg.width // cfg.space_down)
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)
        # p(latent grid | words), the grid standardised per channel of the frozen encoder; a
        # channel spreads by ~0.1 early on, which a floor of 1e-3 would leave 1% short of 1
        self.flow = ConditionalFlow(DiT(self.grid, cfg.patch, cfg.dit_width, cfg.dit_depth, cfg.heads,
                                        cfg.text_dim, cfg.time_patch, cfg.attention),
                                    cfg, self.grid, cfg.text_dim, words=True, std_floor=1e-5)
        self.register_buffer("latent_batches", torch.zeros((), dtype=torch.long))
        # The same fact as a Python flag, so a step never reads a tensor to branch (a GPU sync;
        # impossible on the meta device); restored from the buffer when a checkpoint loads.
        self.transformer_stage, self.flow_batches = False, 0
        self.register_load_state_dict_post_hook(_restore_stage)

    # -- the two stages

    def autoencoder_parameters(self) -> list[nn.Parameter]:
        return [*self.encoder.parameters(), *self.decoder.parameters()]

    def stage_steps(self, step):
        # the transformer's EMA warms up from the switch, not from the run's first step (it
        # would otherwise sample with the zero-velocity init for a good part of a short run)
        return self.flow_batches if self.transformer_stage else step

    def optimizers(self):
        c = self.cfg
        ae, text = self.autoencoder_parameters(), list(self.text.parameters())
        taken = {id(p) for p in ae + text}
        rest = [p for p in self.parameters() if id(p) not in taken]
        return {"all": torch.optim.AdamW([dict(params=ae, lr=c.ae_lr), dict(params=text, lr=c.text_lr),
                                          dict(params=rest, lr=c.lr)], weight_decay=0.0)}

    def losses(self, video, captions, progress, targets):
        if progress < self.cfg.ae_share and not self.transformer_stage:
            recon = self.reconstruction_loss(video)
            return recon, {"loss": recon, "recon": recon}
        flow = self.flow_loss(video, captions)
        return flow, {"loss": flow, "flow": flow}

    def reconstruction_loss(self, video: torch.Tensor) -> torch.Tensor:
        """Foreground-weighted L1 of the autoencoder on video (B, T, 3, H, W)."""
        if self.cfg.time_down == 1 and self.cfg.ae_frames < video.shape[1]:
            _, video = pick_frames(video, self.cfg.ae_frames)
        z = self.encoder(video)
        out = self.decoder(z + self.cfg.latent_noise * torch.randn_like(z))
        bg = video.flatten(3).median(-1).values[..., None, None]  # (B, T, 3, 1, 1) per-frame background
        return foreground_error(out, video, bg, self.cfg.fg_weight) + LATENT_L2 * (z ** 2).mean()

    def flow_loss(self, video: torch.Tensor, captions: list[str]) -> torch.Tensor:
        """The transformer's rectified-flow loss on the frozen encoder's standardised latents."""
        with torch.no_grad():
            z = self.encoder(video).float()  # (B, C, T', H', W')
        self.latent_batches += 1
        self.flow_batches += 1
        # the first batch sets the statistics, later ones move them slowly
        rate = 0.01 if self.transformer_stage else 1.0
        # from here on the autoencoder stays frozen, even if a run resumed with a longer budget
        # puts progress back under ae_share
        self.transformer_stage = True
        weigh = foreground_cells(self.cfg.flow_fg_weight) if self.cfg.flow_fg_weight else None
        return self.flow.loss(z, self.text.states(captions), stats_rate=rate, weigh=weigh)

    # -- sampling

    @torch.no_grad()
    def reconstruct(self, video: torch.Tensor) -> torch.Tensor:
        """The autoencoder's copy of video (B, T, 3, H, W), clamped to [-1, 1]."""
        return self.decoder(self.encoder(video)).clamp(-1, 1)

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        c = self.cfg
        if frames is not None and not 1 <= frames <= c.frames:
            raise ValueError(f"latent-dit draws clips of up to the {c.frames} frames it was "
                             f"trained on, not {frames}")
        z = self.flow.sample(self.text.states(captions), generator, guidance=guidance, temperature=temperature)
        return self.decoder(z)[:, :frames].clamp(-1, 1)  # a shorter clip: the first frames
