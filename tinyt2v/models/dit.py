"""A space-time diffusion transformer over latent grids (DiT, Peebles & Xie 2023; Latte and
Open-Sora for video), knowing nothing of the flow it is trained for.

A latent grid (B, C, T', H', W') is cut into time_patch x patch x patch tokens (Latte's and
ViViT's "tubelets"). Self-attention is either full, one sequence over space and time, or
factorised as in Latte: blocks take turns attending within a frame and along time at one place,
which costs far less than full attention once there are many frames of tokens. The flow time and
the pooled caption steer every block through adaLN-Zero; the words themselves are read by
cross-attention (PixArt-alpha), which is what lets a token know which words are about it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .layers import Recomputable, TimeEmbedding, maybe_checkpoint, mlp


def sincos_positions(t: int, h: int, w: int, dim: int) -> torch.Tensor:
    """(t*h*w, dim) fixed sin-cos position codes: a third of the channels per axis (the rest 0)."""
    per_axis = dim // 3 // 2 * 2
    freqs = 1.0 / 10000 ** (torch.arange(per_axis // 2) / (per_axis // 2))
    grids = torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij")
    parts = []
    for g in grids:
        angle = g.flatten().float()[:, None] * freqs[None]
        parts += [torch.sin(angle), torch.cos(angle)]
    out = torch.cat(parts, -1)
    return F.pad(out, (0, dim - out.shape[1]))


class Attention(nn.Module):
    """Multi-head attention of x (B, N, width) to context (B, L, context_dim) (x itself when None)."""

    def __init__(self, width: int, heads: int, context_dim: int | None = None):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(context_dim or width, 2 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x, context=None, mask=None):
        context = x if context is None else context
        q = rearrange(self.q(x), "b n (h d) -> b h n d", h=self.heads)
        k, v = rearrange(self.kv(context), "b l (two h d) -> two b h l d", two=2, h=self.heads)
        keep = None if mask is None else mask[:, None, None, :]  # (B, 1, 1, L): True = attend
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        return self.out(rearrange(y, "b h n d -> b n (h d)"))


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


ATTENTION = ("full", "factorised")  # self-attention over all tokens, or within a frame and
                                   # along time in turn


class DiTBlock(nn.Module):
    """Self-attention over the tokens of `span`, cross-attention to the words, MLP; the first
    and last gated by adaLN-Zero (the block starts as the identity). span: "all" space-time
    tokens, "space" (the tokens of one latent frame) or "time" (one place across frames)."""

    def __init__(self, width: int, heads: int, text_dim: int, span: str = "all"):
        super().__init__()
        self.span = span
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False)
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.cross = Attention(width, heads, text_dim)
        nn.init.zeros_(self.cross.out.weight)
        nn.init.zeros_(self.cross.out.bias)
        self.norm3 = nn.LayerNorm(width, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * width, width))
        self.ada = nn.Linear(width, 6 * width)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def self_attention(self, x, thw):
        t, h, w = thw
        if self.span == "space":
            x = rearrange(x, "b (t s) d -> (b t) s d", t=t)
            return rearrange(self.attn(x), "(b t) s d -> b (t s) d", t=t)
        if self.span == "time":
            x = rearrange(x, "b (t s) d -> (b s) t d", t=t)
            return rearrange(self.attn(x), "(b s) t d -> b (t s) d", s=h * w)
        return self.attn(x)

    def forward(self, x, c, words, mask, thw):
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(F.silu(c)).chunk(6, -1)
        x = x + gate1[:, None] * self.self_attention(modulate(self.norm1(x), shift1, scale1), thw)
        x = x + self.cross(self.norm2(x), words, mask)
        return x + gate2[:, None] * self.mlp(modulate(self.norm3(x), shift2, scale2))


class DiT(Recomputable, nn.Module):
    """(grid x (B, C, T', H', W'), flow time t (B,), words (B, L, text_dim), mask (B, L),
    pooled caption (B, text_dim)) -> velocity (B, C, T', H', W')."""

    def __init__(self, grid: tuple[int, int, int, int], patch: int, width: int, depth: int,
                 heads: int, text_dim: int, time_patch: int = 1, attention: str = "full"):
        super().__init__()
        if attention not in ATTENTION:
            raise ValueError(f"attention must be one of {', '.join(ATTENTION)}, got {attention!r}")
        c, t, h, w = grid
        if h % patch or w % patch or t % time_patch:
            raise ValueError(f"a latent grid of {t}x{h}x{w} cells does not split into "
                             f"{time_patch}x{patch}x{patch} patches")
        self.patch, self.time_patch, self.thw = patch, time_patch, (t // time_patch, h // patch, w // patch)
        self.embed = nn.Linear(c * time_patch * patch * patch, width)
        self.register_buffer("positions", sincos_positions(*self.thw, width), persistent=False)
        self.time = TimeEmbedding(width)
        self.pooled = mlp(text_dim, width)
        spans = ["all"] * depth if attention == "full" else ["space", "time"] * (depth // 2) + ["space"] * (depth % 2)
        self.blocks = nn.ModuleList(DiTBlock(width, heads, text_dim, span) for span in spans)
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.ada = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, c * time_patch * patch * patch)
        for layer in (self.ada, self.out):  # the velocity starts at zero
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x, t, words, mask, pooled):
        p, pt, (_, hp, wp) = self.patch, self.time_patch, self.thw
        tokens = self.embed(rearrange(x, "b c (t r) (h p) (w q) -> b (t h w) (c r p q)", r=pt, p=p, q=p))
        tokens = tokens + self.positions.to(tokens.dtype)
        c = self.time(t) + self.pooled(pooled)
        for block in self.blocks:
            tokens = maybe_checkpoint(self, block, tokens, c, words, mask, self.thw)
        shift, scale = self.ada(F.silu(c)).chunk(2, -1)
        out = self.out(modulate(self.norm(tokens), shift, scale))
        return rearrange(out, "b (t h w) (c r p q) -> b c (t r) (h p) (w q)", h=hp, w=wp, r=pt, p=p, q=p)
