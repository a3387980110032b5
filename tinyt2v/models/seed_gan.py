"""The tutorial's model, kept as the baseline: a per-frame DCGAN on a mean-of-word-embeddings
text vector.

`seed-gan` is exactly what the tutorial trains: the discriminator never sees the prompt and the
word embedding is in no optimizer, so nothing teaches the generator to follow the text, and at
inference every frame comes from independent noise. `seed-cgan` makes the smallest changes that
give a real conditional GAN: the discriminator also gets the text vector, and the embedding is
trained with the generator. Only other departure from the tutorial: an unknown word is a clear
error, not a KeyError.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from ..text import MeanWordEmbedding, Vocab
from .base import System, no_sync
from .config import ModelConfig


@dataclass
class SeedGANConfig(ModelConfig):
    conditional: bool = False  # False: seed-gan as written; True: seed-cgan
    noise_dim: int = 100       # the tutorial's noise vector
    text_dim: int = 10         # the tutorial's bag-of-words embedding
    lr: float = 2e-4           # the tutorial's Adam settings ...
    betas: tuple[float, float] = (0.5, 0.999)  # ... (its two optimizers do not use beta2)
    batch_size: int = 16
    frames: int = 10           # the tutorial's clips


# "seed" is the tutorial's own clip length; "tiny" the same model under the CLI's default name
PRESETS = {"tiny": SeedGANConfig(), "seed": SeedGANConfig(), "default": SeedGANConfig(frames=16)}


class Generator(nn.Module):
    """(noise (B, 100), text (B, 10)) -> frame (B, 3, 64, 64) in [-1, 1]."""

    def __init__(self, noise_dim: int, text_dim: int):
        super().__init__()
        self.fc1 = nn.Linear(noise_dim + text_dim, 256 * 8 * 8)
        self.deconv1 = nn.ConvTranspose2d(256, 128, 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.deconv3 = nn.ConvTranspose2d(64, 3, 4, 2, 1)
        self.relu = nn.ReLU(True)

    def forward(self, noise, text):
        x = self.fc1(torch.cat([noise, text], 1)).view(-1, 256, 8, 8)
        x = self.relu(self.deconv1(x))
        x = self.relu(self.deconv2(x))
        return torch.tanh(self.deconv3(x))


class Discriminator(nn.Module):
    """frame (B, 3, 64, 64) [, text (B, 10)] -> probability real (B, 1)."""

    def __init__(self, text_dim: int = 0):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 4, 2, 1)
        self.conv2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.conv3 = nn.Conv2d(128, 256, 4, 2, 1)
        self.fc1 = nn.Linear(256 * 8 * 8 + text_dim, 1)  # cgan: the text joins the features
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x, text=None):
        x = self.act(self.conv3(self.act(self.conv2(self.act(self.conv1(x))))))
        x = x.reshape(-1, 256 * 8 * 8)
        if text is not None:
            x = torch.cat([x, text], 1)
        return torch.sigmoid(self.fc1(x))


class SeedGAN(System):

    def __init__(self, cfg: SeedGANConfig, vocab: Vocab):
        super().__init__()
        if (cfg.height, cfg.width) != (64, 64):
            raise ValueError(f"seed-gan makes 64x64 frames only, got {cfg.height}x{cfg.width}")
        self.cfg = cfg
        self.text = MeanWordEmbedding(vocab, cfg.text_dim)
        self.netG = Generator(cfg.noise_dim, cfg.text_dim)
        self.netD = Discriminator(cfg.text_dim if cfg.conditional else 0)
        self.bce = nn.BCELoss()

    def optimizers(self):
        g_params = list(self.netG.parameters())
        if self.cfg.conditional:
            g_params += list(self.text.parameters())
        return {"D": torch.optim.Adam(self.netD.parameters(), lr=self.cfg.lr, betas=self.cfg.betas),
                "G": torch.optim.Adam(g_params, lr=self.cfg.lr, betas=self.cfg.betas)}

    def check_prompt(self, caption: str) -> list[str]:
        self.text([caption])  # raises UnknownWordError naming the words
        return []

    def criterion(self, prob: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # The tutorial's D ends in a sigmoid and BCE on its probability, which autocast refuses
        # in bf16 (log of a rounded probability): the loss is taken in float32.
        kind = prob.device.type  # the meta device of the tests has no autocast to turn off
        with (torch.autocast(kind, enabled=False) if torch.amp.is_autocast_available(kind)
              else contextlib.nullcontext()):
            return self.bce(prob.float(), target)

    def train_step(self, video, captions, opts, sync=no_sync):
        # two optimizers stepping in turn: train.py refuses accumulation and averages gradients
        # through sync
        losses = self.adversarial_step(video, captions, opts, sync)
        return {k: v.item() for k, v in losses.items()}

    def adversarial_step(self, video, captions, opts, sync=no_sync) -> dict[str, torch.Tensor]:
        """One D step, then one G step; their losses as tensors on the device."""
        # The tutorial trains on single frames: one random frame of each clip.
        b, t = video.shape[:2]
        dev = video.device
        idx = torch.randint(t, (b,), device=dev)
        real = video[torch.arange(b, device=dev), idx]  # (B, 3, H, W)
        cond = self.cfg.conditional
        text = self.text(captions)
        ones, zeros = torch.ones(b, 1, device=dev), torch.zeros(b, 1, device=dev)

        opts["D"].zero_grad()
        d_real = self.criterion(self.netD(real, text.detach() if cond else None), ones)
        d_real.backward()
        fake = self.netG(torch.randn(b, self.cfg.noise_dim, device=dev), text)
        d_fake = self.criterion(self.netD(fake.detach(), text.detach() if cond else None), zeros)
        d_fake.backward()
        sync(self.netD.parameters())
        opts["D"].step()

        opts["G"].zero_grad()
        self.text.embed.weight.grad = None
        g_loss = self.criterion(self.netD(fake, text if cond else None), ones)
        g_loss.backward()
        sync(p for g in opts["G"].param_groups for p in g["params"])
        opts["G"].step()
        self.netD.zero_grad(set_to_none=True)  # D's grads from the G step are not used
        return {"loss_D": (d_real + d_fake).detach(), "loss_G": g_loss.detach()}

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        frames = frames or self.cfg.frames
        text = self.text(captions)  # (B, 10)
        b = len(captions)
        # Every frame from independent noise: the tutorial has no motion model.
        # drawn on the CPU generator, so a seed gives the same clips on every device
        noise = torch.randn(b * frames, self.cfg.noise_dim, generator=generator).to(text.device)
        out = self.netG(noise, text.repeat_interleave(frames, 0))
        return out.view(b, frames, 3, 64, 64)
