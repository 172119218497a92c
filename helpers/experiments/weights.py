"""Trained weights that travel with the repository: fp16 copies of a reference run's
networks under ``results/<profile>/weights/``, each recorded with its SHA-256 in the run's
entry, so that a reader (or a chapter) can load the converged networks instead of training.

fp16 keeps 11 significant bits, enough for inference: the stored weights are checked to
give the same predictions as the fp32 originals (``tests/test_weights.py``). Loading uses
``torch.load(..., weights_only=True)``, which unpickles tensors only, after the checksum
matches.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from helpers.core.atomic import atomic_path

__all__ = ["WeightsError", "store_weights", "load_weights", "sha256_of"]


class WeightsError(RuntimeError):
    """A weights file that is missing or does not match its recorded checksum."""


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def store_weights(model: nn.Module, folder: Path, name: str) -> dict[str, object]:
    """Save ``model``'s state as fp16 (integer buffers unchanged) to ``folder/name.pt``;
    returns the record for the run's entry: file (relative to the profile folder), sha256,
    bytes."""
    state = {
        k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
        for k, v in model.state_dict().items()
    }
    target = folder / "weights" / f"{name}.pt"
    with atomic_path(target) as tmp:
        torch.save(state, tmp)
    return {
        "file": f"weights/{target.name}",
        "sha256": sha256_of(target),
        "bytes": target.stat().st_size,
        "dtype": "float16",
    }


def load_weights(folder: Path, record: dict) -> dict[str, torch.Tensor]:
    """The state dict (floats as fp32) of a stored record, after checking its checksum."""
    path = Path(folder) / record["file"]
    if not path.exists():
        raise WeightsError(
            f"{path}: weights file missing (re-run `python -m helpers.reproduce` for "
            "this profile, or check out the repository's results/ folder)"
        )
    actual = sha256_of(path)
    if actual != record["sha256"]:
        raise WeightsError(
            f"{path}: SHA-256 {actual[:12]}... does not match the recorded "
            f"{record['sha256'][:12]}...; the file was changed or damaged"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
