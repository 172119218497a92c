"""``fit`` under ``torchrun``: the process group, each process's share, DDP, agreement.

:func:`setup` reads the launch from the environment (:mod:`helpers.core.dist`), starts the
process group, puts each process on its own GPU and splits the global batch. Before any
training, :func:`agree` compares what every process was started with (the config, the
model, the data and the code of ``helpers``) and raises the same error on all of them if
one differs, instead of letting them train apart or hang. :func:`wrap` turns the model
into a ``DistributedDataParallel`` module (with synchronised batch norm if asked), whose
backward pass averages the gradients of all processes; the unwrapped model stays what
checkpoints and evaluation see (torchvision's ``model_without_ddp``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from helpers.core import dist
from helpers.core.device import resolve_device
from helpers.core.fingerprint import source_hash
from helpers.train.checkpoint import model_signature
from helpers.train.config import TrainConfig
from helpers.train.syncbn import convert_sync_batchnorm

__all__ = ["Parallel", "setup", "agree", "wrap", "AGREED"]

# What every process of a job must have been started with alike.
AGREED = ("code", "config", "model", "data")
# Config fields that may differ between processes (where each writes, what it shows).
LOCAL_FIELDS = ("progress", "checkpoint_path", "workers", "num_threads")


@dataclass(frozen=True)
class Parallel:
    """How this process takes part in a run: its launch, device and share of a batch."""

    launch: dist.Launch
    device: torch.device
    per_rank_batch: int  # images per step on this process: batch_size / world_size

    @property
    def world(self) -> int:
        return self.launch.world_size

    @property
    def is_main(self) -> bool:
        return self.launch.is_main

    @property
    def distributed(self) -> bool:
        return self.launch.distributed

    def mean(self, *values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The mean over all processes of each scalar tensor (one all-reduce); a NaN on
        any process makes the mean NaN on every process, so all stop together."""
        if not self.distributed:
            return values
        stacked = dist.all_reduce_sum(torch.stack(values).float())
        return tuple(stacked / self.world)

    def gather(self, value: Any) -> list[Any]:
        """Every process's ``value``, in rank order."""
        return dist.all_gather_object(value)


def setup(config: TrainConfig) -> Parallel:
    """The process group (under torchrun), this process's device (``cuda:LOCAL_RANK`` for
    a CUDA job) and its share of the global batch; a bad launch raises
    :class:`helpers.core.dist.LaunchError` here, before anything is trained."""
    device = resolve_device(config.device)
    launch = dist.init(device.type, config.dist_backend)
    if launch.distributed and device.type == "cuda" and device.index is None:
        device = torch.device("cuda", launch.local_rank)
    return Parallel(
        launch, device, dist.per_rank_batch(config.batch_size, launch.world_size)
    )


def _fingerprint(config: TrainConfig, model: nn.Module, data: Any) -> dict[str, Any]:
    """What this process was started with, in comparable form."""
    settings = {k: v for k, v in config.to_dict().items() if k not in LOCAL_FIELDS}
    signature = json.dumps(model_signature(model), sort_keys=True).encode()
    return {
        "code": f"helpers {source_hash()[:12]}, torch {torch.__version__}",
        "config": settings,
        "model": f"{type(model).__name__} {hashlib.sha256(signature).hexdigest()[:12]}",
        "data": f"{getattr(data, 'name', type(data).__name__)} ({len(data)} images)",
    }


def agree(parallel: Parallel, config: TrainConfig, model: nn.Module, data: Any) -> None:
    """Raise the same :class:`helpers.core.dist.LaunchError` on every process unless all
    were started with the same code, config, model and data (one all-gather)."""
    if not parallel.distributed:
        return
    everyone = parallel.gather(_fingerprint(config, model, data))
    for what in AGREED:
        first = everyone[0][what]
        differ = [r for r, other in enumerate(everyone) if other[what] != first]
        if not differ:
            continue
        other = everyone[differ[0]][what]
        if what == "config":
            keys = sorted(k for k in first if first.get(k) != other.get(k))
            first = {k: first.get(k) for k in keys}
            other = {k: other.get(k) for k in keys}
        raise dist.LaunchError(
            f"the processes of this job were started with different {what}: rank 0 has "
            f"{first}, rank {differ[0]} has {other} (ranks {differ} differ); start every "
            "process from the same checkout with the same arguments"
        )


def wrap(model: nn.Module, parallel: Parallel, sync_bn: bool) -> nn.Module:
    """What the training step calls: ``model`` itself for one process; under torchrun a
    ``DistributedDataParallel`` around it (gradients averaged over the processes), with
    batch norm synchronised across them when ``sync_bn``."""
    if not parallel.distributed:
        return model
    if sync_bn:
        model = convert_sync_batchnorm(model, parallel.device)
    ids = [parallel.device.index] if parallel.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
