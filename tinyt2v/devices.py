"""Which device a user's `--device` / `device=` means: CPU by default, CUDA when asked for or
with `auto` when a GPU is visible, and a one-line error when the asked-for device is absent."""
from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda")  # "cuda:N" picks one of several GPUs


def check_device(name: str) -> None:
    """Raise ValueError unless `name` is a device this toolkit understands (present or not)."""
    base, _, index = str(name).partition(":")
    if base not in DEVICES or (index and not (base == "cuda" and index.isdigit())):
        raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {name!r}")


def resolve_device(name: str | torch.device = "cpu") -> torch.device:
    """The torch device for `name`; ValueError (one line) when CUDA is asked for but absent."""
    if isinstance(name, torch.device):
        name = str(name)
    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {name}: no CUDA GPU is visible to torch here "
                             f"(torch {torch.__version__}); use --device cpu")
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ValueError(f"device {name}: only {torch.cuda.device_count()} CUDA GPU(s) visible")
    return torch.device(name)
