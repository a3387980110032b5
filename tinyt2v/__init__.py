"""tinyt2v: text-to-video trained from scratch, small enough for a laptop CPU."""
__version__ = "0.1.0"
