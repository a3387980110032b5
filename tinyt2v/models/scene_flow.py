"""scene-flow: sprite-flow in layers, for clips of several objects each bound to its words.

A scene of K objects is K sprites, each on its own pose track, over one background. The model
has `slots` object slots:
- words -> slots: slot attention over the caption's word states; slots compete for the words,
  so each word goes to one object's slot, and each slot says whether it holds an object;
- each slot's words, pooled as the one-object encoder pools a caption, draw one RGBA sprite
  (sprite-flow's sprite net); the same words through a second encoder say how it moves;
- one rectified-flow prior draws every slot's pose track jointly, given every slot's motion
  words: where each object goes depends on where the others go (world objects never touch);
- layers are warped to their poses and laid over the background.

Training needs captions and pixels only. Each clip is split into its objects from the pixels
(models/objects.py: blobs linked over frames) and each object's pose track is measured as in
sprite-flow. Which slot draws which object is not given: as in DETR, every clip's slots are
matched one to one to its objects by the cheapest assignment (the slot's sprite against the
object's first-frame cut-out, its predicted motion against the object's measured motion, its
presence), and the losses follow that matching. A slot that won the word "blue" draws blue,
so the matching gives it the blue object, and words bind to objects without labels.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..text import Vocab, build_text_encoder
from .base import System
from .flow_prior import FlowPrior
from .layers import Recomputable, foreground_error, foreground_weight, maybe_checkpoint, pick_frames
from .objects import object_tracks, split_objects
from .slots import SlotReader, assignments, cheapest, gather
from .sprite_flow import SpriteFlowConfig
from .sprites import BackgroundHead, SpriteNet, into_frame, reach, render, sprite_extent
from .tracks import (
    POSE,
    backgrounds,
    colour_distance,
    latent_to_track,
    resample_track,
    track_to_latent,
)

MOTION_SCALE = 10.0  # per-frame pose changes are ~0.01-0.2: scaled to ~1 for the motion head
MAX_SLOTS = 5        # matching tries every assignment: 5! = 120 per clip, 6! would be 720
REDRAWS = 4          # rounds of fresh prior draws for clips whose objects come too close ...
CANDIDATES = 8       # ... each round this many per clip at once (one batched prior call)
MARGIN = 3.0         # px at 64 px frames that a sample keeps between two objects' reaches (world
                     # clips keep 4 between outlines; closer ones read as one blob)


@dataclass
class SceneFlowConfig(SpriteFlowConfig):
    slots: int = 3              # most objects one clip can hold: one sprite and one track each
    slot_iterations: int = 3    # rounds in which the slots compete for the caption's words
    presence_weight: float = 1.0  # weight of the is-this-slot-used loss
    motion_weight: float = 1.0  # weight of each slot's predicted motion summary (it also binds
                                # motion words to the slot that matches the object)
    # weight of each slot's predicted start (x, y in the frame) against its object's: it teaches
    # the slot's motion words where the object starts when the caption says so ("above", "left
    # of"), which the joint prior reads; 0: no such head (checkpoints saved before it)
    place_weight: float = 0.0
    prior_width: int = 384      # the joint prior draws three tracks: sprite-flow default's width ...
    prior_depth: int = 4        # ... and depth
    # One prior draws every slot's track together, given every slot's motion words (it learns
    # where objects go around each other); False: one prior, shared by the slots, draws each
    # object's track from its own words (it learns from every object of a clip, not once per
    # clip, and objects are kept apart by the sampler's redraws alone).
    joint_prior: bool = True

    @property
    def prior_tracks(self) -> int:  # object tracks in one sample of the prior
        return self.slots if self.joint_prior else 1

    @property
    def latent(self) -> int:  # what the prior draws: sprite-flow's track (first pose + changes)
        return self.prior_tracks * (POSE * self.frames - 1)

    @property
    def objects(self) -> int:
        return self.slots


# A constant lr 2e-3 with AdamW's default beta2 blew up twice in 18k steps of the default run
# (a prior that had learnt to 0.25 jumped to 2.0 and took 3k steps to come back); a short
# warm-up, a cosine decay and a quicker second moment keep the late steps small. In the presets,
# not the class defaults, so that a run saved before them resumes as it began.
SCHEDULE = dict(warmup=0.02, lr_final=0.05, beta2=0.95)
PRESETS = {
    # A prior per object learns in a short run what the joint one does not (15 CPU-minutes:
    # benchmarks/results/quality_per_compute_scenes.md).
    "tiny": SceneFlowConfig(prior_width=256, prior_depth=3, joint_prior=False, **SCHEDULE),
    "default": SceneFlowConfig(**SCHEDULE),
}


def motion_summary(track: torch.Tensor) -> torch.Tensor:
    """Pose tracks (..., T, 4) -> (..., SUMMARY): the mean change per frame (drift, growth,
    turn), the mean size of the change (how much it moves at all: a bounce has no drift) and
    the mean log size. The motion encoder learns to say these from each slot's words: the
    prior's own loss spreads over every pose of every slot, and on its own taught size words
    weakly."""
    step = track.diff(dim=-2) * MOTION_SCALE
    return torch.cat([step.mean(-2), step.abs().mean(-2), track[..., 2:3].mean(-2)], -1)


SUMMARY = 2 * POSE + 1  # numbers in a motion summary


class SceneFlow(Recomputable, System):
    compile_targets = ("sprite", "prior")

    def __init__(self, cfg: SceneFlowConfig, vocab: Vocab):
        super().__init__()
        self.cfg = cfg
        # Three readings of the caption: which words are whose, what each object looks like,
        # how each one moves, as sprite-flow keeps looks and motion apart. The prior's noisy
        # gradient reaches only the motion encoder, and the presence losses only the binding
        # one; the binding also learns from the reconstruction, through which words it gives
        # each slot's look.
        self.binding = build_text_encoder(cfg.text, vocab, cfg.text_dim)
        self.text = build_text_encoder(cfg.text, vocab, cfg.text_dim)
        self.motion_text = build_text_encoder(cfg.text, vocab, cfg.text_dim)
        if not self.text.word_states:
            raise ValueError(f"scene-flow needs a text encoder with per-word states (gru or subword), "
                             f"not {cfg.text!r}")
        d = self.text.dim
        self.reader = SlotReader(cfg.slots, cfg.slot_iterations, d)
        self.sprite = SpriteNet(cfg, d)
        self.presence = nn.Linear(d + 1, 1)  # from the slot and its share of the words
        self.motion = nn.Sequential(nn.Linear(d, cfg.hidden), nn.SiLU(), nn.Linear(cfg.hidden, SUMMARY))
        self.place = nn.Sequential(nn.Linear(d, cfg.hidden), nn.SiLU(), nn.Linear(cfg.hidden, 2)) \
            if cfg.place_weight > 0 else None
        self.background = BackgroundHead(d)
        # p(every slot's track | every slot's motion), or p(one track | its motion)
        self.prior = FlowPrior(cfg, cfg.latent, cfg.prior_tracks * d)
        self.extent = sprite_extent(cfg.sprite, cfg.width)
        if not 1 <= cfg.slots <= MAX_SLOTS or cfg.slot_iterations < 1:
            raise ValueError(f"scene-flow takes 1 to {MAX_SLOTS} slots and at least one slot iteration")
        # every one-to-one assignment of slots to objects, tried at once (slots! of them)
        self.register_buffer("orders", assignments(cfg.slots), persistent=False)


    def read(self, captions: list[str]) -> tuple[torch.Tensor, ...]:
        """Captions -> (each slot's look (B, K, D), its motion words (B, K, D), presence logits
        (B, K), share of the words (B, K), background colours (B, 3)). A one-object caption
        whose words all go to one slot gets sprite-flow's look and motion embeddings."""
        words, mask, _ = self.binding.states(captions)
        state, share, weights = self.reader(words, mask)
        won = share.sum(1) / mask.sum(1, keepdim=True)  # (B, K)
        logits = self.presence(torch.cat([state, torch.log(won + 1e-4)[..., None]], -1))[..., 0]
        look_words, _, pooled = self.text.states(captions)
        look = self.text.out(torch.cat(gather(share, weights, look_words), -1))
        moving = self.motion_text.out(torch.cat(gather(share.detach(), weights.detach(),
                                                       self.motion_text.states(captions)[0]), -1))
        return look, moving, logits, won, self.background(pooled)

    def sprites(self, looks: torch.Tensor) -> torch.Tensor:
        """Each slot's look (B, K, D) -> its sprite (B, K, 4, S, S)."""
        s = self.cfg.sprite
        return self.sprite(looks.flatten(0, 1)).view(*looks.shape[:2], 4, s, s)

    def draw(self, sprites, present, track, bg):
        """Sprites (B, K, 4, S, S), presence (B, K) in [0, 1], poses (B, K, F, 4), background
        (B, 3) -> frames (B, F, 3, H, W)."""
        return maybe_checkpoint(self, self._draw, sprites, present, track, bg)

    def _draw(self, sprites, present, track, bg):
        c = self.cfg
        b, k, f = track.shape[:3]
        sprites = sprites * present[..., None, None, None].to(sprites.dtype)  # an absent slot is clear
        frames = bg.repeat_interleave(f, 0)  # (B * F, 3): each frame starts as its colour
        for j in range(k):  # objects never overlap: the layer order does not matter
            pose = track[:, j].reshape(b * f, POSE)
            frames = render(sprites[:, j].repeat_interleave(f, 0), pose[:, :3], pose[:, 3], frames,
                            c.height, c.width, self.extent)
        return frames.view(b, f, 3, c.height, c.width)

    # -- training

    def losses(self, video, captions, progress, targets):
        c = self.cfg
        b = video.shape[0]
        bgs = backgrounds(video)
        dist = colour_distance(video, bgs)
        index, present = split_objects(video, dist, c.slots)
        track = object_tracks(dist, index, c.slots, c.ref_radius)  # (B, K, T, 4)
        looks, moving, logits, won, bg = self.read(captions)
        motion = self.motion(moving)  # (B, K, 8)
        starts = self.place(moving) if self.place is not None else None  # (B, K, 2)
        sprites = self.sprites(looks)

        # -- match slots to objects (no gradient through the choice)
        cutouts = self.cutouts(video, index, track, bgs)  # (B, K, 3, S, S)
        order = self.match(sprites, logits, motion, cutouts, motion_summary(track), present, bgs[:, 0],
                           starts, track[:, :, 0, :2])
        rows = torch.arange(b, device=video.device)[:, None]
        track, present = track[rows, order], present[rows, order]  # object of each slot

        # -- losses
        fi, target = pick_frames(video, c.dec_frames)  # (B, F), (B, F, 3, H, W)
        slot = torch.arange(c.slots, device=video.device)[:, None]
        frames = self.draw(sprites, present.float(), track[rows[:, :, None], slot, fi[:, None]], bg)
        recon = foreground_error(frames, target, bgs[rows, fi][..., None, None], c.fg_weight)
        presence = F.binary_cross_entropy_with_logits(logits, present.float()) \
            + (won * ~present).sum(-1).mean()  # words in a slot that draws nothing are lost
        used = present.float()
        moves = ((motion - motion_summary(track)).abs().mean(-1) * used).sum() / used.sum().clamp(min=1)
        place = torch.zeros_like(moves) if starts is None else \
            ((starts - track[:, :, 0, :2]).abs().mean(-1) * used).sum() / used.sum().clamp(min=1)
        z = track_to_latent(track.flatten(0, 1)).view(b, c.slots, -1) * used[..., None]
        if c.joint_prior:
            flow = self.prior.loss(z.flatten(1), moving.flatten(1))
        else:  # each object a sample of its own; absent slots have no track to learn
            flow = self.prior.loss(z[present], moving[present])
        loss = recon + c.flow_weight * flow + c.presence_weight * presence + c.motion_weight * moves \
            + c.place_weight * place
        terms = {"loss": loss, "recon": recon, "flow": flow, "presence": presence, "motion": moves}
        return loss, terms | ({"place": place} if starts is not None else {})

    @torch.no_grad()
    def cutouts(self, video, index, track, bgs):
        """Each object alone over the background in the first frame, warped to the sprite's
        canonical frame (centred, radius ref_radius, as first seen): (B, K, 3, S, S)."""
        c = self.cfg
        b = video.shape[0]
        first, under = video[:, 0], bgs[:, 0, :, None, None]  # (B, 3, H, W), (B, 3, 1, 1)
        alone = torch.stack([torch.where(index[:, 0, None] == j, first, under) for j in range(c.slots)], 1)
        pose = track[:, :, 0].flatten(0, 1)  # (B * K, 4), angle 0 in the first frame
        s = pose[:, 2].clamp(-2, 2).exp() * self.extent
        zero = torch.zeros_like(s)
        theta = torch.stack([torch.stack([s, zero, pose[:, 0]], -1), torch.stack([zero, s, pose[:, 1]], -1)], 1)
        grid = F.affine_grid(theta, (b * c.slots, 3, c.sprite, c.sprite), align_corners=False)
        out = F.grid_sample(alone.flatten(0, 1), grid, align_corners=False, padding_mode="border")
        return out.view(b, c.slots, 3, c.sprite, c.sprite)

    @torch.no_grad()
    def match(self, sprites, logits, motion, cutouts, measured, present, bg, starts=None, measured_starts=None):
        """The object each slot takes (B, K): the permutation of least total cost, where a slot
        pays for an object its sprite's difference from the object's cut-out, its motion's from
        the object's (and its start's, with a place head), and its presence logit's from whether
        the object is there."""
        c = self.cfg
        drawn = sprites[:, :, :3] + (1 - sprites[:, :, 3:]) * bg[:, None, :, None, None]  # (B, K, 3, S, S)
        weight = foreground_weight(cutouts, bg[:, None, :, None, None], c.fg_weight)  # (B, K, 1, S, S)
        look = (weight[:, None] * (drawn[:, :, None] - cutouts[:, None]).abs()).mean((3, 4, 5))  # (B, K, K)
        moves = c.motion_weight * (motion[:, :, None] - measured[:, None]).abs().mean(-1)
        if starts is not None:
            moves = moves + c.place_weight * (starts[:, :, None] - measured_starts[:, None]).abs().mean(-1)
        there = present[:, None].float()
        exists = F.binary_cross_entropy_with_logits(logits[:, :, None].expand_as(look), there.expand_as(look),
                                                    reduction="none")
        cost = exists + there * (look + moves)  # (B, slot, object)
        return cheapest(cost, self.orders)[0]

    # -- sampling

    @torch.no_grad()
    def generate(self, captions, generator, frames=None, guidance=None, temperature=None):
        c = self.cfg
        looks, moving, logits, _, bg = self.read(captions)
        p = torch.sigmoid(logits)
        present = (p > 0.5) | (p == p.amax(-1, keepdim=True))  # at least one object
        sprites = self.sprites(looks)
        track = self.sample_tracks(moving, present, reach(sprites), generator, guidance, temperature)
        n = frames or c.frames
        track = resample_track(track.flatten(0, 1), n).view(len(captions), c.slots, n, POSE)
        return self.draw(sprites, present.float(), track, bg).clamp(-1, 1)

    @torch.no_grad()
    def sample_tracks(self, moving, present, reach, generator, guidance=None, temperature=None):
        """Every slot's track (B, K, T, 4) from the prior, each shifted into the frame (in_frame);
        a clip whose objects come closer than MARGIN is drawn again (REDRAWS rounds of
        CANDIDATES draws; the first draw that fits is kept, else the one with the most room).
        The prior learns that world objects keep apart, but not always, and a sample drawn
        near the middle of the noise (temperature < 1) pulls look-alike objects, such as
        a counted group, to the same place."""
        c = self.cfg
        b = moving.shape[0]

        def draw(rows):
            z = self.prior.sample(moving[rows].reshape(-1, c.prior_tracks * moving.shape[-1]),
                                  generator, guidance=guidance, temperature=temperature)
            track = latent_to_track(z.view(-1, POSE * c.frames - 1), c.frames)
            if c.in_frame:
                track = into_frame(track, reach[rows].flatten(), c.height, c.width)
            return track.view(-1, c.slots, c.frames, POSE)

        track = draw(torch.arange(b, device=moving.device))
        room = self.room(track, present, reach)
        for _ in range(REDRAWS):
            again = (room < 0).nonzero()[:, 0]
            if len(again) == 0:
                break
            rows = again.repeat_interleave(CANDIDATES)
            new = draw(rows).view(len(again), CANDIDATES, *track.shape[1:])
            more = self.room(new.flatten(0, 1), present[rows], reach[rows]).view(len(again), -1)
            # the first candidate that fits (choosing the roomiest would favour small objects),
            # else the roomiest; argmax returns the first of equal maxima
            fits = more >= 0
            best = torch.where(fits.any(-1), fits.float().argmax(-1), more.argmax(-1))
            at = torch.arange(len(again), device=new.device)
            new, more = new[at, best], more[at, best]
            better = more > room[again]
            track[again[better]], room[again[better]] = new[better], more[better]
        return track

    def room(self, track, present, reach):
        """Per clip (B,): the least distance in px, over frames and pairs of present objects,
        between their centres beyond both objects' reach (B, K, at scale 1) and MARGIN (below
        0: the objects would touch or read as one; +inf for a clip of one object)."""
        c = self.cfg
        px = track[..., :2] * track.new_tensor([c.width / 2, c.height / 2])  # frame coordinates -> px
        ext = reach[..., None] * track[..., 2].clamp(-2, 2).exp()  # (B, K, T) px
        gap = (px[:, :, None] - px[:, None]).norm(dim=-1) - ext[:, :, None] - ext[:, None] \
            - MARGIN * min(c.height, c.width) / 64  # (B, K, K, T) px
        pair = present[:, :, None] & present[:, None] & ~torch.eye(c.slots, dtype=torch.bool,
                                                                    device=track.device)  # (B, K, K)
        return gap.masked_fill(~pair[..., None], float("inf")).flatten(1).amin(-1)
