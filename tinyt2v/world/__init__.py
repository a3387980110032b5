"""The procedural world: captioned clips of one shape doing one motion."""
from .attributes import COLORS, MOTIONS, SHAPES, SIZES, SPEEDS
from .captions import PromptError, make_caption, parse_prompt, travels_anywhere
from .config import PRESETS, WorldConfig, get_world
from .labels import label_heads, label_targets
from .sample import Batch, clips, clip_batch
from .splits import SPLITS, combos, heldout_pairs
from .vocabulary import training_words

__all__ = ["COLORS", "MOTIONS", "SHAPES", "SIZES", "SPEEDS", "PromptError", "make_caption",
           "parse_prompt", "travels_anywhere", "PRESETS", "WorldConfig", "get_world", "Batch", "clips", "clip_batch",
           "SPLITS", "combos", "heldout_pairs", "training_words", "label_heads", "label_targets"]
