"""Text -> video for users: load a checkpoint, check the prompt, sample, return frames.

    from tinyt2v import Pipeline
    pipe = Pipeline.from_pretrained()            # the shipped default checkpoint, on the CPU
    video = pipe("a small red circle moving up-right", seed=0)
    video.save("circle.mp4")                     # .mp4, .gif or a PNG folder
    pipe.to("cuda")                              # or from_pretrained(device="auto"): a GPU if any

Sampling noise is drawn on the CPU from the seed, so a seed gives the same clip on any device
(up to the device's float rounding).
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import checkpoint as ckpt
from .devices import resolve_device
from .io import to_uint8, write_video
from .models import build_model, config_from_dict, spec
from .text import Vocab
from .text.understand import NUMBERS, STOPWORDS, Understanding, counted_objects, understand
from .text.vocab import words
from .world import PromptError, WorldConfig, parse_prompt
from .world.captions import FUNCTION_WORDS
from .world.scene_captions import COUNT_WORDS, SINGULAR, SPLIT_AT, parse_scene

DEFAULT_CHECKPOINT = Path(__file__).parent / "checkpoints" / "default"  # one object per clip
SCENES_CHECKPOINT = Path(__file__).parent / "checkpoints" / "scenes"  # several objects per clip
MAX_PROMPT_CHARS = 300
MAX_FRAMES = 64
MAX_SEED = 2 ** 63 - 1
OBJECT_ATTRIBUTES = ("shape", "color", "size")  # two values of one of these: two objects


@dataclass
class Video:
    """A generated clip: frames (T, H, W, 3) uint8."""

    frames: np.ndarray
    prompt: str
    fps: int = 8
    understood: Understanding | None = None  # how the model read the prompt

    def save(self, path: str | Path) -> Path:
        return write_video(path, self.frames, self.fps)


class Pipeline:
    def __init__(self, system, config: dict, source: str):
        self.system = system.eval()
        self.config = config
        self.source = source
        self.world = WorldConfig.from_dict(config["world"])
        # the words the model's encoder knows; none for a sentence encoder, which reads any text
        sentence = config["model_config"].get("text") == "minilm"
        self.known = set() if sentence else set(config.get("vocab") or [])
        # the tutorial's encoder refuses unknown words, as the tutorial did: no reading for it
        self.strict = spec(config["model"]).strict_words
        self.lexicon = "both"  # which lexicon resources map unseen words (text/understand.py)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "Pipeline":
        """Load a checkpoint folder (default: the one shipped with tinyt2v) onto `device`:
        cpu, cuda, cuda:N or auto (a GPU when one is visible)."""
        device = resolve_device(device)  # a bad device fails before any loading
        folder = Path(path) if path is not None else DEFAULT_CHECKPOINT
        config = ckpt.load_config(folder)
        try:
            mcfg = config_from_dict(config["model"], config["model_config"])
            system = build_model(config["model"], mcfg, Vocab(config["vocab"]))
        except (TypeError, ValueError) as e:
            raise ckpt.CheckpointError(f"{folder / 'config.json'}: {e}") from e
        ckpt.load_into(system, ckpt.load_weights(folder), str(folder / "model.safetensors"))
        return cls(system, config, str(folder)).to(device)

    @classmethod
    def for_prompt(cls, prompt: str, device: str | torch.device = "cpu") -> "Pipeline":
        """The shipped checkpoint that draws `prompt`: the one-object default, unless the default
        would refuse the prompt for naming several objects and the scenes checkpoint is there.
        (The default is the better model of one object: tests/test_shipped_models.py.)"""
        pipe = cls.from_pretrained(None, device)
        if pipe.names_too_many(prompt) and SCENES_CHECKPOINT.is_dir():
            return cls.from_pretrained(SCENES_CHECKPOINT, device)
        return pipe

    def names_too_many(self, prompt: str) -> bool:
        """Whether this model would refuse the prompt for naming more objects than it draws."""
        return isinstance(prompt, str) and bool(self.understand(prompt).several)

    def to(self, device: str | torch.device) -> "Pipeline":
        """Move the model to `device` (as from_pretrained takes it); returns the pipeline."""
        self.system.to(resolve_device(device))
        return self

    @property
    def device(self) -> torch.device:
        return next(self.system.parameters()).device

    @property
    def on_world(self) -> bool:
        """Trained on the procedural world (its prompts and judge apply), not on real videos."""
        return self.trained_on == "world"

    @property
    def trained_on(self) -> str:
        """"world", or "videos:PATH" for a checkpoint trained on real clips."""
        return self.config.get("train", {}).get("data") or "world"

    @property
    def frames(self) -> int:
        return self.system.cfg.frames

    def check(self, prompt: str, frames: int | None = None, guidance: float | None = None,
              seed: int = 0, temperature: float | None = None) -> list[str]:
        """Validate inputs; raise ValueError naming the problem, return words to be ignored."""
        if not isinstance(prompt, str):
            raise ValueError(f"prompt must be text, got {type(prompt).__name__}")
        if not prompt.strip():
            raise ValueError("prompt is empty")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ValueError(f"prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS}")
        if any(ord(ch) < 32 and ch not in "\t\n" for ch in prompt):
            raise ValueError("prompt contains control characters")
        if frames is not None and not (isinstance(frames, int) and 2 <= frames <= MAX_FRAMES):
            raise ValueError(f"frames must be an integer from 2 to {MAX_FRAMES}, got {frames!r}")
        if guidance is not None and not (np.isfinite(guidance) and 0 <= guidance <= 20):
            raise ValueError(f"guidance must be a number from 0 to 20, got {guidance!r}")
        if temperature is not None and not (np.isfinite(temperature) and 0 <= temperature <= 2):
            raise ValueError(f"temperature must be a number from 0 to 2, got {temperature!r}")
        if not (isinstance(seed, (int, np.integer)) and 0 <= seed <= MAX_SEED):
            raise ValueError(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
        if self.strict:
            return self.system.check_prompt(prompt)  # raises naming the unknown words
        u = self.understand(prompt)
        if not u.text.strip():
            raise ValueError("no word of the prompt is known to this model; it knows words "
                             f"such as: {', '.join(self.example_words())}")
        if u.conflict:
            raise ValueError(f"the prompt contradicts itself {u.conflict}; "
                             "give each object one shape, one colour and one size")
        if u.several and self.max_objects == 1:
            raise ValueError(f"this model draws one object per clip, and the prompt {u.several}; "
                             "ask for one object, e.g. 'a red circle moving left', or give a "
                             "scene-flow checkpoint")
        if u.several:
            raise ValueError(f"this model draws at most {self.max_objects} objects per clip, and the "
                             f"prompt {u.several}; ask for {self.max_objects} or fewer")
        self.system.check_prompt(u.text)
        return u.dropped

    def example_words(self, n: int = 12) -> list[str]:
        """Words of this checkpoint's own training captions, grammar words left out."""
        content = [w for w in sorted(self.known) if w not in FUNCTION_WORDS | STOPWORDS]
        return content[:: max(1, len(content) // n)][:n]

    def understand(self, prompt: str) -> Understanding:
        """How the model reads `prompt`: words kept, mapped to known words, or dropped; for a
        world model also the attributes the world grammar reads from what was kept."""
        if not self.known or self.strict:
            return Understanding(prompt, [(w, w, "known") for w in words(prompt)])
        return self._understand(prompt, self.lexicon)

    @functools.lru_cache(maxsize=1024)  # noqa: B019  check, generate and Video each ask
    def _understand(self, prompt: str, lexicon: str) -> Understanding:
        u = understand(prompt, self.known, FUNCTION_WORDS | STOPWORDS, lexicon)
        if self.max_objects > 1:
            return self._understand_scene(u, lexicon)
        if self.on_world:  # real footage may show any number of things: its captions decide
            u.several = counted_objects(u)
            try:
                u.attributes = parse_prompt(u.text)
            except PromptError as e:
                if e.twice in OBJECT_ATTRIBUTES:
                    u.several = str(e).removeprefix("the prompt ")
        return u

    def _understand_scene(self, u: Understanding, lexicon: str) -> Understanding:
        """For a model of several objects: count the prompt's objects and find contradictions
        within one object; words outside the grammar are left to the model. The prompt is cut
        at its joins ("and", commas, "together with") before its words are read, since reading
        keeps known words only and a comma or an unknown join would run two objects together."""
        for k, (w, _, _) in enumerate(u.words):  # "five stars", "a pair of circles": a count it cannot draw
            if (w in NUMBERS or w.isdigit()) and w not in COUNT_WORDS and \
                    any(later in SINGULAR for later, _, _ in u.words[k + 1:k + 5]):
                u.several = f"counts objects with a number it was not trained on ({w} ...)"
                return u
        pieces = [p for p in SPLIT_AT.split(u.prompt) if p and p.strip()]
        read = " and ".join(understand(p, self.known, FUNCTION_WORDS | STOPWORDS, lexicon).text for p in pieces)
        try:
            objects = parse_scene(read)
        except PromptError as e:
            if e.twice in OBJECT_ATTRIBUTES:
                u.conflict = str(e).replace(": the prompt ", ": it ")
            return u
        n = sum(count for _, count in objects)
        if n > self.max_objects:
            u.several = f"names {n} objects"
        return u

    @property
    def max_objects(self) -> int:
        """The most objects the model draws in one clip: its own number for a model built around
        objects (sprite-flow 1, scene-flow its slots), else the most its world's clips hold."""
        return self.system.cfg.objects or self.world.objects

    @torch.no_grad()
    def generate(self, prompts: list[str], seed: int = 0, frames: int | None = None,
                 guidance: float | None = None, temperature: float | None = None) -> np.ndarray:
        """Clips for many prompts at once: (N, T, H, W, 3) uint8. temperature scales the
        starting noise of the flow models (None: the model's own, 0.6 for sprite-flow): lower
        gives fewer clips that stray from the prompt and less variety; 0 one clip per prompt."""
        g = torch.Generator().manual_seed(int(seed))
        texts = [self.understand(p).text for p in prompts]
        return to_uint8(self.system.generate(texts, g, frames, guidance, temperature))

    def __call__(self, prompt: str, seed: int = 0, frames: int | None = None,
                 guidance: float | None = None, temperature: float | None = None) -> Video:
        ignored = self.check(prompt, frames, guidance, seed, temperature)
        if ignored:
            warnings.warn(f"words this model never saw are ignored: {', '.join(ignored)}",
                          stacklevel=2)
        clip = self.generate([prompt], seed, frames, guidance, temperature)[0]
        return Video(clip, prompt, understood=self.understand(prompt))
