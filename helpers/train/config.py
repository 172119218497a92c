"""Training configuration: one dataclass, passed in, never global."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any

from helpers.data.loader import check_normalize

__all__ = ["TrainConfig", "SCHEDULES", "LR_SCALINGS"]

SCHEDULES = ("step", "cosine", "constant")
LR_SCALINGS = ("none", "linear")


@dataclass
class TrainConfig:
    """Everything that controls a training run. Defaults follow He et al. (2016), Sec. 4.2.

    Give either ``epochs`` or ``iterations`` (the paper counts iterations: 64k at batch 128).
    ``batch_size`` is the GLOBAL batch: the images of one optimizer step over all processes
    of a ``torchrun`` job, each taking ``batch_size / world_size`` of them
    (:func:`helpers.core.dist.per_rank_batch`), as the paper counts 256 on 8 GPUs. So the
    learning rate and the schedule do not change with the number of processes; they change
    with ``batch_size`` only when ``lr_scaling="linear"`` asks for it.
    ``milestones``: a float in (0, 1] is a fraction of training (0.5 = half way), an int is an
    iteration number; the paper's are (32_000, 48_000) with ``iterations=64_000``. With the
    step schedule, a milestone past the last iteration is an error (raised by ``fit`` before
    training starts when only ``epochs`` is given).
    """

    epochs: int | None = (
        10  # passes over the training set (ignored when iterations is set)
    )
    iterations: int | None = None  # optimizer steps; the paper stops at 64k
    batch_size: int = 128  # images per step over ALL processes (paper: 128, on 2 GPUs)
    lr: float = 0.1  # peak learning rate (at lr_base_batch when lr_scaling="linear")
    # "linear": lr * batch_size / lr_base_batch, reached by a linear warm-up over
    # warmup_iters from lr itself (the linear scaling rule, Goyal et al. 2017); "none": lr
    lr_scaling: str = "none"
    lr_base_batch: int = 256  # the batch that `lr` is meant for (Goyal et al.: 256)
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 1e-4  # L2 penalty on all weights (paper: 1e-4)
    schedule: str = "step"  # "step" | "cosine" | "constant"
    milestones: tuple[float | int, ...] = (
        0.5,
        0.75,
    )  # step schedule: lr *= gamma at each
    gamma: float = 0.1  # step-schedule factor (the paper divides by 10)
    warmup_iters: int = 0  # steps of warm-up at the start
    warmup_lr: float | None = (
        None  # constant warm-up lr (paper's ResNet-110: 0.01); None = ramp
    )
    grad_clip: float | None = None  # clip the global gradient norm to this value
    amp: bool = (
        True  # mixed precision: bf16 on sm80+ GPUs and AMX CPUs, fp16 below sm80
    )
    channels_last: bool | None = None  # NHWC tensors; None: the device's preference
    # (helpers.core.precision.prefer_channels_last: on CUDA and for bf16 on the CPU)
    compile: bool = False  # torch.compile the model
    device: str | None = None  # None = CUDA if available, else CPU
    seed: int = (
        0  # seeds the data order/augmentation and the RNG of the run (not the caller's)
    )
    augment: bool = True  # pad-4 random crop + horizontal flip
    normalize: str = "channel"  # "channel" | "pixel" (paper) | "none"
    eval_every: int = (
        1  # evaluate on `val` every this many epochs (0 = only at the end)
    )
    log_every: int = 20  # record a step entry (window averages) every this many steps
    checkpoint_path: str | None = (
        None  # where to save checkpoints (None = no checkpoints)
    )
    checkpoint_every: int = 1  # save every this many epochs
    progress: bool = True  # tqdm progress bar
    num_threads: int | None = None  # torch CPU threads during fit (None = leave as is)
    sync_bn: bool = False  # batch-norm statistics of the global batch under torchrun
    dist_backend: str | None = None  # process group: None = NCCL on CUDA, Gloo on CPU
    workers: int | None = (
        None  # image-folder data: loader processes per rank (None: auto)
    )

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"schedule must be one of {SCHEDULES}, got {self.schedule!r}"
            )
        if self.iterations is None and not _positive_int(self.epochs):
            raise ValueError(
                "give a positive whole number of `epochs` or `iterations` (e.g. "
                f"iterations=64_000 as in the paper); got epochs={self.epochs!r}"
            )
        if self.iterations is not None and not _positive_int(self.iterations):
            raise ValueError(
                f"iterations must be a positive whole number, got {self.iterations!r}"
            )
        if self.lr_scaling not in LR_SCALINGS:
            raise ValueError(
                f"lr_scaling must be one of {LR_SCALINGS}, got {self.lr_scaling!r}"
            )
        if not _positive_int(self.lr_base_batch):
            raise ValueError(
                f"lr_base_batch must be a positive whole number, got {self.lr_base_batch!r}"
            )
        if not _positive_int(self.batch_size):
            raise ValueError(
                f"batch_size must be a positive whole number, got {self.batch_size!r}"
            )
        _check_range("lr", self.lr, 0.0)
        _check_range("momentum", self.momentum, 0.0)
        _check_range("weight_decay", self.weight_decay, 0.0)
        _check_range("gamma", self.gamma, 0.0)
        if not _whole(self.warmup_iters) or self.warmup_iters < 0:
            raise ValueError(
                f"warmup_iters must be a whole number of steps >= 0; got {self.warmup_iters!r}"
            )
        if self.warmup_lr is not None:
            _check_range("warmup_lr", self.warmup_lr, 0.0)
        if self.grad_clip is not None and not (
            _real(self.grad_clip) and self.grad_clip > 0
        ):
            raise ValueError(
                f"grad_clip must be a positive norm or None; got {self.grad_clip!r}"
            )
        check_normalize(self.normalize)
        if not _whole(self.eval_every) or self.eval_every < 0:
            raise ValueError(
                f"eval_every must be >= 0 (0 = only at the end); got {self.eval_every!r}"
            )
        for name in ("log_every", "checkpoint_every"):
            if not _positive_int(getattr(self, name)):
                raise ValueError(
                    f"{name} must be a positive whole number; got {getattr(self, name)!r}"
                )
        self.milestones = tuple(self.milestones)
        last = (
            self.iterations if self.schedule == "step" else None
        )  # others ignore them
        for m in self.milestones:
            _check_milestone(m, last)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["milestones"] = list(self.milestones)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    # Fields that do not change the numbers a run produces (safe to differ on resume).
    COSMETIC = (
        "progress",
        "checkpoint_path",
        "checkpoint_every",
        "num_threads",
        "eval_every",
        "log_every",
        "dist_backend",
        "workers",
    )


def _whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _positive_int(value: object) -> bool:
    return _whole(value) and value > 0


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_range(name: str, value: object, low: float) -> None:
    if not _real(value) or not value >= low:
        raise ValueError(f"{name} must be a number >= {low:g}; got {value!r}")


def _check_milestone(m: object, iterations: int | None) -> None:
    """Ints are iteration numbers, floats in (0, 1] fractions of training; nothing else."""
    if _whole(m):
        if m < 1:
            raise ValueError(f"an iteration milestone must be >= 1; got {m!r}")
        if iterations is not None and m > iterations:
            raise ValueError(
                f"milestone {m} is past the end of training ({iterations} iterations); "
                "give iteration numbers <= iterations or fractions in (0, 1]"
            )
    elif not (_real(m) and 0 < m <= 1):
        raise ValueError(
            f"milestones are fractions of training (floats in (0, 1], e.g. 0.5) or iteration "
            f"numbers (ints, e.g. 32_000); got {m!r}"
        )
