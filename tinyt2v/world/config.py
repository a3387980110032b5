"""World configuration as data, with named presets (`default`, `seed`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .attributes import COLORS, MOTIONS, SHAPES, SIZES, SPEEDS, Speed


@dataclass(frozen=True)
class WorldConfig:
    """What clips look like. Pixel quantities are for 64 px frames and scale with the frame."""

    name: str = "default"
    frames: int = 16
    height: int = 64
    width: int = 64
    background: tuple[int, int, int] = (255, 255, 255)
    texture: float = 0.0  # amplitude (0..1) of a static per-clip noise texture on the background
    in_frame: bool = True  # keep the object wholly inside the frame for the whole clip
    shapes: tuple[str, ...] = SHAPES
    colors: tuple[str, ...] = tuple(COLORS)
    sizes: tuple[str, ...] = tuple(SIZES)
    motions: tuple[str, ...] = MOTIONS
    speeds: tuple[str, ...] = tuple(SPEEDS)
    captions: str = "train"  # training wordings: "train" (the rich grammar) or "plain" (one
                             # wording per attribute value, for toy worlds a model must overfit)
    # Fixed caption list [(caption, motion)] instead of the grammar (the `seed` preset).
    prompts: tuple[tuple[str, str], ...] = ()
    heldout_prompts: tuple[tuple[str, str], ...] = ()
    radius: float | None = None  # fixed equal-area radius in px instead of drawing from `sizes`
    speed_override: Speed | None = None  # one speed for every clip (the `seed` preset)
    heldout_fraction: float = 0.12  # share of (shape, motion) and (colour, shape) pairs held out
    objects: int = 1  # most objects per clip: 1 is the one-object world, more a scenes world
    relations: float = 0.0  # share of train / test scenes whose first two objects are placed as
                            # their caption says ("a red circle above a blue square"; relations.py)

    def to_dict(self) -> dict:
        """Plain JSON-able data (for checkpoints)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "WorldConfig":
        """Inverse of to_dict, from JSON (where tuples came back as lists)."""
        d = dict(d)
        if d.get("speed_override"):
            d["speed_override"] = Speed(**d["speed_override"])
        for k in ("background", "shapes", "colors", "sizes", "motions", "speeds"):
            d[k] = tuple(d[k])
        for k in ("prompts", "heldout_prompts"):
            d[k] = tuple(tuple(p) for p in d[k])
        return cls(**d)

    @property
    def px(self) -> float:
        """Pixels per 64-px-frame pixel."""
        return min(self.height, self.width) / 64.0

    def __post_init__(self):
        if self.frames < 2 or self.height < 16 or self.width < 16:
            raise ValueError("a world clip needs at least 2 frames of 16x16 pixels")
        for name, values, allowed in (("shapes", self.shapes, SHAPES), ("colors", self.colors, COLORS),
                                      ("sizes", self.sizes, SIZES), ("motions", self.motions, MOTIONS),
                                      ("speeds", self.speeds, SPEEDS)):
            bad = [v for v in values if v not in allowed]
            if bad or not values:
                raise ValueError(f"unknown {name} {bad}; allowed: {', '.join(allowed)}")


# The tutorial's 18 training prompts; it tests on "circle moving up-right", which is not among
# them. Its "rotating" prompts show a still circle (a turning circle looks still), so they are
# labelled still: that is what the pixels show and what the judge can check.
SEED_PROMPTS = (
    ("circle moving down", "down"), ("circle moving left", "left"), ("circle moving right", "right"),
    ("circle moving diagonally up-right", "up_right"),
    ("circle moving diagonally down-left", "down_left"),
    ("circle moving diagonally up-left", "up_left"),
    ("circle moving diagonally down-right", "down_right"),
    ("circle rotating clockwise", "still"), ("circle rotating counter-clockwise", "still"),
    ("circle shrinking", "shrink"), ("circle expanding", "grow"),
    ("circle bouncing vertically", "bounce_vertical"),
    ("circle bouncing horizontally", "bounce_horizontal"),
    ("circle zigzagging vertically", "zigzag_vertical"),
    ("circle zigzagging horizontally", "zigzag_horizontal"),
    ("circle moving up-left", "up_left"), ("circle moving down-right", "down_right"),
    ("circle moving down-left", "down_left"),
)

PRESETS: dict[str, WorldConfig] = {
    "default": WorldConfig(),
    # The tutorial's world: one blue 10-px circle, 5 px per frame, 10 frames of 64x64.
    "seed": WorldConfig(
        name="seed", frames=10, shapes=("circle",), colors=("blue",), sizes=("small",),
        prompts=SEED_PROMPTS, heldout_prompts=(("circle moving up-right", "up_right"),),
        radius=5.0, speed_override=Speed(step=5.0, spin=0.0, growth=2.0, swing=20.0),
        speeds=("normal",),
    ),
    # Several objects per clip, each bound to its own words (world/scenes.py).
    "scenes": WorldConfig(name="scenes", objects=3),
    # Scenes whose captions also say where two objects start against each other.
    "relations": WorldConfig(name="relations", objects=3, relations=0.3),
}


def get_world(name: str, **overrides) -> WorldConfig:
    """A preset by name, optionally with fields replaced (e.g. frames=8)."""
    if name not in PRESETS:
        raise ValueError(f"unknown world preset {name!r}; choose from {', '.join(PRESETS)}")
    return replace(PRESETS[name], **overrides) if overrides else PRESETS[name]


