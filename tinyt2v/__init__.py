"""tinyt2v: text-to-video trained from scratch, small enough for a laptop CPU."""
__version__ = "0.1.0"


def __getattr__(name):  # keep `import tinyt2v` light: torch loads only when needed
    if name in ("Pipeline", "Video"):
        from . import pipeline
        return getattr(pipeline, name)
    raise AttributeError(name)
