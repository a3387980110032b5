"""The judge: reads a clip's pixels and says which shape, colour, size and motion it shows."""
from .read import Reading, read_clip
from .score import ATTRIBUTES, format_report, read_caption_manifest, read_manifest, score
from .verdict import describe_verdict, in_grammar, judge_prompt

__all__ = ["Reading", "read_clip", "ATTRIBUTES", "format_report", "read_manifest",
           "read_caption_manifest", "score", "judge_prompt", "describe_verdict", "in_grammar"]
