"""layer-flow: text-to-video for footage, as a still image seen through a moving camera.

Real clips rarely have a plain background and a still camera. The classical layered reading of
moving images (Wang & Adelson 1994) splits a clip into a background image larger than the
frame and the motion that shows it, both measured from the pixels. This model learns that from
text, as sprite-flow learns its sprite and track:
- camera track: per frame, the shift and zoom of the view of the first frame, measured by
  `camera.measure_camera` (global Lucas-Kanade; no labels, no learned encoder). A rectified-flow
  prior learns p(track | motion words), as sprite-flow's learns its pose track;
- atlas: a bank of images, each one subject that clips show windows of (`AtlasBank`); each
  clip's first frame picks its image by `atlas.match` and is placed in it by `atlas.place`
  (correlation search); the caption learns which image, and a second prior p(first window |
  caption, image);
- rendering: the atlas seen through the first window moved by the camera (affine_grid +
  grid_sample), compared with a few random frames per clip (L1): the atlas learns from that.
- residual layer (`residual`; models/residual.py): what the layers leave of each frame (the
  light changing), drawn from the frame the layers give, its time and the caption.
- object layer (`object_layers=1`, which a new run over a picture that something moves over
  takes by itself; models/object_layer.py): what differs from the canvas drawn where each frame
  shows it is one object, in one colour a prior of its own draws; its coverage, a clip of one
  thing over black, is learned by a layer-flow of its own. Several (`object_layers` 2 or 3, which
  a new run over one colour that shows several things in colours of their own takes;
  models/bound_objects.py): each object split off by its colour, and bound to its own words.
Every frame comes from one image and one smooth track, so the camera's motion is modelled
rather than smeared across a clip latent, which is what latent-flow and latent-dit do with the
same footage (benchmarks/results/footage.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from ..text import Vocab, build_text_encoder
from .atlas import match, place
from .base import System
from .bound_objects import MAX_OBJECTS, BoundObjects, colours_apart
from .camera import (
    CAMERA,
    affine,
    background_camera,
    evened,
    inverse,
    light_change,
    measure_camera,
    stabilised_median,
    unexplained,
    view_through,
)
from .flow_prior import FlowPrior, FlowPriorConfig
from .layers import pick_frames
from .object_layer import ObjectLayer, differs
from .residual import ResidualLayer


@dataclass
class LayerFlowConfig(FlowPriorConfig):
    text: str = "mean"          # word embeddings: subject and motion words are what matter
    atlas_side: int = 128       # atlas px; a frame spans 2 * half side of it
    atlases: int = 32           # images in the bank: each holds one subject, or a part of one
                                # (subjects beyond this many share images)
    window_range: tuple[float, float] = (0.22, 0.75)  # half sides a frame's window may have in
                                # the atlas: room for a zoom of 1/0.6 and a pan of 0.7 frames
    window_sizes: int = 12      # half sides tried when placing a frame (even steps in log)
    first_window: float = 0.45  # half side at which a first frame seeds an image of the bank
    seed_frames: int = 4        # frames of a clip, first to last, drawn into the image it seeds: a
                                # pan's or a zoom's whole view, so more of a subject is in place
                                # before other clips are placed against it (1: the first frame)
    median_background: bool = False  # a clip's background is the median of its frames, not its
                                # first frame: in the first frame's view (camera.stabilised_median)
                                # to pick and place its image, and each seeded pixel the median of
                                # the seeding frames that show it. An object that moves over a still
                                # view leaves the median where it leaves most frames, where frame 0
                                # has it and a mean keeps a ghost of it (seed_frames up to every frame)
    atlas_lr: float = 1e-2      # AdamW's lr for the bank's pixels: a pixel moves ~lr a step, and
                                # painting a new region at the networks' lr took most of a run
    reseed_below: float = 0.8   # a clip whose best correlation with every image is below this
                                # seeds an idle image (the deep field's clips: median 0.66)
    match_weight: float = 50.0  # nats per unit of correlation when a clip picks its image, beside
                                # the log-probability its caption gives it: the caption gathers a
                                # subject's clips among images that match alike, and never keeps
                                # them from a clearly better match (at 10 it kept the retina's
                                # clips in an image a rocket frame seeded)
    temperature: float = 0.3    # the priors' starting noise when sampling: a window drawn near the
                                # middle of where a subject's clips lie (a pan's window drawn far
                                # out shows the sky beside the rocket)
    object_colour_temperature: float = 1.0  # the object's colour is drawn from all of the noise,
                                # not near the middle: there it is the mean of the colours a
                                # subject's objects had, a grey-blue that stands out from few
                                # photographs (docs/results.md)
    window_guidance: float = 1.0  # the window prior's guidance scale, whatever the camera's: its
                                # condition is the image as well as the caption, and guiding away
                                # from no condition (every image's windows) pushed windows outward,
                                # putting glyphs at the frame's edge (benchmarks/results/
                                # glyphs_misses_layer_flow_colour_window_unguided.md)
    prior_width: int = 256      # each prior's velocity MLP (tiny's checkpoint: 31 MB of the 50 allowed)
    object_layers: int = 0      # objects over the canvas per clip (0 to MAX_OBJECTS): what differs from the
                                # background the model draws, learned by a layer-flow of its own
                                # (models/object_layer.py); 0 for footage with nothing moving over
                                # it. A new run sets it, median_background, seed_frames and (SHARPER)
                                # the canvas's atlases and atlas_side from its clips unless --set gives
                                # them (`settings_from_clips`)
    plain_background: bool = False  # the background is one colour per clip, its first frame's border's:
                                # the canvas images are seeded by it and the objects are what differs
                                # from it (over one colour a median background keeps an object that
                                # stays put). A new run sets it from its clips unless --set gives it
    slot_places: bool = False   # with several object layers, the slots that split the caption among
                                # them see where each word stands in it (`SlotReader` positions):
                                # names come one after another (runs trained before slot_spans)
    slot_spans: bool = False    # with several object layers, each takes one run of consecutive words
                                # of the caption, in order (`SpanReader`), in place of slot attention.
                                # A new run over several things sets it
    object_seeding: float = 0.2  # share of the run after which what differs from the canvas trains
                                # the object layer: before, the canvas still holds the objects of
                                # the clips it was seeded by, and what differs from it is no object yet
    clip_colour: bool = False   # each clip's colours are a per-channel gain and offset of its
                                # image's, fitted by least squares and drawn by the window prior, so
                                # clips of one subject in other colours (glyphs in random colours)
                                # share an image instead of averaging their colours in it. A new run
                                # sets it from its clips unless --set gives it (`settings_from_clips`)
    light_changes: bool = False  # the camera's measure fits each frame's light (a gain and offset)
                                # with its view, and the light changing over a clip is not taken for
                                # something moving over it (`camera.pair_motion`). A new run over a
                                # picture whose light changes sets it (LIT; over footage in steady
                                # light a run with it read the faint photographs less often); off,
                                # checkpoints trained before measure as they did
    residual: bool = False      # a residual layer (models/residual.py) draws what the layers leave of a
                                # frame (the light changing, texture the bank blurs), given the frame
                                # drawn from them, its time and the caption. A new run over a picture
                                # whose light changes sets it (LIT); off, checkpoints trained before
                                # load as they were
    light_evened: bool = False  # the layers learn a clip whose light changes (LIT) in its brightest
                                # frame's light throughout (`camera.evened`), the residual layer the
                                # light: a canvas seeded by a dark frame otherwise keeps it dark. A new
                                # run sets it with the residual
    image_by_lift: bool = False  # when sampling, the caption's image is, of those it gives more than an
                                # even chance, the one with the most probability for its share of
                                # clips (so the likeliest to show this caption's clips: Bayes'
                                # p(caption | image)), not the likeliest: an image two subjects' clips
                                # share (an R's coverage and a B's, alike at the size images are
                                # matched at) took most of both captions' probability, and both drew
                                # the B. An object layer's coverage model sets it
    residual_width: int = 32    # the residual layer's channels
    residual_frames: int = 1    # frames per clip it learns from a step (of the dec_frames drawn): its
                                # convolutions run at full resolution, the layers' images do not

    @property
    def camera_latent(self) -> int:  # what the camera prior generates: the change per frame
        return CAMERA * (self.frames - 1)


PRESETS = {
    "tiny": LayerFlowConfig(),
    "default": LayerFlowConfig(atlases=64),  # room for 64 subjects: +6 MB
}


COLOUR = 6       # a clip's colours: per-channel gains, then offsets, of its image's
MAX_GAIN = 4.0   # a fitted gain's size at most: an image with no contrast yet fits any gain


def colour_fit(drawn: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The per-channel gain and offset (B, 6) that best map drawn frames onto target frames
    (both (B, F, 3, H, W)) by least squares, per clip."""
    d, t = drawn.transpose(1, 2).flatten(2), target.transpose(1, 2).flatten(2)  # (B, 3, N)
    dz, tz = d - d.mean(-1, keepdim=True), t - t.mean(-1, keepdim=True)
    gain = ((dz * tz).mean(-1) / dz.square().mean(-1).clamp(min=1e-3)).clamp(-MAX_GAIN, MAX_GAIN)
    return torch.cat([gain, t.mean(-1) - gain * d.mean(-1)], 1)


def recolour(video: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    """Frames (B, F, 3, H, W) through colours (B, 6) from `colour_fit`."""
    return video * colour[:, None, :3, None, None] + colour[:, None, 3:, None, None]


PLAIN = 0.05  # a first frame's background is plain when most of each of its edges lies within
              # this of the border's median colour in every channel (of the [-1, 1] range: 6 grey
              # levels, above a video codec's noise on a plain colour)


def border_pixels(frames: torch.Tensor) -> torch.Tensor:
    """The pixels (B, 3, N) along the edge of frames (B, 3, H, W)."""
    return torch.cat([frames[..., 0, :], frames[..., -1, :], frames[..., 1:-1, 0], frames[..., 1:-1, -1]], -1)


def border_colour(frames: torch.Tensor) -> torch.Tensor:
    """The median colour (B, 3) of the edge of frames (B, 3, H, W): a plain background's."""
    return border_pixels(frames).median(-1).values


def border_spread(video: torch.Tensor) -> torch.Tensor:
    """How far the edges of each clip's first frame stray from the border's median colour (B,):
    per side, the median over its pixels of their largest channel's distance from that colour;
    the most of the four sides (a picture between black bars has two plain sides, not four)."""
    first = video[:, 0]
    colour = border_colour(first)[..., None]  # (B, 3, 1)
    sides = (first[..., 0, :], first[..., -1, :], first[..., :, 0], first[..., :, -1])  # each (B, 3, n)
    return torch.stack([(side - colour).abs().amax(1).median(-1).values for side in sides], -1).amax(-1)


MOVING = 0.03  # a clip over a picture shows something moving over it when over this share of its
               # pixels stays unexplained by its stabilised background (`camera.unexplained`):
               # between what a camera's motion over a still photograph leaves (resampling, a
               # codec) and what a glyph moving over one does (benchmarks/results/plain_backgrounds.md)


LIT = 0.2  # a clip over a picture changes its light when a frame's light strays this far (in |log|)
          # from its first frame's (`camera.light_change`): a fade to 0.45 reads 0.8, a camera over a
          # photograph in steady light under 0.1 (benchmarks/results/plain_backgrounds.md)


SHARPER = 1.5  # a canvas under an object layer has images this many times the side and half as
               # many of them (about the same bytes): where a photograph is drawn soft, what differs
               # from it is its edges as well as the object, and a judge of the clip reads them as
               # part of the object (benchmarks/results/objects_layers_canvas192_seed1.md)


def settings_from_clips(video: torch.Tensor, cfg: LayerFlowConfig) -> dict:
    """The settings a new run of `cfg` (its preset with --set) reads off a sample of its
    training clips (B, T, 3, H, W), from its median clip: clip_colour when the first frames show
    a plain background (an object over one colour, in colours that change from clip to clip), not
    when they show a picture (whose colours are its own); over a picture, an object layer when
    something moves over it (more than MOVING of the clip unexplained by its background seen
    through the camera), with the background every frame's median (an object leaves it where it
    leaves most frames) and a sharper canvas (SHARPER); over a plain colour that shows several
    things in colours of their own (`colours_apart`), an object layer for each over that colour;
    over a picture whose light changes (more than LIT, read as `light_changes` reads it), the
    camera's measure fitting each frame's light, a residual layer for the light and the layers
    learning each clip in its brightest frame's light (`light_evened`)."""
    plain = bool(border_spread(video).median() < PLAIN)
    if plain:  # several things, each in a colour of its own: each its own object layer
        things = int(colours_apart(video, border_colour(video[:, 0])).median())
        # over one colour the canvas holds no object to learn away: the objects train from the start
        several = {"object_layers": things, "plain_background": True, "object_seeding": 0.0,
                   "slot_spans": True} if things > 1 else {}
        return {"clip_colour": True, "light_changes": False, "residual": False, "light_evened": False,
                "object_layers": 0, "median_background": False, "seed_frames": LayerFlowConfig.seed_frames, **several}
    camera = background_camera(video, light=True)
    objects = bool(unexplained(video, camera, light=True).median() > MOVING)
    sharper = {"atlases": cfg.atlases // 2, "atlas_side": round(cfg.atlas_side * SHARPER)} if objects else {}
    lit = bool(light_change(video, camera).median() > LIT)
    return {"clip_colour": False, "light_changes": lit, "residual": lit, "light_evened": lit,
            "object_layers": int(objects), "median_background": objects,
            "seed_frames": video.shape[1] if objects else LayerFlowConfig.seed_frames, **sharper}


USE_RATE = 0.01  # how fast an image's share of clips follows the batches (~100 steps)
IDLE = 0.1       # an image used by under this share of an even share is free to seed again


class AtlasBank(nn.Module):
    """A bank of `atlases` images in [-1, 1], learned pixel by pixel, each seeded by a training
    clip's first frame. A clip is drawn from the image its first frame matches best (hard EM,
    as k-means gives a point to its nearest mean), and the caption learns to choose that image.
    A caption's softmax mix of every image was tried first: at the start every image is every
    caption's, so subjects shared images and blurred into each other
    (benchmarks/results/footage_layer_flow_atlas.md)."""

    def __init__(self, c: LayerFlowConfig, text_dim: int):
        super().__init__()
        self.images = nn.Parameter(torch.zeros(c.atlases, 3, c.atlas_side, c.atlas_side))  # before tanh
        self.choose = nn.Linear(text_dim, c.atlases)  # caption -> logits over the images
        self.code = nn.Embedding(c.atlases, text_dim)  # which image, for the window prior
        self.median = c.median_background
        self.register_buffer("seeded", torch.zeros((), dtype=torch.long))  # images seeded so far
        self.offered = 0  # clips offered to `seed` since made or loaded: from `atlases` on, all are seeded
        self.register_buffer("use", torch.full((c.atlases,), 1 / c.atlases))  # each image's share
                                                                               # of clips lately

    def __getitem__(self, k: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.images[k])

    def pick(self, e: torch.Tensor, by_lift: bool = False) -> torch.Tensor:
        """The image (B,) captions read as `e` (B, D) are drawn from: the one they choose most, or
        (`by_lift`) of those they choose more than an even share of times, the one they choose most
        for its share of clips (`image_by_lift`)."""
        p = self.choose(e).softmax(1)
        if by_lift:
            p = torch.where(p >= 1 / p.shape[1], p / self.use.clamp(min=1e-6), torch.zeros_like(p))
        return p.argmax(1)

    def _pictures(self, frames: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
        """Clips' frames (B, F, 3, h, w) at their windows (B, F, 3) as one image of the bank each
        (before tanh): a pixel is the mean (or median, `median_background`) of the frames that show it,
        the first frame's border colour where none does (a flat surround correlates with nothing,
        where a stretched edge matched frames of other subjects; and a plain background goes on
        as itself)."""
        b, f, _, h, w = frames.shape
        side = self.images.shape[-1]
        views = inverse(windows).reshape(b * f, 3)  # atlas point -> frame point
        grid = F.affine_grid(affine(views), (b * f, 3, side, side), align_corners=False)
        surround = border_colour(frames[:, 0])[:, None, :, None, None]  # (B, 1, 3, 1, 1)
        drawn = F.grid_sample((frames - surround).flatten(0, 1), grid, align_corners=False)  # 0 outside
        shown = F.grid_sample(frames.new_ones(b * f, 1, h, w), grid, align_corners=False)
        drawn, shown = drawn.view(b, f, 3, side, side), shown.view(b, f, 1, side, side)
        if self.median:  # of the frames that show a pixel well: a frame's edge is half blank
            seen = torch.where(shown >= 0.5, drawn / shown.clamp(min=0.5), torch.full_like(drawn, math.nan))
            picture = seen.nanmedian(1).values.nan_to_num(0.0)
        else:
            drawn, shown = drawn.sum(1), shown.sum(1)
            picture = torch.where(shown >= 0.5, drawn / shown.clamp(min=0.5), torch.zeros_like(drawn))
        return torch.atanh((picture + surround[:, 0]).clamp(-0.99, 0.99))

    @torch.no_grad()
    def seed(self, frames: torch.Tensor, windows: torch.Tensor) -> None:
        """Fill the images not seeded yet with clips (`_pictures`' frames and windows): every
        image starts as a real picture, so frames of different subjects match different images
        from the first step. No value is read back from the device: once `atlases` clips have
        been offered since the bank was made or loaded, every image is seeded, and the pictures
        (the costliest part of a step with many seeding frames) are not made again."""
        if self.offered >= self.images.shape[0]:
            return
        b, k = frames.shape[0], self.images.shape[0]
        slot = torch.arange(k, device=frames.device) - self.seeded  # which clip fills each image
        fill = (slot >= 0) & (slot < b)
        pictures = self._pictures(frames, windows)[slot.clamp(0, b - 1)]
        self.images.copy_(torch.where(fill[:, None, None, None], pictures, self.images))
        self.seeded.copy_((self.seeded + b).clamp(max=k))
        self.offered += b

    @torch.no_grad()
    def reseed(self, frames: torch.Tensor, windows: torch.Tensor, best: torch.Tensor, chosen: torch.Tensor,
               below: float) -> None:
        """k-means' cure for dead clusters: the clip every image explains least (its best
        correlation `best` under `below`) seeds the image the clips `chosen` (B,) use least,
        once that image's share of clips has fallen under IDLE of an even share. A subject
        whose clips the seeds never covered gets an image instead of blurring another's."""
        k = self.images.shape[0]
        self.use.lerp_(F.one_hot(chosen, k).float().mean(0), USE_RATE)
        worst, idle = best.argmin(0, keepdim=True), self.use.argmin(0, keepdim=True)  # (1,) each
        go = (best[worst] < below) & (self.use[idle] < IDLE / k)  # (1,): no value read back
        picture = self._pictures(frames[worst], windows[worst])
        self.images.index_copy_(0, idle, torch.where(go[:, None, None, None], picture, self.images[idle]))
        self.use.index_copy_(0, idle, torch.where(go, 1 / k, self.use[idle]))


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
    animates = True

    def __init__(self, cfg: LayerFlowConfig, vocab: Vocab):
        super().__init__()
        self.cfg = cfg
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # what is seen, and where
        self.motion_text = build_text_encoder(cfg.text, vocab, cfg.text_dim)  # how the camera moves
        d = self.text.dim
        self.atlas = AtlasBank(cfg, d)
        self.window_prior = FlowPrior(cfg, CAMERA + COLOUR * cfg.clip_colour, d)
        # p(first frame's window; its clip's colours with clip_colour | caption, image)
        self.camera_prior = FlowPrior(cfg, cfg.camera_latent, d)  # p(camera track | motion words)
        if not 0 <= cfg.object_layers <= MAX_OBJECTS:
            raise ValueError(f"object_layers is 0 to {MAX_OBJECTS}, not {cfg.object_layers}")
        # the object's coverage is a clip over black: learned as glyphs over a plain colour are
        # (its own clips over black are plain, so clip_colour on and no median background; its bank
        # tiny's, whatever the canvas's, and its priors half as wide: a coverage has no texture,
        # and tiny's checkpoint stays under 50 MB; a character's clips spread over images of its
        # faces, so its caption's image is picked by lift)
        coverage = LayerFlow(replace(cfg, object_layers=0, clip_colour=True, median_background=False,
                                     image_by_lift=True, plain_background=False, light_changes=False, residual=False,
                                     light_evened=False,
                                     seed_frames=LayerFlowConfig.seed_frames,
                                     atlases=LayerFlowConfig.atlases, atlas_side=LayerFlowConfig.atlas_side,
                                     prior_width=cfg.prior_width // 2), vocab) if cfg.object_layers else None
        self.object = None
        if cfg.object_layers == 1:
            self.object = ObjectLayer(coverage, cfg, d)
        elif cfg.object_layers > 1:  # each object's words (slots over the caption) bound to what it shows
            self.object = BoundObjects(coverage, cfg, d, vocab, cfg.object_layers, cfg.slot_places,
                                       cfg.slot_spans)
        self.residual = ResidualLayer(d, cfg.residual_width) if cfg.residual else None

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        images = [m.images for m in self.modules() if isinstance(m, AtlasBank)]
        rest = [p for p in self.parameters() if all(p is not i for i in images)]
        return {"all": torch.optim.AdamW([{"params": rest}, {"params": images, "lr": self.cfg.atlas_lr}],
                                         lr=self.cfg.lr, weight_decay=0.0, betas=(0.9, self.cfg.beta2))}

    def draw(self, atlas: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
        """Atlases (B, 3, A, A) seen through windows (B, F, 3) -> frames (B, F, 3, H, W)."""
        c = self.cfg
        b, f = windows.shape[:2]
        frames = view_through(atlas.repeat_interleave(f, 0), windows.reshape(b * f, CAMERA), (c.height, c.width))
        return frames.view(b, f, 3, c.height, c.width)

    def _measure_camera(self, video: torch.Tensor) -> torch.Tensor:
        """The clips' camera tracks (B, T, 3): with an object layer, the background's motion
        (`background_camera`: not an object's that moves over a plain background); without, the
        whole frame's (over a plain colour the one thing in the clip is what the track follows)."""
        light = self.cfg.light_changes
        return background_camera(video, light) if self.object is not None else measure_camera(video, light)

    def losses(self, video, captions, progress, targets):
        return self.losses_given(video, self.text(captions), self.motion_text(captions), captions, progress)

    def losses_given(self, video, e, motion_e, captions, progress):
        """`losses` for clips whose captions are already read: `e` (B, D) what is seen, `motion_e`
        (B, D) how the camera moves (an object layer's coverage model is given each object's
        words this way)."""
        c = self.cfg
        camera = self._measure_camera(video)
        lit, video = video, self._evened(video, camera)  # what the residual learns; what the layers do
        seeding = torch.linspace(0, c.frames - 1, c.seed_frames, device=video.device).round().long()
        middle = video.new_tensor([0.0, 0.0, math.log(c.first_window)]).expand(video.shape[0], -1)
        seen_at = in_atlas(middle, camera[:, seeding])  # where the seeding frames lie in an image they seed
        still = self._background(video, camera)
        seeds = still[:, None].expand(-1, len(seeding), -1, -1, -1) if c.plain_background else video[:, seeding]
        self.atlas.seed(seeds, seen_at)
        k, logits, best = self._images(still, e)
        self.atlas.reseed(seeds, seen_at, best, k, c.reseed_below)
        fi, target = pick_frames(video, c.dec_frames)
        cond = e + self.atlas.code(k)  # the caption and its image: what the window and colour priors see
        drawn, weight, start, logs, _, layered = self._redraw(video, still, captions, cond, k, camera, fi,
                                                        progress if progress >= c.object_seeding else None)
        recon = ((drawn - target).abs() * weight).mean() / weight.mean()
        choice = F.cross_entropy(logits, k)
        window_flow = self.window_prior.loss(start, cond)
        camera_flow = self.camera_prior.loss(camera_to_latent(camera), motion_e)
        loss = recon + choice + c.flow_weight * (window_flow + camera_flow) + logs.get("object_loss", 0.0)
        if self.residual is not None:  # given the layers as measured, held fixed: it learns what they leave
            n = c.residual_frames
            kept = self._with_residual(layered[:, :n], fi[:, :n], c.frames, cond.detach())
            real = lit[torch.arange(len(lit), device=lit.device)[:, None], fi[:, :n]]  # in the clip's own light
            logs["residual"] = (kept - real).abs().mean()
            loss = loss + logs["residual"]
        return loss, {"loss": loss, "recon": recon, "choice": choice, "window_flow": window_flow,
                      "camera_flow": camera_flow, **logs}

    def _evened(self, video: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
        """Clips (B, T, 3, H, W) as the layers learn them: with `light_evened`, a clip whose light
        changes (LIT) in its brightest frame's light throughout (`camera.evened`)."""
        return evened(video, camera, LIT) if self.cfg.light_evened else video

    def _background(self, video: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
        """Each clip's background in its first frame's view (B, 3, H, W): what picks and places
        its image (`plain_background`: its border's colour; `median_background`: the median of
        its frames; else its first frame)."""
        if self.cfg.plain_background:
            h, w = video.shape[-2:]
            return border_colour(video[:, 0])[..., None, None].expand(-1, -1, h, w)
        return stabilised_median(video, camera) if self.cfg.median_background else video[:, 0]

    def _images(self, still: torch.Tensor, e: torch.Tensor):
        """Each clip's image of the bank (B,) by its background (B, 3, H, W), with the
        captions' logits over the images and each clip's best correlation with any."""
        c = self.cfg
        seeded = torch.arange(c.atlases, device=still.device) < self.atlas.seeded
        logits = self.atlas.choose(e)
        ncc = match(still, self.atlas[torch.arange(c.atlases)].detach(), c.window_range).masked_fill(~seeded, -1.0)
        scores = c.match_weight * ncc + logits.detach().log_softmax(1)  # hard EM, the caption as prior
        return scores.masked_fill(~seeded, -math.inf).argmax(1), logits, ncc.amax(1)

    def _redraw(self, video, still, captions, cond, k, camera, frames, progress=None):
        """Clips (B, T, ...) drawn again at `frames` (B, F) from the layers measured in them:
        their image k (B,) seen from where their background `still` (B, 3, H, W) lies in it,
        moved by the camera track. With an object layer, what differs from that is the object:
        where it also differs from the clip's own stabilised background its pixels weigh nothing
        in the canvas's loss, and from `progress` on (None: not yet; the canvas still holds the
        objects of the clips that seeded it) its coverage and colour (given `cond` (B, D), the
        caption's condition with its image's) train the object layer.
        Returns the canvas's frames, each pixel's weight in the loss, what the window prior
        learns (window, colours), the object layer's losses, the object (coverage (B, T, H, W),
        colour (B, 3); with several, (B, K, ...) each; None without one) and the frames as the
        measured layers draw them (the canvas with the objects painted over it; held fixed)."""
        c = self.cfg
        atlas = self.atlas[k]
        window = place(still, atlas.detach(), c.window_range, c.window_sizes)
        rows = torch.arange(video.shape[0], device=video.device)[:, None]
        target = video[rows, frames]
        windows = in_atlas(window, camera)
        drawn = self.draw(atlas, windows[rows, frames])
        start = window
        if c.clip_colour:
            colour = colour_fit(drawn.detach(), target)
            drawn, start = recolour(drawn, colour), torch.cat([window, colour], 1)
        logs, thing, layered = {}, None, drawn.detach()
        weight = torch.ones_like(target[:, :, :1])
        if self.object is not None:
            with torch.no_grad():  # the background of every frame: what differs from it is the object
                background = self.draw(atlas, windows)
                background = recolour(background, colour) if c.clip_colour else background
                own = still if c.median_background or c.plain_background else stabilised_median(video, camera)
                moved = differs(video, self.draw(own, camera))  # own: (B, 3, H, W), seen as each frame sees it
                thing = self.object.measure(video, background, moved)
                if self.residual is not None:
                    layered = self.object.paint(*thing, background)[rows, frames]
            # the canvas learns from all but the object: what differs from the canvas and also from
            # the clip's own stabilised background. Where the canvas holds another clip's object
            # and this clip shows its background, it learns the object away rather than keeping it.
            # An object that stays put in most frames is in that background, and teaches the canvas
            # (clips without it then learn it away); where a frame sees past the first frame's view
            # the background is its edge drawn on, and only the canvas's difference counts
            weight = 1 - torch.minimum(self.object.covered(thing[0]), moved)[rows, frames][:, :, None]
            if progress is not None:
                loss, inner = self.object.losses(*thing, background, captions, cond, progress)
                logs = {"object_loss": loss, **{f"object_{n}": v for n, v in inner.items()}}
        return drawn, weight, start, logs, thing, layered

    @torch.no_grad()
    def layered_copy(self, video: torch.Tensor, captions: list[str], residual: bool = True) -> torch.Tensor:
        """Clips (B, T, 3, H, W) drawn again from the layers measured in them, as training draws
        them, and the residual layer's (with one and `residual`): what of a clip the model explains."""
        return self.layered_copy_given(video, self.text(captions), captions, residual)

    @torch.no_grad()
    def layered_copy_given(self, video: torch.Tensor, e: torch.Tensor, captions: list[str] | None,
                           residual: bool = True) -> torch.Tensor:
        """`layered_copy` for captions already read (`losses_given`)."""
        b, t = video.shape[:2]
        camera = self._measure_camera(video)
        video = self._evened(video, camera)
        still = self._background(video, camera)
        k = self._images(still, e)[0]
        frames = torch.arange(t, device=video.device).expand(b, -1)
        cond = e + self.atlas.code(k)
        drawn, _, _, _, thing, _ = self._redraw(video, still, captions, cond, k, camera, frames)
        if thing is not None:  # its coverage as the coverage model draws it, not as measured
            drawn = self.object.copy(*thing, captions, drawn)
        if residual and self.residual is not None:
            drawn = self._with_residual(drawn, frames, t, cond)
        return drawn.clamp(-1, 1)

    def _camera(self, motion_e, generator, frames, guidance, temperature) -> torch.Tensor:
        """A camera track (B, frames, 3) drawn from the prior for motion words read as `motion_e` (B, D)."""
        c = self.cfg
        camera = latent_to_camera(self.camera_prior.sample(motion_e, generator,
                                                           guidance=guidance, temperature=temperature), c.frames)
        if frames and frames != c.frames:
            camera = F.interpolate(camera.transpose(1, 2), size=frames, mode="linear",
                                   align_corners=True).transpose(1, 2)
        return camera

    @torch.no_grad()
    def layers(self, captions, generator, frames=None, guidance=None, temperature=None):
        """The captions' clips as their layers, apart: the canvas seen through the camera
        (B, F, 3, H, W) and, with an object layer, the object's coverage (B, F, H, W) and colour
        (B, 3); with several, each one's (B, K, F, H, W) and (B, K, 3); None without one.
        `generate` paints them over it."""
        return self.layers_given(self.text(captions), self.motion_text(captions), captions, generator,
                                 frames, guidance, temperature)

    def _condition(self, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The image (B,) captions read as `e` (B, D) choose, and their condition with it (B, D)."""
        k = self.atlas.pick(e, self.cfg.image_by_lift)  # the caption's own image: images are never mixed
        return k, e + self.atlas.code(k)

    def _with_residual(self, layered: torch.Tensor, frames: torch.Tensor, length: int, cond: torch.Tensor):
        """Frames drawn from the layers (B, F, 3, H, W), at indices `frames` (B, F) of clips
        `length` frames long, with the residual layer's difference given `cond` (B, D) added."""
        return layered + self.residual(layered, frames / max(length - 1, 1), cond)

    @torch.no_grad()
    def layers_given(self, e, motion_e, captions, generator, frames=None, guidance=None, temperature=None):
        """`layers` for captions already read (`losses_given`)."""
        c = self.cfg
        k, cond = self._condition(e)
        start = self.window_prior.sample(cond, generator, guidance=c.window_guidance, temperature=temperature)
        if c.plain_background:  # one colour looks the same through any camera: its prior is not run
            camera = start.new_zeros(len(start), frames or c.frames, CAMERA)
        else:
            camera = self._camera(motion_e, generator, frames, guidance, temperature)
        canvas = self.draw(self.atlas[k], inside(in_atlas(start[:, :CAMERA], camera)))
        if c.clip_colour:
            canvas = recolour(canvas, start[:, CAMERA:CAMERA + COLOUR])
        if self.object is None:
            return canvas, None
        return canvas, self.object.sample(captions, cond, canvas, generator, guidance, temperature,
                                          c.object_colour_temperature if temperature is None else temperature)

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        e = self.text(captions)
        canvas, thing = self.layers_given(e, self.motion_text(captions), captions, generator, frames, guidance,
                                          temperature)
        video = canvas if thing is None else self.object.paint(*thing, canvas)
        if self.residual is not None:
            b, f = video.shape[:2]
            video = self._with_residual(video, torch.arange(f, device=video.device).expand(b, -1), f,
                                        self._condition(e)[1])
        return video.clamp(-1, 1)

    @torch.no_grad()
    def generate_given(self, e, motion_e, generator, frames=None, guidance=None, temperature=None):
        """`generate` for captions already read (`losses_given`): the canvas alone (what a
        coverage model draws; an object layer's objects need the captions)."""
        return self.layers_given(e, motion_e, None, generator, frames, guidance, temperature)[0].clamp(-1, 1)

    @torch.no_grad()
    def animate(self, stills, captions, generator, frames=None, guidance=None, temperature=None):
        """Stills (B, 3, H, W) seen through the camera the captions' motion words ask for: the
        still is the first frame (the camera track starts at no change), and beyond its edges
        it goes on mirrored, a canvas that stays put while the view moves over it."""
        camera = self._camera(self.motion_text(captions), generator, frames, guidance, temperature)
        b, f = camera.shape[:2]
        video = view_through(stills.repeat_interleave(f, 0), camera.reshape(b * f, CAMERA), stills.shape[2:],
                             padding="reflection")
        return video.view(b, f, *stills.shape[1:])
