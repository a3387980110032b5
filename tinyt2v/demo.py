"""The web demo: a Gradio page around one Pipeline, with the judge's verdict on every clip.

With the shipped checkpoints, prompts of several objects go to the scenes model (the rule of
`Pipeline.for_prompt`) and the verdict lists the judge's reading of each object; a choice of
model offers the footage one (photographs seen through a moving camera). One model
per prompt kind lives in memory and requests are queued one at a time; inputs are bounded and checked
by `Pipeline.check` before any work is done; output files get names made here, never from what
the user typed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

from .pipeline import MAX_FRAMES, MAX_PROMPT_CHARS, Pipeline, Router
from .world import clips

KEEP_RESULTS = 16  # finished requests whose files stay on disk (Gradio keeps its own copies)
WORLD, FOOTAGE = "shapes (the world)", "photographs, a moving camera (footage)"  # the model choice
FOOTAGE_EXAMPLES = ["a cat, the camera zooming in", "old coins, the camera panning left",
                    "the surface of the moon, the camera panning left"]  # in the shipped footage
                    # checkpoint's words (benchmarks/footage.py); the first and last pairs were held out


def example_prompts(pipe: Pipeline, per_split: int = 2, tries: int = 6) -> tuple[list[str], bool]:
    """Prompts of the model's own world, `per_split` from each split (seen combinations, held-out
    ones, new phrasing, unseen words) whose clip at seed 0, the demo's default, the judge finds
    right. A split with none right lends its first prompts as failure cases; the bool says
    whether every example is right."""
    out, all_right = [], True
    if not pipe.on_world:  # real footage: no world splits, no judge
        return out, all_right
    scene = pipe.max_objects > 1
    splits = ("test", "binding", "count", "paraphrase") if scene else ("test", "heldout", "freeform", "paraphrase")
    for split in splits:
        try:
            captions = next(clips(pipe.world, split, tries, seed=0, batch_size=tries)).captions
        except (ValueError, StopIteration):  # a world without that split (e.g. the seed world)
            continue
        right = []
        for caption in captions:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    video = pipe(caption, seed=0)
            except ValueError:
                continue
            if pipe.verdict(video).ok:
                right.append(caption)
            if len(right) == per_split:
                break
        if not right:
            all_right, right = False, list(captions[:per_split])
        out += right
    return out, all_right


class Generator:
    """The function behind the button: prompt and knobs in, MP4 + GIF + verdict out."""

    def __init__(self, pipe: Pipeline, workdir: str | None = None, scenes: Pipeline | None = None,
                 footage: Pipeline | None = None):
        self.pipe = pipe
        self.router = Router(pipe, scenes)  # scenes takes the prompts `pipe` refuses for naming several objects
        self.footage = footage  # drawn from when the page's model choice says FOOTAGE
        self.root = Path(workdir or tempfile.mkdtemp(prefix="tinyt2v-demo-"))
        self.done: list[Path] = []

    def __call__(self, prompt: str, seed: float, guidance: float, frames: float, model: str = WORLD,
                 image=None):
        """image: an (H, W, 3) uint8 picture to animate, or None to draw from nothing."""
        import gradio as gr

        try:
            seed, frames = int(seed), int(frames)
            pipe = self.footage if model == FOOTAGE and self.footage is not None else self.router.pick(prompt)
            pipe.check(prompt, frames, float(guidance), seed)
            still = None if image is None else pipe.still(image)
        except (TypeError, ValueError, OverflowError) as e:
            raise gr.Error(str(e)) from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            video = pipe(prompt, seed=seed, frames=frames, guidance=float(guidance), image=still)
        folder = Path(tempfile.mkdtemp(dir=self.root))
        mp4, gif = video.save(folder / "clip.mp4"), video.save(folder / "clip.gif")
        self._forget_old(folder)
        text = video.understood.describe()
        verdict = pipe.verdict(video)  # the world judge speaks for world checkpoints only
        if verdict is not None:
            mark, line = {True: "✔", False: "✘", None: "?"}[verdict.ok], verdict.line
            if pipe.max_objects > 1 and verdict.reading.readable:  # each object on its own line
                line += "".join(f"\n- object {k}: {r.describe()}" for k, r in enumerate(verdict.reading.objects, 1))
            text = f"{mark} {line}\n\n{text}"
        return str(mp4), str(gif), text

    def _forget_old(self, newest: Path) -> None:
        self.done.append(newest)
        while len(self.done) > KEEP_RESULTS:
            shutil.rmtree(self.done.pop(0), ignore_errors=True)


def build_demo(pipe: Pipeline, workdir: str | None = None, scenes: Pipeline | None = None,
               footage: Pipeline | None = None):
    import gradio as gr

    generate = Generator(pipe, workdir, scenes, footage)
    guidance = float(pipe.system.cfg.guidance or 0.0)
    with gr.Blocks(title="tinyt2v", analytics_enabled=False) as demo:
        gr.Markdown("# tinyt2v\nText to video, trained from scratch on a CPU. "
                    "The judge reads each clip's pixels and says what it shows.")
        with gr.Row():
            with gr.Column():
                prompt = gr.Textbox(label="Prompt", value="a small red circle moving up-right",
                                    max_length=MAX_PROMPT_CHARS, elem_id="prompt")
                with gr.Row():
                    seed = gr.Number(label="Seed", value=0, precision=0, minimum=0)
                    guide = gr.Slider(0, 20, value=guidance, step=0.5, label="Guidance")
                    frames = gr.Slider(2, MAX_FRAMES, value=pipe.frames, step=1, label="Frames")
                model = gr.Radio([WORLD, FOOTAGE], value=WORLD, label="Model", elem_id="model",
                                 visible=footage is not None)
                image = gr.Image(label="A picture to animate (optional): the clip starts on it",
                                 type="numpy", image_mode="RGB", sources=["upload"], elem_id="image")
                button = gr.Button("Generate", variant="primary", elem_id="generate")
                examples, all_right = example_prompts(pipe)
                if scenes is not None:
                    more, right = example_prompts(scenes, per_split=1)
                    examples, all_right = examples + more, all_right and right
                label = ("Examples the judge finds right at seed 0: seen, held-out, newly phrased "
                         "and unseen-word prompts" if all_right else
                         "Examples, some of them failure cases the judge finds wrong at seed 0")
                if examples:
                    gr.Examples(examples, inputs=prompt, label=label)
                if footage is not None:
                    gr.Examples(FOOTAGE_EXAMPLES, inputs=prompt, label=f"For the model {FOOTAGE!r}")
            with gr.Column():
                video = gr.Video(label="Video", autoplay=True, loop=True, elem_id="video")
                gif = gr.File(label="GIF download", elem_id="gif")
                verdict = gr.Markdown(elem_id="verdict")
        inputs = [prompt, seed, guide, frames, model, image]
        button.click(generate, inputs, [video, gif, verdict])
        prompt.submit(generate, inputs, [video, gif, verdict])
    return demo.queue(default_concurrency_limit=1, max_size=32)


def launch(checkpoint: str | Path | None = None, host: str = "127.0.0.1", port: int = 7860,
           block: bool = True, device: str = "cpu"):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home
    from .pipeline import FOOTAGE_CHECKPOINT, SCENES_CHECKPOINT

    def shipped(folder: Path) -> Pipeline | None:  # with no checkpoint given: every shipped model
        return Pipeline.from_pretrained(folder, device) if checkpoint is None and folder.is_dir() else None
    demo = build_demo(Pipeline.from_pretrained(checkpoint, device), scenes=shipped(SCENES_CHECKPOINT),
                      footage=shipped(FOOTAGE_CHECKPOINT))
    demo.launch(server_name=host, server_port=port, share=False, prevent_thread_lock=not block,
                show_error=True)
    return demo
