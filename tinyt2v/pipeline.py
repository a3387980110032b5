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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import checkpoint as ckpt
from .devices import resolve_device
from .io import read_still, to_tensor, to_uint8, write_video
from .judge import describe_verdict, in_grammar, judge_prompt
from .models import build_model, config_from_dict, spec
from .text import Vocab
from .text.vocab import words
from .text.reading import ModelFacts, read
from .text.understand import STOPWORDS, Understanding
from .world import WorldConfig, get_world, training_words
from .world.grammar import WORLD_GRAMMAR

SHIPPED = Path(__file__).parent / "checkpoints"  # checkpoints that ship in the package, by name:
DEFAULT_CHECKPOINT = SHIPPED / "default"  # one object per clip
SCENES_CHECKPOINT = SHIPPED / "scenes"  # several objects per clip
FOOTAGE_CHECKPOINT = SHIPPED / "footage"  # photographs through a moving camera (layer-flow)
MAX_PROMPT_CHARS = 300
MAX_FRAMES = 64
MAX_SEED = 2 ** 63 - 1


@dataclass
class Video:
    """A generated clip: frames (T, H, W, 3) uint8."""

    frames: np.ndarray
    prompt: str
    fps: int = 8
    understood: Understanding | None = None  # how the model read the prompt

    def save(self, path: str | Path) -> Path:
        return write_video(path, self.frames, self.fps)


@dataclass
class Verdict:
    """What the judge saw in a generated clip and whether it is what the prompt asked."""
    reading: object      # judge.Reading, or judge.scene.SceneReading for a scene
    ok: bool | None      # None: the prompt could not be judged
    line: str            # one line for people


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
        self.facts = ModelFacts(frozenset(self.known), self.strict, self.max_objects,
                                WORLD_GRAMMAR if self.on_world else None, relations=self.world.relations > 0)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "Pipeline":
        """Load a checkpoint folder, or a shipped one by name ("default", the one used when none
        is given; "scenes"; "footage"), onto `device`: cpu, cuda, cuda:N or auto (a GPU when one
        is visible)."""
        device = resolve_device(device)  # a bad device fails before any loading
        folder = checkpoint_folder(path)
        config = ckpt.load_config(folder)
        try:
            mcfg = config_from_dict(config["model"], config["model_config"])
            system = build_model(config["model"], mcfg, Vocab(config["vocab"]))
        except (TypeError, ValueError) as e:
            raise ckpt.CheckpointError(f"{folder / 'config.json'}: {e}") from e
        ckpt.load_into(system, ckpt.load_weights(folder), str(folder / "model.safetensors"))
        return cls(system, config, str(folder)).to(device)

    @classmethod
    def for_animation(cls, prompt: str, device: str | torch.device = "cpu") -> "Pipeline":
        """The shipped checkpoint that animates a picture for `prompt`: of those shipped that
        animate, the one that knows the most of its words (footage for the camera's motion,
        default for an object's; default on a tie)."""
        said = set(words(prompt))
        shipped = [cls.from_pretrained(f, device) for f in (DEFAULT_CHECKPOINT, FOOTAGE_CHECKPOINT) if f.is_dir()]
        return max(shipped, key=lambda pipe: len(said & pipe.known))

    @classmethod
    def for_prompt(cls, prompt: str, device: str | torch.device = "cpu") -> "Pipeline":
        """The shipped checkpoint that draws `prompt` (`Router.shipped`)."""
        return Router.shipped(device).pick(prompt)

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
        content = [w for w in sorted(self.known) if w not in WORLD_GRAMMAR.function_words | STOPWORDS]
        return content[:: max(1, len(content) // n)][:n]

    def understand(self, prompt: str) -> Understanding:
        """How the model reads `prompt` (text/reading.py): words kept, mapped to known words,
        or dropped; for a world model also the attributes its grammar reads from what was kept."""
        return self._read(prompt, self.lexicon)

    @functools.lru_cache(maxsize=1024)  # noqa: B019  check, generate and Video each ask
    def _read(self, prompt: str, lexicon: str) -> Understanding:
        return read(prompt, replace(self.facts, lexicon=lexicon))

    @property
    def max_objects(self) -> int:
        """The most objects the model draws in one clip: its own number for a model built around
        objects (sprite-flow 1, scene-flow its slots), else the most its world's clips hold."""
        return self.system.cfg.objects or self.world.objects

    def verdict(self, video: Video) -> Verdict | None:
        """The judge's reading of a clip this pipeline drew, against its prompt (as the model
        understood it, where the prompt is outside the world grammar); None for a model of
        real footage, which the world judge cannot speak for."""
        if not self.on_world:
            return None
        scene = self.max_objects > 1
        reading, ok = judge_prompt(video.frames, video.prompt, video.understood.text, scene)
        return Verdict(reading, ok, describe_verdict(reading, ok, as_understood=not in_grammar(video.prompt, scene)))

    @torch.no_grad()
    def generate(self, prompts: list[str], seed: int = 0, frames: int | None = None,
                 guidance: float | None = None, temperature: float | None = None,
                 stills: np.ndarray | None = None) -> np.ndarray:
        """Clips for many prompts at once: (N, T, H, W, 3) uint8. temperature scales the
        starting noise of the flow models (None: the model's own, 0.6 for sprite-flow): lower
        gives fewer clips that stray from the prompt and less variety; 0 one clip per prompt.
        stills (N, H, W, 3) uint8 at the model's frame size: animate them (`read_still` fits
        any picture) instead of drawing from nothing."""
        g = torch.Generator().manual_seed(int(seed))
        texts = [self.understand(p).text for p in prompts]
        if stills is None:
            return to_uint8(self.system.generate(texts, g, frames, guidance, temperature))
        pictures = to_tensor(np.array(stills)[:, None])[:, 0].to(self.device)  # a copy: stills may be read-only
        return to_uint8(self.system.animate(pictures, texts, g, frames, guidance, temperature))

    def still(self, image) -> np.ndarray:
        """An image (path, PIL image or (H, W, 3) uint8 array) fitted to this model's frame;
        ValueError in one line for a model that cannot animate or a bad image."""
        if not self.system.animates:
            raise ValueError(f"{self.config['model']} cannot animate a picture; the layered models "
                             "(sprite-flow, layer-flow) can")
        return read_still(image, self.system.cfg.height, self.system.cfg.width)

    def __call__(self, prompt: str, seed: int = 0, frames: int | None = None,
                 guidance: float | None = None, temperature: float | None = None, image=None) -> Video:
        """The clip for `prompt`; with `image` (a path, PIL image or array), that picture animated."""
        ignored = self.check(prompt, frames, guidance, seed, temperature)
        stills = None if image is None else self.still(image)[None]
        if ignored:
            warnings.warn(f"words this model never saw are ignored: {', '.join(ignored)}",
                          stacklevel=2)
        if self.understand(prompt).relation_unread:
            warnings.warn(self.understand(prompt).relation_unread, stacklevel=2)
        clip = self.generate([prompt], seed, frames, guidance, temperature, stills)[0]
        return Video(clip, prompt, understood=self.understand(prompt))


def checkpoint_folder(path: str | Path | None) -> Path:
    """The folder `path` names: a folder that is there, else the shipped checkpoint of that name
    (a folder of one's own named like a shipped one wins)."""
    if path is None:
        return DEFAULT_CHECKPOINT
    folder = Path(path)
    shipped = SHIPPED / str(path)
    if not folder.is_dir() and len(folder.parts) == 1 and shipped.is_dir():
        return shipped
    return folder


class Router:
    """Which pipeline draws a prompt: the main one, unless it would refuse the prompt for naming
    several objects and a scenes pipeline is there. The CLI and the demo both route with it."""

    def __init__(self, main: Pipeline, scenes: Pipeline | None = None,
                 load_scenes: Callable[[], Pipeline] | None = None):
        self.main, self.scenes = main, scenes
        self.load_scenes = load_scenes  # loads the scenes pipeline when a prompt first needs it

    @classmethod
    def shipped(cls, device: str | torch.device = "cpu", checkpoint: str | Path | None = None) -> "Router":
        """The shipped one-object checkpoint (the better model of one object:
        tests/test_shipped_models.py) with the shipped scenes one; a checkpoint given alone."""
        main = Pipeline.from_pretrained(checkpoint, device)
        if checkpoint is not None or not SCENES_CHECKPOINT.is_dir():
            return cls(main)
        return cls(main, load_scenes=functools.partial(Pipeline.from_pretrained, SCENES_CHECKPOINT, device))

    def pick(self, prompt: str) -> Pipeline:
        if self.scenes is None and self.load_scenes is not None and self.main.names_too_many(prompt):
            self.scenes = self.load_scenes()
        if self.scenes is None or not self.main.names_too_many(prompt):
            return self.main
        return self.scenes


def world_caption_reader() -> Callable[[str], str]:
    """caption -> the words a default-world model reads in it, as `generate` reads a prompt;
    ValueError for a caption that names several objects ("two red circles")."""
    facts = ModelFacts(frozenset(training_words(get_world("default"))), grammar=WORLD_GRAMMAR)

    def reword(caption: str) -> str:
        u = read(caption, facts)
        if u.several:
            raise ValueError(f"the caption {u.several}")
        return u.text
    return reword
