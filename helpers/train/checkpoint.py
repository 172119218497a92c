"""Checkpoints that load with ``torch.load(weights_only=True)``: tensors and plain containers only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from helpers.core.atomic import atomic_path
from helpers.data import Normalization
from helpers.train.config import TrainConfig

__all__ = [
    "CheckpointError",
    "Checkpointer",
    "save_checkpoint",
    "load_checkpoint",
    "model_signature",
    "check_compatible",
]

FORMAT = 1


class CheckpointError(RuntimeError):
    """A checkpoint is unreadable or belongs to a different model/config."""


def model_signature(model: nn.Module) -> dict[str, list[int]]:
    """Parameter/buffer names and shapes: enough to tell two architectures apart."""
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write atomically (temp file + rename), so an interrupted save never corrupts the last good one."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    fresh = "delete the file or call fit(..., resume=False) to start fresh"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for truncated/garbled files
        # torch's own message suggests weights_only=False, which is wrong advice for a damaged file
        raise CheckpointError(
            f"checkpoint {path} is corrupt or unreadable ({type(e).__name__}); {fresh}"
        ) from e
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint {path} is not a helpers.train checkpoint (format {FORMAT}); {fresh}"
        )
    return state


def check_compatible(
    path: str | Path, state: dict, model: nn.Module, config: TrainConfig
) -> None:
    """Raise CheckpointError naming what differs between the checkpoint and this run."""
    problems = []
    saved_sig, sig = state.get("model_signature", {}), model_signature(model)
    if saved_sig != sig:
        missing = sorted(set(saved_sig) - set(sig))[:3]
        extra = sorted(set(sig) - set(saved_sig))[:3]
        shapes = [k for k in sig if k in saved_sig and saved_sig[k] != sig[k]][:3]
        problems.append(
            f"model differs (checkpoint-only keys {missing}, new keys {extra}, shape changes {shapes})"
        )
    saved_cfg, cfg = state.get("config", {}), config.to_dict()
    for key in cfg:
        if key in TrainConfig.COSMETIC:
            continue
        if saved_cfg.get(key) != cfg[key]:
            problems.append(
                f"config.{key}: checkpoint {saved_cfg.get(key)!r} vs now {cfg[key]!r}"
            )
    if problems:
        raise CheckpointError(
            f"checkpoint {path} does not match this run: "
            + "; ".join(problems)
            + ". Delete the file or call fit(..., resume=False) to start fresh."
        )


class Checkpointer:
    """When and where ``fit`` saves, and how it resumes. ``run`` is a ``helpers.train.state.Run``:
    its ``state_dict()`` is what is saved, and its ``load_state_dict`` what a resume calls.
    Under torchrun rank 0 saves (``write``) and every process resumes from that file, so
    it must be on a file system all machines see."""

    def __init__(
        self, path: str | Path | None, every: int = 1, write: bool = True
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.every = max(1, every)
        self.write = write  # under torchrun only rank 0 writes; every rank resumes

    def due(self, epoch: int, last: bool) -> bool:
        return self.path is not None and (epoch % self.every == 0 or last)

    def save(self, run) -> None:
        if not self.write:
            return
        state = run.state_dict()
        state.update(
            config=run.config.to_dict(), model_signature=model_signature(run.model)
        )
        save_checkpoint(self.path, state)

    def resume(self, run) -> bool:
        """Load the checkpoint into ``run`` if the file exists; False when there is none yet."""
        if self.path is None or not self.path.exists():
            return False
        state = load_checkpoint(self.path)
        check_compatible(self.path, state, run.model, run.config)
        saved = Normalization.from_state_dict(state["normalization"])
        if not saved.same_as(run.normalization):
            raise CheckpointError(
                f"checkpoint {self.path} was trained with other input statistics "
                f"(normalize={saved.kind!r}, from another training set?); delete the file or "
                "call fit(..., resume=False) to start fresh"
            )
        run.load_state_dict(state)
        return True
