"""Scenes: clips of several objects, each with its own shape, colour, size and motion.

A scene holds 1..world.objects objects. Objects differ in (shape, colour), except the members
of a counted group ("two red circles moving up"), which share shape, colour, size, motion and
speed. Objects never touch: every pair keeps at least GAP px between their outlines in every
frame (start positions are redrawn until they do), so a crossing is never an occlusion and the
judge can read each object on its own. A scene is drawn layer by layer over one background.

Splits (fixed by RESERVED_SEED, so every checkout agrees):
- train / test: objects from the one-object train combinations; never a reserved assignment
  or a reserved count;
- binding: two objects whose (colour, shape) assignment is reserved: "blue circle + red
  square" where train has "red circle + blue square". Each (colour, shape) and (shape, motion)
  pair in it is a train pair; only the assignment within the scene is new;
- heldout: at least one object from the one-object held-out combinations;
- count: a counted group of a (shape, colour) kind at a count train never shows it at;
- paraphrase: train scenes, captioned with the paraphrase grammar.
A world with `relations` > 0 also relates the first two objects of that share of train / test
scenes by where they start ("a red circle above a blue square"; relations.py), and adds:
- relation: a related pair whose arrangement (axis, first shape, second shape) is held out;
- relation_wording: train arrangements, each relation in the one wording training never uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np

from .attributes import COLORS, MOTIONS, SHAPES, SIZES, SPEEDS
from .scene_captions import scene_caption
from .config import WorldConfig
from .layout import Batch, PerClip, fill_backgrounds
from .motion import start_range, trajectories
from .relations import AXIS, RELATIONS, arrangement, held_arrangements, placed_as, wordings
from .render import extent
from .splits import RELATION_SPLITS, combos, splits_of

GAP = 4.0            # px at 64 px frames between two objects' outlines, in every frame
COUNTS = (2, 3)      # sizes of a counted group
COUNT_SHARE = 0.25   # share of train / test scenes that are one counted group
BINDING_SHARE = 0.25  # share of (colour pair, shape pair) quads with an assignment reserved
COUNT_RESERVED = 0.2  # share of (shape, colour, count) kinds reserved for the count split
RESERVED_SEED = 20262
PLACE_TRIES = 50      # start positions tried before the scene's objects are redrawn
RELATION_TRIES = 400  # the same for a related pair, whose starts must also show the relation


@cache
def reserved(world: WorldConfig) -> tuple[frozenset, frozenset]:
    """(binding assignments: frozensets {(colour, shape), (colour, shape)}, counted kinds:
    (shape, colour, count)) that train never shows."""
    rng = np.random.default_rng(RESERVED_SEED)
    pairs = {(c, s) for s, c, _, _ in combos(world, "train")}
    assign = []
    for c1, c2 in combinations(world.colors, 2):
        for s1, s2 in combinations(world.shapes, 2):
            x, y = frozenset({(c1, s1), (c2, s2)}), frozenset({(c1, s2), (c2, s1)})
            if x | y <= pairs and rng.random() < BINDING_SHARE:
                assign.append(x if rng.random() < 0.5 else y)
    kinds = sorted({(s, c) for c, s in pairs})
    counted = [(s, c, n) for s, c in kinds for n in COUNTS
               if n <= world.objects and rng.random() < COUNT_RESERVED]
    return frozenset(assign), frozenset(counted)


def describe_reserved(world: WorldConfig) -> list[str]:
    """What the binding and count splits hold, as lines for people."""
    binding, counted = reserved(world)
    relations = [] if not world.relations else [
        f"related pairs: {world.relations:.0%} of train scenes; held-out arrangements: " + "; ".join(
            f"{a} {'above' if axis == 'vertical' else 'left of'} {b}" for axis, a, b in sorted(held_arrangements(world))),
        "wordings only the relation_wording split uses: " + ", ".join(wordings(r, held_out=True)[0] for r in RELATIONS)]
    return [f"scenes of 1-{world.objects} objects; splits: {', '.join(splits_of(world))}",
            "binding assignments (train never shows them together): " + "; ".join(
                " + ".join(f"{c} {s}" for c, s in sorted(a)) for a in sorted(binding, key=sorted)),
            "counted kinds of the count split: " + ", ".join(f"{n} {c} {s}" for s, c, n in sorted(counted)),
            *relations]


@dataclass
class SceneObject:
    """One object of a scene (a counted group lists its members one by one)."""
    shape: str
    color: str
    size: str
    motion: str
    speed: str


def _pool(world, split):
    return combos(world, "heldout" if split == "heldout" else "train")


def _allowed(world, objs: list[SceneObject], group: bool) -> bool:
    """Whether a train / test scene avoids every reserved assignment and count."""
    binding, counted = reserved(world)
    if group:
        return (objs[0].shape, objs[0].color, len(objs)) not in counted
    kinds = {(o.color, o.shape) for o in objs}
    return not any(a <= kinds for a in binding)


def draw_objects(world: WorldConfig, split: str, rng: np.random.Generator) -> tuple[list[SceneObject], bool]:
    """The objects of one scene of a split and whether they are one counted group."""
    train = combos(world, "train")
    speed = lambda: world.speeds[rng.integers(len(world.speeds))]  # noqa: E731
    obj = lambda r: SceneObject(r[0], r[1], r[2], r[3], speed())  # noqa: E731
    binding, counted = reserved(world)
    if split in ("binding", "count") and not (binding if split == "binding" else counted):
        raise ValueError(f"world {world.name!r} is too small to reserve any {split} scenes")
    if split == "binding":
        # sorted by content: frozensets compare by subset, so a plain sort follows hash order
        pair = sorted(sorted(binding, key=sorted)[rng.integers(len(binding))])
        return [obj(_row(rng, train, s, c)) for c, s in pair], False
    if split == "count":
        s, c, n = sorted(counted)[rng.integers(len(counted))]
        return [obj(_row(rng, train, s, c))] * n, True
    pool = _pool(world, split)  # heldout: the first object (or the group) is held out
    while True:
        if rng.random() < COUNT_SHARE and world.objects >= min(COUNTS):
            n = int(rng.choice([k for k in COUNTS if k <= world.objects]))
            objs, group = [obj(pool[rng.integers(len(pool))])] * n, True
        else:
            k = int(rng.integers(1, world.objects + 1))
            k = min(k, len({(r[0], r[1]) for r in train}))  # objects differ in (shape, colour)
            objs = [obj(pool[rng.integers(len(pool))])]
            while len(objs) < k:
                o = obj(train[rng.integers(len(train))])
                if all((o.shape, o.color) != (p.shape, p.color) for p in objs):
                    objs.append(o)
            group = False
        if split == "heldout" or _allowed(world, objs, group):
            return objs, group


def _row(rng, pool, shape, color):
    rows = [r for r in pool if r[0] == shape and r[1] == color]
    return rows[rng.integers(len(rows))]


@dataclass
class Relation:
    """Where a scene's subject starts against its object (indices into its objects)."""
    kind: str                # one of relations.RELATIONS
    subject_first: bool      # the subject comes first along the axis (next_to's side)
    subject: int = 0
    object: int = 1


def draw_related(world: WorldConfig, split: str, rng: np.random.Generator) -> tuple[list[SceneObject], Relation]:
    """2..world.objects objects of train combinations, the first two related; the arrangement
    is held out exactly in the `relation` split."""
    train = combos(world, "train")
    held = held_arrangements(world)
    while True:
        k = int(rng.integers(2, world.objects + 1))
        objs: list[SceneObject] = []
        while len(objs) < k:
            r = train[rng.integers(len(train))]
            o = SceneObject(r[0], r[1], r[2], r[3], world.speeds[rng.integers(len(world.speeds))])
            if all((o.shape, o.color) != (p.shape, p.color) for p in objs):
                objs.append(o)
        kind = RELATIONS[rng.integers(len(RELATIONS))]
        side = bool(rng.random() < 0.5)
        first = side if AXIS[kind][1] is None else AXIS[kind][1]
        if _allowed(world, objs, False) and \
                (arrangement(kind, objs[0].shape, objs[1].shape, first) in held) == (split == "relation"):
            return objs, Relation(kind, first)


@dataclass
class Placed:
    """Per-object arrays of one scene, ready to render (as Layout's, for K objects)."""
    shape: np.ndarray   # (K,)
    rgb: np.ndarray     # (K, 3)
    radius: np.ndarray  # (K,)
    center: np.ndarray  # (K, T, 2)
    scale: np.ndarray   # (K, T)
    angle: np.ndarray   # (K, T)


def place(world: WorldConfig, objs: list[SceneObject], rng: np.random.Generator,
          relation: Relation | None = None) -> Placed | None:
    """Sizes, paths and start positions that keep every pair of objects GAP px apart in every
    frame (and show the relation); None if every start tried failed."""
    k, px = len(objs), world.px
    shape = np.array([SHAPES.index(o.shape) for o in objs])
    motion = np.array([MOTIONS.index(o.motion) for o in objs])
    sp = [world.speed_override or SPEEDS[o.speed] for o in objs]
    lo_hi = np.array([SIZES[o.size] for o in objs])
    radius = (lo_hi[:, 0] + rng.random(k) * (lo_hi[:, 1] - lo_hi[:, 0])) * px
    offset, scale, angle = trajectories(
        motion, np.array([s.step for s in sp]) * px, np.array([s.spin for s in sp]),
        np.array([s.growth for s in sp]), np.array([s.swing for s in sp]) * px, rng.random(k),
        rng.choice([-1.0, 1.0], size=k), world.frames)
    ext = radius[:, None] * extent(shape)[:, None] * scale  # (K, T) circumradius px
    lo, hi = start_range(offset, ext, (world.height, world.width), world.in_frame)
    for _ in range(RELATION_TRIES if relation else PLACE_TRIES):
        center = (lo + rng.random((k, 2)) * (hi - lo))[:, None, :] + offset  # (K, T, 2)
        apart = all((np.linalg.norm(center[i] - center[j], axis=-1) - ext[i] - ext[j] >= GAP * px).all()
                    for i, j in combinations(range(k), 2))
        if apart and (relation is None or placed_as(relation.kind, center[relation.subject, 0],
                                                    center[relation.object, 0], relation.subject_first)):
            rgb = np.array([COLORS[o.color] for o in objs], np.uint8)
            return Placed(shape, rgb, radius, center, scale, angle)
    return None


def scene_label(objs: list[SceneObject], placed: Placed, group: bool, relation: Relation | None = None) -> dict:
    """What a scene shows: its objects' labels, for a counted group the count, and the relation
    its caption names (None: none)."""
    return dict(objects=[dict(shape=o.shape, color=o.color, size=o.size, motion=o.motion,
                              speed=o.speed, start_x=round(float(c[0, 0]), 2),
                              start_y=round(float(c[0, 1]), 2), radius=round(float(r), 3))
                         for o, c, r in zip(objs, placed.center, placed.radius)],
                count=len(objs) if group else None,
                relation=None if relation is None else dict(kind=relation.kind, subject=relation.subject,
                                                            object=relation.object))


def layout_scene(world: WorldConfig, split: str, rng: np.random.Generator) -> tuple[Placed, str, dict]:
    """One scene of a split: (what to draw, its caption, its label)."""
    splits = splits_of(world)
    if split not in splits:
        raise ValueError(f"unknown scenes split {split!r} for world {world.name!r}; choose from {', '.join(splits)}")
    # a world without relations draws no number for them: its scenes stay as they were
    related = split in RELATION_SPLITS or (split in ("train", "test") and world.relations > 0
                                           and rng.random() < world.relations)
    while True:
        relation = None
        if related:
            objs, relation = draw_related(world, split, rng)
            group = False
        else:
            objs, group = draw_objects(world, split, rng)
        placed = place(world, objs, rng, relation)
        if placed is not None:
            break
    style = "paraphrase" if split == "paraphrase" else world.captions
    phrases = [(objs[0], len(objs))] if group else [(o, 1) for o in objs]
    words = None
    if relation is not None:
        options = wordings(relation.kind, held_out=split == "relation_wording")
        words = options[rng.integers(len(options))] if world.captions == "train" else options[0]
    caption = scene_caption(rng, [(o.shape, o.color, o.size, o.motion, o.speed, n) for o, n in phrases],
                            style, words)
    return placed, caption, scene_label(objs, placed, group, relation)


@dataclass
class SceneLayout(PerClip):
    """A block of scenes before drawing; `draw` as Layout.draw."""
    placed: list[Placed]
    background: np.ndarray  # (N, H, W, 3) uint8
    captions: list[str]
    labels: list[dict]

    def draw(self, device=None):
        """The clips, layer by layer: layer j holds the j-th object of every scene that has one.
        Objects never overlap, so each layer is drawn over the clips as the earlier layers left
        them, as if over the background."""
        t = self.placed[0].center.shape[1] if self.placed else 1
        layers = max((len(p.shape) for p in self.placed), default=0)
        if device is None:
            from .render import render as draw_layer
            video = np.repeat(self.background[:, None], t, axis=1)
        else:
            import torch

            from .render_torch import render_on
            draw_layer = lambda *a: render_on(device, *a)  # noqa: E731
            video = torch.from_numpy(np.repeat(self.background[:, None], t, axis=1)).to(device)
        for j in range(layers):
            idx = np.array([i for i, p in enumerate(self.placed) if len(p.shape) > j])
            part = [p for p in self.placed if len(p.shape) > j]
            args = (np.array([p.shape[j] for p in part]), np.stack([p.rgb[j] for p in part]),
                    np.array([p.radius[j] for p in part]), np.stack([p.center[j] for p in part]),
                    np.stack([p.scale[j] for p in part]), np.stack([p.angle[j] for p in part]),
                    self.background[idx])
            if device is None:
                video[idx] = draw_layer(*args, frames=video[idx])  # video[idx] is a copy
            else:
                layer = draw_layer(*args)
                bg = video.new_tensor(self.background[idx])[:, None].expand_as(layer)
                changed = (layer != bg).any(-1, keepdim=True)
                sel = torch.from_numpy(idx).to(device)
                video[sel] = torch.where(changed, layer, video[sel])
        return Batch(video, self.captions, self.labels)


def layout_scene_block(world: WorldConfig, split: str, rng: np.random.Generator, n: int) -> SceneLayout:
    """n scenes of a split, laid out."""
    placed, captions, labels = [], [], []
    for _ in range(n):
        p, c, lab = layout_scene(world, split, rng)
        placed.append(p)
        captions.append(c)
        labels.append(lab)
    return SceneLayout(placed, fill_backgrounds(world, rng, n), captions, labels)
