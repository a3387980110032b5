"""The judge: reads a clip's pixels and says which shape, colour, size and motion it shows."""
from .read import Reading, read_clip
from .score import ATTRIBUTES, format_report, read_manifest, score

__all__ = ["Reading", "read_clip", "ATTRIBUTES", "format_report", "read_manifest", "score"]
