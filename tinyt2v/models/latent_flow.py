"""tinyt2v's main model: a clip autoencoder with a text-conditioned flow-matching prior.

Why this shape (measured on a 2-core CPU, see benchmarks/README.md): pixel-space video
diffusion spends its compute denoising 196k pixels per clip for hundreds of steps; here a clip
is one small latent vector, so
- the autoencoder learns the video: a per-frame CNN encoder + temporal MLP squeezes the clip
  into `latent` numbers, and a decoder renders frame t from (latent, t). Every frame comes
  from the same latent, so motion is modelled and frames cannot flicker apart;
- the prior learns the text: a small MLP with adaLN-Zero conditioning (DiT) maps noise to a
  latent by rectified flow, guided by the caption (classifier-free guidance), in ~10 Heun steps
  that cost microseconds.
Training decodes only a few random frames per clip (the decoder is per-frame), which is what
makes a CPU step cheap. Both parts train together; the prior sees the encoder's (detached)
latents, standardised by running statistics.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ..text import Vocab, build_text_encoder
from .base import System
from .flow_prior import FlowPrior, FlowPriorConfig
from .layers import Recomputable, coords, foreground_error, fourier, maybe_checkpoint, pick_frames

FRAME_TIME_FREQUENCIES = 8  # fourier features of a frame's time in the clip, beside the latent


@dataclass
class LatentFlowConfig(FlowPriorConfig):
    text: str = "mean"        # word embeddings learn text -> latent reliably where a GRU
                              # may not (benchmarks/results/latent_overfit_seeds.md)
    latent: int = 24          # numbers per clip
    width_enc: int = 16       # encoder base channels
    width_dec: int = 32       # decoder channels at 16x16 (halved at each 2x upsample)
    hidden: int = 256         # MLP width of the encoder's temporal head and decoder's frame head
    enc_frames: int = 8       # encoder sees this many evenly spaced frames
    latent_noise: float = 0.1
    latent_l2: float = 1e-3
    decoder: str = "dense"    # dense | broadcast
    compose: bool = False     # frame = background + alpha * (colour - background): one mask
                              # channel to learn, colours read off the code (False: free RGB)
    loss: str = "l1"          # l1 | l2 pixel loss (l1 keeps edges sharper)
    aux_weight: float = 0.3   # weight of the auxiliary heads' loss (0: off)
    label_heads: dict | None = None  # label name -> outputs ("scalars": regression): auxiliary
                              # heads on the latent, filled in by training on a labelled world;
                              # None for footage without labels
    freeze_encoder_at: float = 0.7  # fraction of the run after which the encoder is frozen,
                                    # so the prior's targets stop moving and it can converge


PRESETS = {
    "tiny": LatentFlowConfig(),
    # The shipped model: tiny's encoder and prior, a wider decoder (shape detail is what a
    # short run learns last), trained longer.
    "default": LatentFlowConfig(width_dec=48),
    "large": LatentFlowConfig(latent=64, width_enc=64, width_dec=128, hidden=1024,
                              prior_width=1024, prior_depth=8, enc_frames=16, dec_frames=8,
                              batch_size=128, gpu_batch_size=512),
}


class Encoder(Recomputable, nn.Module):
    """video (B, T', 3, H, W) -> latent mean (B, latent)."""

    def __init__(self, c: LatentFlowConfig):
        super().__init__()
        w = c.width_enc
        self.convs = nn.ModuleList([nn.Conv2d(5, w, 4, 2, 1), nn.Conv2d(w, 2 * w, 4, 2, 1),
                                    nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.Conv2d(4 * w, 4 * w, 4, 2, 1)])
        cells = (c.height // 16) * (c.width // 16)
        self.frame = nn.Linear(4 * w * cells, c.hidden)
        self.clip = nn.Sequential(nn.SiLU(), nn.Linear(c.enc_frames * c.hidden, c.hidden), nn.SiLU(),
                                  nn.Linear(c.hidden, c.latent))

    def forward(self, video):
        return maybe_checkpoint(self, self._encode, video)

    def _encode(self, video):
        b, t = video.shape[:2]
        x = rearrange(video, "b t c h w -> (b t) c h w")
        # Subtract each frame's median colour: the background becomes ~0 and the object stands
        # out, and the label heads learn faster than on raw pixels (benchmarks/README.md).
        x = x - x.flatten(2).median(-1).values[..., None, None]
        x = torch.cat([x, coords(x.shape[0], *x.shape[2:], x.device)], 1)
        for conv in self.convs:
            x = F.silu(conv(x))
        x = self.frame(x.flatten(1))  # (B*T', hidden)
        return self.clip(rearrange(x, "(b t) d -> b (t d)", b=b))


class Decoder(Recomputable, nn.Module):
    """(latent (N, latent), time (N,) in [0, 1]) -> frame (N, 3, H, W): one frame per pair.

    "broadcast": the frame code is copied to every cell of a H/4 x W/4 grid beside the cell's
    coordinates and mixed by 1x1 convolutions (spatial broadcast decoder, Watters et al. 2019),
    so drawing "a blob at (x, y)" is a per-cell comparison instead of a learned lookup table.
    "dense": a linear layer writes the H/8 x W/8 map (DCGAN style).
    """

    def __init__(self, c: LatentFlowConfig):
        super().__init__()
        w = c.width_dec
        self.kind = c.decoder
        self.mlp = nn.Sequential(nn.Linear(c.latent + 2 * FRAME_TIME_FREQUENCIES + 1, c.hidden), nn.SiLU(),
                                 nn.Linear(c.hidden, c.hidden))
        if self.kind == "dense":
            self.h0, self.w0 = c.height // 8, c.width // 8
            self.dense = nn.Linear(c.hidden, 2 * w * self.h0 * self.w0)
            self.up1 = nn.ConvTranspose2d(2 * w + 2, w, 4, 2, 1)      # 8 -> 16
            self.conv1 = nn.Conv2d(w + 2, w, 3, 1, 1)
        elif self.kind == "broadcast":
            self.h0, self.w0 = c.height // 4, c.width // 4
            self.cell = nn.Sequential(nn.Conv2d(c.hidden + 2, 2 * w, 1), nn.SiLU(),
                                      nn.Conv2d(2 * w, w, 1))
        else:
            raise ValueError(f"unknown decoder {self.kind!r}; choose broadcast or dense")
        self.up2 = nn.ConvTranspose2d(w, w // 2, 4, 2, 1)              # 16 -> 32
        self.conv2 = nn.Conv2d(w // 2 + 2, w // 2, 3, 1, 1)
        self.compose = c.compose
        self.up3 = nn.ConvTranspose2d(w // 2 + 2, 1 if c.compose else 3, 4, 2, 1)  # 32 -> 64
        self.colors = nn.Linear(c.hidden, 6)  # object and background colour (compose)

    def forward(self, z, t):
        return maybe_checkpoint(self, self._decode, z, t)

    def _decode(self, z, t):
        n = z.shape[0]
        h = self.mlp(torch.cat([z, fourier(t, FRAME_TIME_FREQUENCIES)], -1))
        if self.kind == "dense":
            x = F.silu(self.dense(F.silu(h))).view(n, -1, self.h0, self.w0)
            x = F.silu(self.up1(torch.cat([x, coords(n, *x.shape[2:], x.device)], 1)))
            x = F.silu(self.conv1(torch.cat([x, coords(n, *x.shape[2:], x.device)], 1))) + x
        else:
            grid = F.silu(h)[:, :, None, None].expand(n, h.shape[1], self.h0, self.w0)
            x = F.silu(self.cell(torch.cat([grid, coords(n, self.h0, self.w0, z.device)], 1)))
        x = F.silu(self.up2(x))
        x = F.silu(self.conv2(torch.cat([x, coords(n, *x.shape[2:], x.device)], 1))) + x
        x = self.up3(torch.cat([x, coords(n, *x.shape[2:], x.device)], 1))
        if not self.compose:
            return x
        fg, bg = torch.tanh(self.colors(F.silu(h))).view(n, 2, 3, 1, 1).unbind(1)
        return bg + torch.sigmoid(x) * (fg - bg)


def encoded_frames(frames: int, n: int, device) -> torch.Tensor:
    """The n evenly spaced frame indices of a clip the encoder reads."""
    return torch.linspace(0, frames - 1, n, device=device).round().long()


class LatentFlow(System):
    compile_targets = ("encoder", "decoder", "prior")

    def __init__(self, cfg: LatentFlowConfig, vocab: Vocab):
        super().__init__()
        if cfg.height % 16 or cfg.width % 16:
            raise ValueError(f"latent-flow needs height and width divisible by 16, got "
                             f"{cfg.height}x{cfg.width}")
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)
        self.prior = FlowPrior(cfg, cfg.latent, self.text.dim)  # p(clip latent | caption)
        # Auxiliary heads: on the procedural world the labels are free, and asking the latent to
        # predict them organises it (where, what, how it moves) long before pixels alone would.
        heads = dict(cfg.label_heads or {})
        scalars = heads.pop("scalars", 0)
        self.aux = nn.ModuleDict({k: nn.Linear(cfg.latent, n) for k, n in heads.items()})
        self.aux_scalar = nn.Linear(cfg.latent, scalars) if scalars else None

    def parts(self) -> tuple[list, list]:
        """(autoencoder parameters, prior + text parameters)."""
        ae = [p for m in (self.encoder, self.decoder, self.aux, self.aux_scalar) if m is not None
              for p in m.parameters()]
        ids = {id(p) for p in ae}
        return ae, [p for p in self.parameters() if id(p) not in ids]


    def aux_loss(self, mu: torch.Tensor, targets: dict[str, torch.Tensor]) -> torch.Tensor:
        """Cross-entropy per categorical head plus the scalars' squared error."""
        loss = mu.new_zeros(())
        for k, head in self.aux.items():
            loss = loss + F.cross_entropy(head(mu), targets[k])
        if self.aux_scalar is not None:
            loss = loss + F.mse_loss(self.aux_scalar(mu), targets["scalars"])
        return loss

    def losses(self, video, captions, progress, targets):
        c = self.cfg
        b, t = video.shape[:2]
        enc_idx = encoded_frames(t, c.enc_frames, video.device)
        frozen = progress >= c.freeze_encoder_at
        self.encoder.requires_grad_(not frozen)
        with torch.set_grad_enabled(not frozen):
            mu = self.encoder(video[:, enc_idx])  # (B, latent)
        z = mu + c.latent_noise * torch.randn_like(mu)
        fi, target = pick_frames(video, c.dec_frames)  # (B, F), (B, F, 3, H, W)
        frames = self.decoder(z.repeat_interleave(c.dec_frames, 0), (fi.flatten() / (t - 1)).float())
        target = rearrange(target, "b f c h w -> (b f) c h w")
        bg = target.flatten(2).median(-1).values[..., None, None]  # (N, 3, 1, 1)
        recon = foreground_error(frames, target, bg, c.fg_weight, c.loss)
        # Once the encoder is frozen its latents stop moving: let the statistics settle too.
        fl = self.prior.loss(mu.detach(), self.text(captions), stats_rate=0.001 if frozen else 0.01)
        loss = recon + c.latent_l2 * (mu ** 2).mean() + c.flow_weight * fl
        use_aux = targets is not None and c.label_heads and c.aux_weight and not frozen
        aux = self.aux_loss(mu, targets) if use_aux else None
        if aux is not None:
            loss = loss + c.aux_weight * aux
        logs = {"loss": loss, "recon": recon, "flow": fl}
        if aux is not None:
            logs["aux"] = aux
        return loss, logs

    def clip_gradients(self):
        # Clip the autoencoder and the prior apart: the prior's early gradients are large, and one
        # global clip would shrink the autoencoder's updates with them.
        for part in self.parts():
            torch.nn.utils.clip_grad_norm_(part, self.cfg.grad_clip)

    @torch.no_grad()
    def reconstruct(self, video: torch.Tensor) -> torch.Tensor:
        """The autoencoder's copy of video (B, T, 3, H, W): encoded to one latent, decoded."""
        t = video.shape[1]
        return self.decode(self.encoder(video[:, encoded_frames(t, self.cfg.enc_frames, video.device)]), t)

    def decode(self, z: torch.Tensor, frames: int) -> torch.Tensor:
        """latents (B, latent) -> videos (B, T, 3, H, W) in [-1, 1]."""
        b = z.shape[0]
        t = torch.linspace(0, 1, frames, device=z.device).repeat(b)
        out = self.decoder(z.repeat_interleave(frames, 0), t).clamp(-1, 1)
        return rearrange(out, "(b t) c h w -> b t c h w", b=b)

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        z = self.prior.sample(self.text(captions), generator, guidance=guidance, temperature=temperature)
        return self.decode(z, frames or self.cfg.frames)
