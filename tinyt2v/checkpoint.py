"""Checkpoints: safetensors for tensors, JSON for everything else; never pickle.

A checkpoint folder holds
- model.safetensors   the weights to sample with (the EMA weights when the model keeps one)
- config.json         model name and config, world config, vocabulary, training record
- train_state.safetensors + train_state.json   raw weights, optimizer state, RNG, step
  (only what `--resume` needs; a shipped checkpoint can drop them)
A save writes a complete new folder beside the old one and then swaps the two by renames, so
a crash (or a full disk) at any moment leaves either the previous checkpoint or the new one,
never a mix of both; a crash between the two renames leaves FOLDER.old, which loading
recovers.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .io import UMASK, atomic_path, write_json

FORMAT = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded; the message names the file and the problem."""


def _save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    with atomic_path(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"{path} not found")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({e})") from e


def _flatten_optimizer(prefix: str, state: dict, tensors: dict, meta: dict) -> None:
    """Split an optimizer state_dict into tensors (safetensors) and the rest (JSON)."""
    skeleton = {"param_groups": state["param_groups"], "state": {}}
    for pid, pstate in state["state"].items():
        entry = {}
        for k, v in pstate.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}.{pid}.{k}"] = v
                entry[k] = {"tensor": f"{prefix}.{pid}.{k}"}
            else:
                entry[k] = v
        skeleton["state"][str(pid)] = entry
    meta[prefix] = skeleton


def _unflatten_optimizer(prefix: str, tensors: dict, meta: dict) -> dict:
    skeleton = meta[prefix]
    state = {}
    for pid, entry in skeleton["state"].items():
        state[int(pid)] = {k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v
                           for k, v in entry.items()}
    return {"state": state, "param_groups": skeleton["param_groups"]}


def before_save(folder: Path) -> Path:
    """Where a save keeps the previous checkpoint until the new one is in place (`recover`)."""
    return folder.with_name(folder.name + ".old")


def recover(folder: str | Path) -> Path:
    """Put back the previous checkpoint if a save died between its two renames."""
    folder = Path(folder)
    if not folder.exists() and before_save(folder).is_dir():
        os.rename(before_save(folder), folder)
    return folder


def save(folder: str | Path, config: dict, weights: dict[str, torch.Tensor],
         train_state: dict | None = None) -> Path:
    """Write a checkpoint folder. train_state: {raw: state_dict, optimizers: {name: sd},
    rng: tensor, step: int, ...json-able extras}."""
    folder = recover(Path(folder))
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in folder.parent.glob(f".{folder.name}.new-*"):  # left by an earlier crash
        shutil.rmtree(stale, ignore_errors=True)
    new = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        _write_folder(new, config, weights, train_state)
        os.chmod(new, 0o777 & ~UMASK)  # mkdtemp makes folders owner-only
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    if folder.exists():
        shutil.rmtree(before_save(folder), ignore_errors=True)
        os.rename(folder, before_save(folder))
    os.rename(new, folder)
    _fsync_dir(folder.parent)
    shutil.rmtree(before_save(folder), ignore_errors=True)
    return folder


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_folder(folder: Path, config: dict, weights: dict[str, torch.Tensor],
                  train_state: dict | None) -> None:
    _save_tensors(folder / "model.safetensors", weights)
    if train_state is not None:
        tensors = {f"raw.{k}": v for k, v in train_state["raw"].items()}
        tensors["rng"] = train_state["rng"]
        meta = {k: v for k, v in train_state.items() if k not in ("raw", "optimizers", "rng")}
        for name, sd in train_state["optimizers"].items():
            _flatten_optimizer(f"opt.{name}", sd, tensors, meta)
        meta["optimizers"] = list(train_state["optimizers"])
        _save_tensors(folder / "train_state.safetensors", tensors)
        write_json(folder / "train_state.json", meta)
    write_json(folder / "config.json", {"format": FORMAT, **config})


def load_config(folder: str | Path) -> dict:
    folder = Path(folder)
    if folder.suffix in (".pt", ".pth", ".ckpt", ".bin", ".pkl"):
        raise CheckpointError(f"{folder}: pickled checkpoints are refused (they can run code); "
                              "tinyt2v checkpoints are folders of safetensors + JSON")
    if folder.is_file():
        raise CheckpointError(f"{folder} is a file; a checkpoint is a folder (config.json + safetensors)")
    if not recover(folder).is_dir():
        raise CheckpointError(f"checkpoint folder {folder} not found")
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path} not found: not a tinyt2v checkpoint folder") from None
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path} is not valid JSON ({e})") from e
    for key in ("model", "model_config", "world", "vocab"):
        if key not in config:
            raise CheckpointError(f"{path} lacks the {key!r} entry")
    return config


def load_weights(folder: str | Path) -> dict[str, torch.Tensor]:
    return _load_tensors(Path(folder) / "model.safetensors")


def load_train_state(folder: str | Path) -> dict:
    folder = recover(Path(folder))
    tensors = _load_tensors(folder / "train_state.safetensors")
    try:
        meta = json.loads((folder / "train_state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{folder / 'train_state.json'} missing or broken ({e})") from e
    raw = {k[4:]: v for k, v in tensors.items() if k.startswith("raw.")}
    optimizers = {n: _unflatten_optimizer(f"opt.{n}", tensors, meta) for n in meta["optimizers"]}
    extras = {k: v for k, v in meta.items() if not k.startswith("opt.") and k != "optimizers"}
    return {"raw": raw, "optimizers": optimizers, "rng": tensors["rng"], **extras}


def load_into(model: torch.nn.Module, weights: dict[str, torch.Tensor], source: str) -> None:
    """Load weights, naming the file and the mismatch when they do not fit the config."""
    own = model.state_dict()
    missing = sorted(set(own) - set(weights))
    extra = sorted(set(weights) - set(own))
    shapes = [f"{k}: file {tuple(weights[k].shape)} vs config {tuple(own[k].shape)}"
              for k in own if k in weights and weights[k].shape != own[k].shape]
    if missing or extra or shapes:
        detail = "; ".join(filter(None, [
            f"missing {missing[:5]}" if missing else "", f"unexpected {extra[:5]}" if extra else "",
            f"shape mismatch {shapes[:3]}" if shapes else ""]))
        raise CheckpointError(f"{source} does not match its config.json: {detail}")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in weights.items()})
