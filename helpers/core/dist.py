"""Data-parallel launches: which process am I, how many are we, and the process group.

``torchrun`` (``python -m torch.distributed.run``) starts one process per GPU (or per CPU
worker) and tells each where it stands through the environment: ``RANK`` (0..N-1 over all
machines), ``WORLD_SIZE`` (N), ``LOCAL_RANK`` (its index on this machine, which picks its
GPU) and ``LOCAL_WORLD_SIZE``; ``MASTER_ADDR``/``MASTER_PORT`` say where to meet. This
module reads that (:func:`launch_from_env`), checks it against the machine
(:func:`check_launch`) and starts the process group once (:func:`init`): NCCL for CUDA
tensors and Gloo for CPU tensors (a machine with GPUs gets both, ``cpu:gloo,cuda:nccl``,
so that CPU-side numbers can be reduced too), overridable with ``backend=`` or
``$RESNET_BOOK_DIST_BACKEND``. Without torchrun (or with one process) nothing is started
and every function here answers as for a single process.

The idioms are torchvision's ``references/classification/utils.py``
(``init_distributed_mode``, ``is_main_process``, ``save_on_master``) and nanoGPT's
``master_process``; unlike them, this also runs on CPUs, so a laptop and CI can test it.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

__all__ = [
    "BACKEND_ENV",
    "BACKENDS",
    "Launch",
    "LaunchError",
    "launch_from_env",
    "choose_backend",
    "check_launch",
    "init",
    "current",
    "is_main",
    "barrier",
    "main_first",
    "all_reduce_sum",
    "all_gather_object",
    "per_rank_batch",
]

BACKEND_ENV = "RESNET_BOOK_DIST_BACKEND"
BACKENDS = ("gloo", "nccl", "cpu:gloo,cuda:nccl")
TIMEOUT = dt.timedelta(minutes=30)  # a rank that waits longer than this gives up
_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")


class LaunchError(RuntimeError):
    """A launch that cannot train; the message says what to change. Raised on every
    rank, before any training."""


@dataclass(frozen=True)
class Launch:
    """Where this process stands in the job (torchrun's environment variables)."""

    rank: int = 0  # 0..world_size-1 over all machines; rank 0 writes files
    world_size: int = 1  # processes in the job
    local_rank: int = 0  # index on this machine: picks the GPU
    local_world_size: int = 1  # processes on this machine

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def launch_from_env(env: Mapping[str, str] | None = None) -> Launch:
    """The launch torchrun describes in ``env`` (default ``os.environ``); one process when
    it describes none."""
    env = os.environ if env is None else env
    if "WORLD_SIZE" not in env and "RANK" not in env:
        return Launch()
    values = {}
    for name in _ENV:
        text = env.get(name, "1" if name == "LOCAL_WORLD_SIZE" else "0")
        try:
            values[name] = int(text)
        except ValueError:
            raise LaunchError(
                f"${name}={text!r} is not a whole number; start the job with torchrun, "
                "which sets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE"
            ) from None
    launch = Launch(*(values[name] for name in _ENV))
    if not (0 <= launch.rank < launch.world_size):
        raise LaunchError(f"RANK={launch.rank} is outside 0..WORLD_SIZE-1")
    if not (0 <= launch.local_rank < launch.local_world_size):
        raise LaunchError(
            f"LOCAL_RANK={launch.local_rank} is outside 0..LOCAL_WORLD_SIZE-1"
        )
    return launch


def choose_backend(device_type: str, requested: str | None = None) -> str:
    """``requested`` (or ``$RESNET_BOOK_DIST_BACKEND``), else NCCL for CUDA tensors plus
    Gloo for CPU tensors on a GPU machine, Gloo alone on a CPU machine."""
    requested = requested or os.environ.get(BACKEND_ENV) or None
    if requested is None:
        return "cpu:gloo,cuda:nccl" if device_type == "cuda" else "gloo"
    if requested not in BACKENDS:
        raise LaunchError(
            f"unknown process-group backend {requested!r}; use one of {list(BACKENDS)}"
        )
    return requested


def check_launch(
    launch: Launch, backend: str, device_type: str, gpu_count: int
) -> None:
    """Raise :class:`LaunchError` for a launch this machine cannot run: CUDA or NCCL on
    a machine without GPUs, NCCL with more processes than GPUs on a node, NCCL for
    training on the CPU."""
    wants_cuda = device_type == "cuda" or "nccl" in backend
    if wants_cuda and gpu_count == 0:
        raise LaunchError(
            f"this launch asks for CUDA (device {device_type!r}, backend {backend!r}) but "
            "this machine has no GPU; train on the CPU with --device cpu and the gloo "
            f"backend (${BACKEND_ENV}=gloo)"
        )
    if "nccl" in backend and launch.local_world_size > gpu_count:
        raise LaunchError(
            f"{launch.local_world_size} processes on this node but only {gpu_count} "
            f"GPU(s): NCCL needs one GPU per process; start torchrun with "
            f"--nproc-per-node {gpu_count} (or, to train on the CPU, "
            f"${BACKEND_ENV}=gloo)"
        )
    if backend == "nccl" and device_type == "cpu":
        raise LaunchError(
            "NCCL reduces CUDA tensors only, and this run trains on the CPU; use the "
            f"gloo backend (${BACKEND_ENV}=gloo) or --device cuda"
        )


def init(device_type: str | None = None, backend: str | None = None) -> Launch:
    """Start this job's process group (once; later calls check the launch against
    ``device_type`` and ``backend`` and return it).

    ``device_type``: what the job trains on (default: CUDA if available). One process
    starts nothing. Sets this process's GPU to ``cuda:LOCAL_RANK`` for CUDA jobs."""
    launch = launch_from_env()
    if not launch.distributed:
        return launch
    device_type = device_type or ("cuda" if torch.cuda.is_available() else "cpu")
    backend = choose_backend(device_type, backend)
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    check_launch(launch, backend, device_type, gpus)
    if dist.is_initialized():
        return launch
    if "nccl" in backend:
        torch.cuda.set_device(launch.local_rank)
    dist.init_process_group(backend=backend, timeout=TIMEOUT)
    atexit.register(_shutdown)
    return launch


def _shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def current() -> Launch:
    """This process's launch: the live process group if there is one, else the env."""
    if dist.is_available() and dist.is_initialized():
        launch = launch_from_env()
        return Launch(
            dist.get_rank(),
            dist.get_world_size(),
            launch.local_rank,
            launch.local_world_size,
        )
    return launch_from_env()


def is_main() -> bool:
    """True on the process that writes files and prints (rank 0, or the only one)."""
    return current().is_main


def barrier() -> None:
    """Wait until every process of the job gets here (nothing to wait for alone)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


@contextlib.contextmanager
def main_first() -> Iterator[None]:
    """Rank 0 runs the block first (e.g. a download); the others wait at a barrier and
    run it after (finding the files). Starts the process group if torchrun asked for one.
    """
    launch = init()
    if launch.distributed and not launch.is_main:
        barrier()
    yield
    if launch.distributed and launch.is_main:
        barrier()


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over all processes, in place (unchanged alone)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def all_gather_object(obj: Any) -> list[Any]:
    """``[obj of rank 0, obj of rank 1, ...]`` (``[obj]`` alone); picklable objects."""
    if not (dist.is_initialized() and dist.get_world_size() > 1):
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def per_rank_batch(batch_size: int, world_size: int) -> int:
    """Images per process in one step of global batch ``batch_size``.

    The one place that says what a batch is: ``batch_size`` counts the images of one
    optimizer step over ALL processes (the paper's way: 256 on 8 GPUs is 32 per GPU),
    so a run's numbers do not change with the number of processes."""
    if batch_size % world_size:
        lower = batch_size - batch_size % world_size
        nearest = " or ".join(str(b) for b in (lower, lower + world_size) if b > 0)
        raise LaunchError(
            f"the global batch of {batch_size} images cannot be split evenly over "
            f"{world_size} processes; use a multiple of {world_size} (e.g. {nearest})"
        )
    return batch_size // world_size
