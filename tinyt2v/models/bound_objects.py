"""Several objects over one background, each bound to its own words: "the red letter K moving
left and a blue 3 growing".

A clip over one colour that shows several things, each in a colour of its own, is split into
its objects from the pixels (`split_by_colour`: what differs from the background, clustered by
colour, with each edge given to the body it borders), and each object is learned as an object
layer learns its one (models/object_layer.py): its coverage, a clip over black, by a layer-flow
of its own, and its colour by a flow prior. The caption is read by slots (models/slots.py), one
per object, and which slot is which object is matched per clip, as DETR and scene-flow match
theirs: no labels say which words are whose.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from torch import nn

from ..text import MeanWordEmbedding, Vocab, build_text_encoder
from ..text.vocab import UNK_ID
from .flow_prior import FlowPriorConfig
from .object_layer import (
    COLOUR_GUIDANCE,
    COLOURS_DRAWN,
    OBJECT_COLOUR,
    ObjectLayer,
    as_clip,
    as_coverage,
    differs,
    one_thing,
    paint,
    shows,
)
from .slots import SlotReader, SpanReader, assignments, cheapest

MAX_OBJECTS = 3     # object layers a model may have: every assignment of a clip's objects to its
                    # slots of words is tried (3! = 6 per clip)
SLOT_ITERATIONS = 3  # rounds in which the slots compete for the caption's words
CENTRE_ROUNDS = 8   # k-means rounds that find a clip's object colours


def colour_centres(colours: torch.Tensor, k: int) -> torch.Tensor:
    """k colours (k, 3) that colours (N, 3) cluster around: k-means from the farthest-point
    start (the colour farthest from their mean, then from those chosen)."""
    if len(colours) == 0:
        return colours.new_zeros(k, 3)
    centres = [colours[(colours - colours.mean(0)).norm(dim=1).argmax()]]
    for _ in range(k - 1):
        centres.append(colours[torch.cdist(colours, torch.stack(centres)).amin(1).argmax()])
    centres = torch.stack(centres)
    for _ in range(CENTRE_ROUNDS):
        nearest = torch.cdist(colours, centres).argmin(1)
        sums = centres.new_zeros(k, 3).index_add_(0, nearest, colours)
        total = torch.bincount(nearest, minlength=k)[:, None]
        centres = torch.where(total > 0, sums / total.clamp(min=1e-6), centres)
    return centres


def first_of(marks: torch.Tensor) -> torch.Tensor:
    """0/1 marks (B, k, ...) kept at the first k marked only (at most one per position)."""
    kept, before = torch.zeros_like(marks), torch.zeros_like(marks[:, 0])
    for j in range(marks.shape[1]):
        kept[:, j] = marks[:, j] * (1 - before)
        before = torch.maximum(before, marks[:, j])
    return kept


BODY = 0.75         # a pixel is a thing's body, in its own colour, when it lies at least this share
                    # as far from the background as the farthest pixel within 1 px of it: not an
                    # edge beside it (a mix with the background, its chroma smeared by a codec)
REACH = 3           # px from a body within which a covered pixel is that body's object's
CANDIDATES = 16     # coverages drawn per object when sampling, from the sampling temperature up to
                    # 1 (the priors' whole spread: the coolest draw of every object lies near the
                    # middle), of which the coolest clear of the border and of the other objects is kept
APART = 2           # px along the frame's border, and around each other object, that an object
                    # keeps clear of where its draws can
AS_CLEAR = 1.0      # px of coverage (the border and every pair of objects together) within which a
                    # hotter combination of draws is no clearer than a cooler one


@torch.no_grad()
def split_by_colour(video: torch.Tensor, background: torch.Tensor, alpha: torch.Tensor,
                    k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Coverage alpha (B, T, H, W) of clips (B, T, 3, H, W) over their backgrounds split into k
    objects (B, k, T, H, W), one colour each (B, k, 3). The colours of each clip's body pixels
    (`BODY`) are clustered into k; each body pixel is the object of its colour's cluster, and
    every other covered pixel (an edge) the object of the body nearest it within REACH px;
    each object keeps one thing per frame (`one_thing`). By pixels, not by parts: two things
    a pixel or two apart are one part of the coverage. Its colour is the median of its body.
    Objects of one colour are not told apart."""
    b, t, _, h, w = video.shape
    dist = (video - background).square().sum(2).sqrt()  # (B, T, H, W)
    body = (alpha >= 1) & (dist >= BODY * F.max_pool2d(dist.flatten(0, 1), 3, 1, 1).view_as(dist))
    pixels = video.movedim(2, -1)  # (B, T, H, W, 3)
    centres = torch.stack([colour_centres(pixels[i][body[i]], k) for i in range(b)])  # (B, k, 3)
    # (an argmin or argmax across k, a short middle dimension, is slow on the CPU: k passes instead)
    miss = torch.stack([(pixels - centres[:, j, None, None, None]).square().sum(-1) for j in range(k)], 1)
    mine = first_of((miss == miss.amin(1, keepdim=True)).to(alpha.dtype)) * body[:, None]  # (B, k, T, H, W)
    for _ in range(REACH):  # edges take the object of the body they border, nearest first
        near = F.max_pool2d(mine.flatten(0, 2)[:, None], 3, 1, 1).view_as(mine)
        mine = torch.where(mine.amax(1, keepdim=True) > 0, mine, first_of(near))
    alphas = one_thing((alpha[:, None] * mine).flatten(0, 1)).view(b, k, t, h, w)
    held = torch.where((body[:, None] & (alphas > 0))[:, :, :, None], video[:, None],
                       torch.full_like(video[:, None], torch.nan))
    median = held.movedim(3, 2).flatten(3).nanmedian(3).values  # (B, k, 3); NaN where it has no body
    return alphas, torch.where(median.isnan(), centres, median)


SAME_COLOUR = 0.4   # colour distance (of the [-1, 1] range: 51 grey levels) within which two
                    # parts of a frame are one colour: a glyph's strokes broken apart by a codec
MIN_PART = 4        # px a part of a frame must cover wholly to count as a thing (codec specks)


def colours_apart(video: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """How many things in colours of their own (1 to MAX_OBJECTS) each clip's first frame shows
    (B,) over its background colour (B, 3): its parts apart (8-connected, over half covered),
    each in the median colour of the pixels it covers wholly, counted once per colour
    (SAME_COLOUR). Directions of colour alone do not tell: over some backgrounds a codec's
    chroma noise turns one glyph's edges another way."""
    first = video[:, 0]
    under = background[:, :, None, None].expand_as(first)
    alpha = differs(first[:, None], under[:, None])[:, 0]  # (B, H, W)
    counts = []
    for frame, cover in zip(first, alpha):
        parts, n = ndimage.label((cover > 0.5).cpu().numpy(), np.ones((3, 3), bool))
        parts = torch.from_numpy(parts).to(cover.device)
        own: list[torch.Tensor] = []
        for part in range(1, n + 1):
            whole = (parts == part) & (cover >= 1)
            if whole.sum() < MIN_PART:
                continue
            colour = frame[:, whole].median(1).values
            if all((colour - o).norm() > SAME_COLOUR for o in own):
                own.append(colour)
        counts.append(min(max(len(own), 1), MAX_OBJECTS))
    return torch.tensor(counts)


def draw_temperatures(coolest: float, objects: int) -> torch.Tensor:
    """The temperature of each of CANDIDATES draws per object (objects * CANDIDATES, 1): from
    `coolest` up to 1, for one batch of draws."""
    return torch.linspace(coolest, max(coolest, 1.0), CANDIDATES).repeat(objects)[:, None]


def clear_draws(many: torch.Tensor) -> torch.Tensor:
    """Of each object's draws (B, K, CANDIDATES, F, H, W), coolest first, the coverages (B, K, F,
    H, W) that together least cover the frame's border and each other (within APART px): every
    combination of one draw per object is scored (CANDIDATES ** K, K <= MAX_OBJECTS), and of
    those within AS_CLEAR of the least, the coolest (least summed temperature rank; of equal
    sums, the one whose first objects are the cooler). No training
    clip's object leaves the frame or touches another, and most objects the judge misread had
    moved off the frame, or lay over the other, drawn near the middle as both were
    (docs/results.md). Together, not one after another: an object kept first without regard
    for the next one left it no room as often (docs/results.md). (One object over a photograph
    read worse drawn so: a hotter draw is a worse glyph there.)"""
    b, k, n = many.shape[:3]
    h, w = many.shape[-2:]
    flat = many.flatten(3)  # (B, K, C, FHW)
    edge = torch.ones(h, w, device=many.device)
    edge[APART:-APART, APART:-APART] = 0
    cost = torch.einsum("bkcfhw,hw->bkc", many, edge)  # each draw's coverage of the border
    total = many.new_zeros(b, *(n,) * k)  # each combination's: one axis per object
    rank = torch.zeros((n,) * k, device=many.device)  # its summed temperature rank
    for i in range(k):
        if i < k - 1:  # what lies within APART of each of object i's draws: (B, C, FHW)
            near = F.max_pool2d(many[:, i].flatten(0, 1), 2 * APART + 1, 1, APART).view_as(flat[:, i])
        shape = [1] * k
        shape[i] = n
        total = total + cost[:, i].view(b, *shape)
        rank = rank + torch.arange(n, device=many.device).view(shape)
        for j in range(i + 1, k):  # how much of draw j lies within APART of draw i: (B, C, C)
            shape = [1] * k
            shape[i], shape[j] = n, n
            total = total + torch.bmm(near, flat[:, j].transpose(1, 2)).view(b, *shape)
    total, rank = total.flatten(1), rank.flatten()
    clear = total <= total.amin(1, keepdim=True) + AS_CLEAR
    best = torch.where(clear, rank, torch.full_like(total, math.inf)).argmin(1)  # the coolest of those
    picks = torch.stack(torch.unravel_index(best, (n,) * k), 1)  # (B, K): each object's draw
    return many[torch.arange(b, device=many.device)[:, None], torch.arange(k, device=many.device), picks]


class BoundObjects(ObjectLayer):
    """Several objects over one background, each bound to its own words. The caption's words are
    split among `objects` slots (slot attention over an order-aware reading of the caption, as
    scene-flow binds its objects, or with `spans` one run of consecutive words per slot, in
    order: `SpanReader`): each slot's words, pooled as the coverage model pools a
    caption, are one object's caption for the coverage model and the colour prior. Which slot
    is which measured object is not given: as in DETR, each clip's objects are matched to its
    slots by the cheapest assignment of the colours the slots' words predict (`tint`) to the
    objects' colours, and the losses follow that matching, so a slot that won the word "red"
    learns the red object's character and motion."""

    def __init__(self, coverage: nn.Module, cfg: FlowPriorConfig, text_dim: int, vocab: Vocab, objects: int,
                 places: bool = False, spans: bool = False):
        super().__init__(coverage, cfg, text_dim)
        if not isinstance(getattr(coverage, "text", None), MeanWordEmbedding):
            raise ValueError("several object layers pool each slot's word embeddings: text 'mean' or 'bag'")
        self.objects = objects
        self.binding = build_text_encoder("gru", vocab, text_dim)  # which words are whose: word order
        self.reader = (SpanReader(objects, text_dim) if spans  # each slot one run of words
                       else SlotReader(objects, SLOT_ITERATIONS, text_dim, positions=places))  # places: where each word stands
        self.tint = nn.Linear(text_dim, OBJECT_COLOUR)  # a slot's words -> its object's colour
        self.register_buffer("orders", assignments(objects), persistent=False)

    def measure(self, video, background, moved=None):
        """The objects of clips (B, T, 3, H, W) over their drawn background: coverage (B, K, T, H, W)
        and colours (B, K, 3) (`split_by_colour`)."""
        return split_by_colour(video, background, differs(video, background), self.objects)

    @staticmethod
    def covered(alpha):
        return alpha.sum(1).clamp(max=1)

    @staticmethod
    def paint(alpha, colour, under):
        for j in range(alpha.shape[1]):
            under = paint(alpha[:, j], colour[:, j], under)
        return under

    def read(self, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Each slot's words (B, K, D) as the coverage model's two encoders pool a caption: what
        it shows, how it moves."""
        words, mask, _ = self.binding.states(captions)
        weights = self.reader(words, mask)[2]  # (B, L, K)
        vocab = self.binding.vocab
        ids = [vocab.encode(c) or [UNK_ID] for c in captions]  # as the binding encoder reads them
        tokens = torch.tensor([i + [0] * (words.shape[1] - len(i)) for i in ids], device=words.device)
        weights = weights * (tokens != UNK_ID)[..., None]  # the coverage encoders drop unknown words
        weights = weights / weights.sum(1, keepdim=True).clamp(min=1e-6)

        return tuple(torch.einsum("blk,bld->bkd", weights, encoder.embed(tokens))
                     for encoder in (self.coverage.text, self.coverage.motion_text))

    def _matched(self, looks, colour):
        """Each slot's object (B, K) by the cheapest assignment of predicted to measured colours,
        and the colour error of that assignment per clip (B,)."""
        order, total = cheapest((self.tint(looks)[:, :, None] - colour[:, None]).square().sum(-1), self.orders)
        return order, total / self.objects

    def losses(self, alpha, colour, background, captions, cond, progress):
        looks, motions = self.read(captions)
        order, tint_error = self._matched(looks, colour)
        rows = torch.arange(len(alpha), device=alpha.device)[:, None]
        k = self.objects
        alpha, colour = alpha[rows, order].flatten(0, 1), colour[rows, order].flatten(0, 1)
        looks, motions = looks.flatten(0, 1), motions.flatten(0, 1)
        loss, logs = self.coverage.losses_given(as_clip(alpha), looks, motions, None, progress)
        condition = self._colour_condition(cond.repeat_interleave(k, 0) + looks, alpha,
                                           background.repeat_interleave(k, 0))
        colour_flow = self.colour_prior.loss(colour, condition)
        loss = loss + self.colour_prior.cfg.flow_weight * colour_flow + tint_error.mean()
        return loss, {**{n: v for n, v in logs.items() if n != "loss"}, "colour_flow": colour_flow,
                      "tint_error": tint_error.mean()}

    @torch.no_grad()
    def copy(self, alpha, colour, captions, under):
        looks, _ = self.read(captions)
        order = self._matched(looks, colour)[0]
        rows = torch.arange(len(alpha), device=alpha.device)[:, None]
        b, k, t, h, w = alpha.shape
        drawn = self.coverage.layered_copy_given(as_clip(alpha[rows, order].flatten(0, 1)), looks.flatten(0, 1), None)
        return self.paint(as_coverage(drawn).view(b, k, t, h, w), colour[rows, order], under)

    @torch.no_grad()
    def sample(self, captions, cond, under, generator, guidance=None, temperature=None, colour_temperature=None):
        """The captions' objects over frames `under` (B, F, 3, H, W): each slot's coverage
        (B, K, F, H, W) and colour (B, K, 3), drawn as `ObjectLayer.sample` draws one object's.
        Of CANDIDATES draws per object, the combination that keeps every object clear of the
        others and of the frame's border is kept (`clear_draws`): each slot's prior draws where its
        own object goes, and two drawn alone both went near the middle, one over the other
        (docs/results.md)."""
        looks, motions = self.read(captions)
        b, k = looks.shape[:2]
        f, h, w = under.shape[1], *under.shape[-2:]
        heat = draw_temperatures(self.coverage.cfg.temperature if temperature is None else temperature, b * k)
        many = self.coverage.generate_given(looks.repeat_interleave(CANDIDATES, 1).flatten(0, 1),
                                            motions.repeat_interleave(CANDIDATES, 1).flatten(0, 1), generator,
                                            frames=f, guidance=guidance, temperature=heat.to(under.device))
        alpha = clear_draws(as_coverage(many).view(b, k, CANDIDATES, f, h, w))
        alpha = alpha.flatten(0, 1)  # (B * K, F, H, W)
        looks, beneath = looks.flatten(0, 1), under.repeat_interleave(k, 0)
        condition = self._colour_condition(cond.repeat_interleave(k, 0) + looks, alpha, beneath)
        colours = self.colour_prior.sample(condition.repeat_interleave(COLOURS_DRAWN, 0), generator,
                                           guidance=COLOUR_GUIDANCE, temperature=colour_temperature)
        colours = colours.view(b * k, COLOURS_DRAWN, OBJECT_COLOUR)
        colour = colours[torch.arange(b * k), shows(alpha, colours, beneath).argmax(1)]
        return alpha.view(b, k, f, h, w), colour.view(b, k, OBJECT_COLOUR)
