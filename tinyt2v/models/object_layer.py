"""An object layer over a canvas: what differs from the stabilised background, learned as a clip of its own.

Wang & Adelson split a clip into layers by motion: once the background's motion is known and
the background drawn where each frame shows it, what differs from it is another layer. Here
that layer is first measured: its coverage is each pixel's colour distance from the
background the model draws for that frame (the canvas seen through the camera track), kept to
one thing (what the canvas draws a little off is scattered over the frame), and its colour
that of what it covers wholly (drawn by a flow prior of its own, in a colour that shows on what
the object passes over). The coverage, white over black, is then a
clip of one thing over a plain colour, the case layer-flow learns best (glyphs over one colour,
benchmarks/results/glyphs_layer_flow_colour.md): so a layer-flow of its own learns it, a bank of
coverage images the caption chooses, each seen through a track measured from the coverage by
the camera's global motion estimate and drawn by its own flow prior from the motion words. Two
earlier object layers were measured and replaced: a caption's sprite drawn by a network, which
averaged the many faces of a glyph into a blob (objects_layer_flow_net.md), and a bank of RGBA
sprites seeded by objects cut out of first frames and chosen by their cut-outs' likeness, which
did not tell characters apart over a photograph (objects_layer_flow_canvas_mask.md,
object_cutouts.md).

One object per clip: in each frame the largest thing that differs from the canvas, and what
comes within a few pixels of it. As the canvas is
learned, a thing that stays put in every clip of it (a lamp post, the coffee cup's handle)
becomes part of it; a thing that moves over it stays an object.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from scipy import ndimage
from torch import nn

from .camera import UNEXPLAINED
from .flow_prior import FlowPrior, FlowPriorConfig

OBJECT_COLOUR = 3   # an object's colour: one per channel
PASSES_OVER = 6     # what an object passes over: the mean and the spread of each channel of the
                    # background it covers
COLOUR_GUIDANCE = 1.0  # the colour prior's guidance scale: its condition only, as the window's is
COLOURS_DRAWN = 8   # colours the prior draws for an object when sampling; the one that shows best
                    # on what it passes over (`shows`) is painted
LEAST_SEEN = 0.1    # how well a colour shows: its distance from the nearest this share of the
                    # pixels the object covers (an object is as visible as its least visible part)
OBJECT_FLOOR = UNEXPLAINED  # colour distance under which a pixel is the canvas drawn a little off,
                    # not an object (from as much again above the floor: all object) ...
OBJECT_MARGIN = 2   # px around an object's largest part within which what is covered is its
                    # too: its anti-aliased edge under half covered, strokes a pixel apart
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
    dist = (video - background).square().sum(2).sqrt()  # not .norm(dim=2): over a middle dimension
    # torch's CPU norm is about 50x slower (docs/results.md), and this runs on every frame of every
    # training clip; callers run it without gradient (sqrt's is infinite at 0)
    floor = (2 * dist.flatten(2).quantile(1 - OBJECT_SHARE, dim=2)).clamp(min=OBJECT_FLOOR)[..., None, None]
    return ((dist - floor) / OBJECT_FLOOR).clamp(0, 1)


_FRAME_PARTS = np.zeros((3, 3, 3), bool)  # 8-connected within a frame, never across frames
_FRAME_PARTS[1] = True


@torch.no_grad()
def one_thing(alpha: torch.Tensor, moved: torch.Tensor | None = None) -> torch.Tensor:
    """Coverage (B, T, H, W) kept, in each frame, within OBJECT_MARGIN px of its largest part
    (pixels over half covered, 8-connected; largest by coverage, where `moved` (B, T, H, W) in
    [0, 1] is given what also moved counting twice: a thing moving over the background before
    a part of the photograph the canvas misses) and of the parts that come that near it: one
    object is one thing, a glyph's strokes a pixel apart included. Where the canvas
    is drawn a little soft, a textured photograph's edges differ from it in scattered lines and
    specks (two fifths of the coverage over the astronaut), which otherwise are taken for the
    object, learned as a grey haze around its shape and pull its track towards standing still
    (docs/results.md)."""
    b, t, h, w = alpha.shape
    if alpha.is_meta:  # tracing shapes only (tests/test_devices.py): no pixels to measure
        return alpha
    covered = alpha.reshape(b * t, h, w).float().cpu().numpy()
    parts, n = ndimage.label(covered > 0.5, _FRAME_PARTS)  # numbered frame by frame
    if n == 0:
        return alpha
    ids = np.arange(1, n + 1)
    weight = covered if moved is None else covered * (1 + moved.reshape(b * t, h, w).float().cpu().numpy())
    mass = ndimage.sum_labels(weight, parts, ids)
    last = np.maximum.accumulate(parts.reshape(b * t, -1).max(1))  # the last id of each frame on
    frame = np.searchsorted(last, ids)  # each part's frame: the first whose last id reaches it
    largest = np.zeros(b * t, np.int64)  # per frame, its largest part's id (0: none)
    order = np.lexsort((mass, frame))  # by frame, largest last
    largest[frame[order]] = ids[order]
    near = ndimage.binary_dilation(parts == largest[:, None, None], _FRAME_PARTS, iterations=OBJECT_MARGIN)
    kept = np.isin(parts, np.unique(parts[near & (parts > 0)]))  # the parts that come near it, whole
    kept = ndimage.binary_dilation(kept, _FRAME_PARTS, iterations=OBJECT_MARGIN)
    return alpha * torch.from_numpy(kept).view(b, t, h, w).to(alpha.device, alpha.dtype)


def as_clip(alpha: torch.Tensor) -> torch.Tensor:
    """Coverage (B, T, H, W) in [0, 1] as a clip (B, T, 3, H, W) in [-1, 1]: white over black."""
    return (2 * alpha - 1)[:, :, None].expand(-1, -1, 3, -1, -1)


def as_coverage(clip: torch.Tensor) -> torch.Tensor:
    """A drawn coverage clip (B, T, 3, H, W) back as coverage (B, T, H, W) in [0, 1]."""
    return ((clip.mean(2) + 1) / 2).clamp(0, 1)


def passes_over(alpha: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """What an object of coverage alpha (B, T, H, W) passes over in frames `background`
    (B, T, 3, H, W): the coverage-weighted mean and spread of each channel (B, PASSES_OVER)."""
    weight = alpha[:, :, None]
    total = weight.sum((1, 3, 4)).clamp(min=1.0)
    mean = (weight * background).sum((1, 3, 4)) / total
    spread = (weight * (background - mean[:, None, :, None, None]).square()).sum((1, 3, 4)) / total
    return torch.cat([mean, (spread + 1e-6).sqrt()], 1)


def shows(alpha: torch.Tensor, colours: torch.Tensor, under: torch.Tensor) -> torch.Tensor:
    """How well each of an object's candidate colours (B, K, 3) shows where its coverage alpha
    (B, T, H, W) covers frames `under` (B, T, 3, H, W) over half (B, K): the colour distance from
    the LEAST_SEEN nearest of those pixels (0 where it covers none)."""
    covered = alpha > 0.5
    score = colours.new_zeros(colours.shape[:2])
    for i in range(alpha.shape[0]):  # clips cover different numbers of pixels
        pixels = under[i].transpose(0, 1)[:, covered[i]].T  # (N, 3)
        if len(pixels):
            score[i] = torch.cdist(colours[i], pixels).quantile(LEAST_SEEN, dim=1)
    return score


def paint(alpha: torch.Tensor, colour: torch.Tensor, under: torch.Tensor) -> torch.Tensor:
    """An object of coverage alpha (B, T, H, W) in one colour (B, 3) over frames under (B, T, 3, H, W)."""
    return torch.lerp(under, colour[:, None, :, None, None].expand_as(under), alpha[:, :, None])


class ObjectLayer(nn.Module):
    """What differs from the canvas, seen as a clip of its own: its coverage, white over black, is
    learned by a layer-flow of its own (`coverage`: a bank of images the caption chooses, seen
    through a track measured from the coverage, the way glyphs over a plain colour are learned),
    and painted in one colour per clip, drawn by a flow prior of its own given the caption, its
    image and what the object passes over (`passes_over`); of several colours it draws, the one
    that shows best on that is painted (`sample`): one draw often hardly showed on it, and the
    judge then found no glyph (docs/results.md). Its prior is half as wide as the outer model's:
    it draws 3 numbers."""

    def __init__(self, coverage: nn.Module, cfg: FlowPriorConfig, text_dim: int):
        super().__init__()
        self.coverage = coverage
        self.colour_prior = FlowPrior(replace(cfg, prior_width=cfg.prior_width // 2), OBJECT_COLOUR, text_dim)
        self.over = nn.Linear(PASSES_OVER, text_dim)  # what it passes over, as part of the condition

    @staticmethod
    def measure(video: torch.Tensor, background: torch.Tensor,
                moved: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The object of clips (B, T, 3, H, W) over their drawn background: its coverage (B, T, H, W),
        one thing in each frame (`one_thing`, with what `moved` (B, T, H, W)), and its colour (B, 3):
        the median of the pixels it covers wholly, or where it covers none wholly the
        coverage-weighted mean. Not the mean of all it covers: its anti-aliased edges are part
        background, so that mean is pulled towards the background's colour (docs/results.md)."""
        alpha = one_thing(differs(video, background), moved)
        mean = (alpha[:, :, None] * video).sum((1, 3, 4)) / alpha.sum((1, 2, 3)).clamp(min=1.0)[:, None]
        whole = torch.where((alpha >= 1)[:, :, None], video, torch.full_like(video, torch.nan))
        median = whole.transpose(1, 2).flatten(2).nanmedian(2).values  # (B, 3); NaN where none is whole
        return alpha, torch.where(median.isnan(), mean, median)

    @staticmethod
    def covered(alpha: torch.Tensor) -> torch.Tensor:
        """How much of each pixel (B, T, H, W) the measured objects cover."""
        return alpha

    @staticmethod
    def paint(alpha: torch.Tensor, colour: torch.Tensor, under: torch.Tensor) -> torch.Tensor:
        return paint(alpha, colour, under)

    def _colour_condition(self, cond: torch.Tensor, alpha: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
        return cond + self.over(passes_over(alpha, background))

    def losses(self, alpha: torch.Tensor, colour: torch.Tensor, background: torch.Tensor, captions: list[str],
               cond: torch.Tensor, progress: float):
        """The object layer's loss and logs for objects of coverage alpha (B, T, H, W) and colours
        (B, 3) over their drawn background (B, T, 3, H, W): the coverage model's on coverage clips,
        and the colour prior's given `cond` (B, D), the caption's (and its image's) condition."""
        loss, logs = self.coverage.losses(as_clip(alpha), captions, progress, None)
        colour_flow = self.colour_prior.loss(colour, self._colour_condition(cond, alpha, background))
        loss = loss + self.colour_prior.cfg.flow_weight * colour_flow
        return loss, {**{n: v for n, v in logs.items() if n != "loss"}, "colour_flow": colour_flow}

    @torch.no_grad()
    def copy(self, alpha: torch.Tensor, colour: torch.Tensor, captions: list[str], under: torch.Tensor) -> torch.Tensor:
        """The object as the coverage model explains it, painted over `under`."""
        return paint(as_coverage(self.coverage.layered_copy(as_clip(alpha), captions)), colour, under)

    @torch.no_grad()
    def sample(self, captions, cond, under, generator, guidance=None, temperature=None, colour_temperature=None):
        """The captions' objects over frames `under` (B, F, 3, H, W): a coverage clip (B, F, H, W),
        then its colour (B, 3): of COLOURS_DRAWN the colour prior draws given `cond` (B, D) and what
        the object passes over, at `colour_temperature`, the one that shows best on it. An object
        is what differs from its background: every object the layer learned from showed on it, and
        a colour drawn near the background's makes an object the layer would not have seen."""
        alpha = as_coverage(self.coverage.generate(captions, generator, frames=under.shape[1], guidance=guidance,
                                                   temperature=temperature))
        b = alpha.shape[0]
        condition = self._colour_condition(cond, alpha, under).repeat_interleave(COLOURS_DRAWN, 0)
        colours = self.colour_prior.sample(condition, generator, guidance=COLOUR_GUIDANCE,
                                           temperature=colour_temperature).view(b, COLOURS_DRAWN, OBJECT_COLOUR)
        return alpha, colours[torch.arange(b), shows(alpha, colours, under).argmax(1)]
