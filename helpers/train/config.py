"""Training configuration: one dataclass, passed in, never global."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["TrainConfig", "SCHEDULES"]

SCHEDULES = ("step", "cosine", "constant")


@dataclass
class TrainConfig:
    """Everything that controls a training run. Defaults follow He et al. (2016), Sec. 4.2.

    Give either ``epochs`` or ``iterations`` (the paper counts iterations: 64k at batch 128).
    ``milestones`` are fractions of training when < 1 (0.5 = half way) or iteration numbers
    otherwise; the paper's are (32_000, 48_000) with ``iterations=64_000``.
    """

    epochs: int | None = 10  # passes over the training set (ignored when iterations is set)
    iterations: int | None = None  # optimizer steps; the paper stops at 64k
    batch_size: int = 128  # images per step (the paper: 128, on 2 GPUs)
    lr: float = 0.1  # peak learning rate
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 1e-4  # L2 penalty on all weights (paper: 1e-4)
    schedule: str = "step"  # "step" | "cosine" | "constant"
    milestones: tuple[float, ...] = (0.5, 0.75)  # where the step schedule multiplies lr by gamma
    gamma: float = 0.1  # step-schedule factor (the paper divides by 10)
    warmup_iters: int = 0  # steps of warm-up at the start
    warmup_lr: float | None = None  # constant lr during warm-up (paper's ResNet-110: 0.01); None = linear ramp
    grad_clip: float | None = None  # clip the global gradient norm to this value
    amp: bool = True  # mixed precision: CUDA bf16 (fp16 + GradScaler on T4); bf16 on AMX CPUs
    channels_last: bool = False  # NHWC memory format for model and batches
    compile: bool = False  # torch.compile the model
    device: str | None = None  # None = CUDA if available, else CPU
    seed: int = 0  # seeds the data order/augmentation and torch's global RNG
    augment: bool = True  # pad-4 random crop + horizontal flip
    normalize: str = "channel"  # "channel" | "pixel" (paper) | "none"
    eval_every: int = 1  # evaluate on `val` every this many epochs (0 = only at the end)
    log_every: int = 20  # record a step entry (window averages) every this many steps
    checkpoint_path: str | None = None  # where to save checkpoints (None = no checkpoints)
    checkpoint_every: int = 1  # save every this many epochs
    progress: bool = True  # tqdm progress bar
    live_plot: bool = False  # redraw an error plot in the notebook after every evaluation
    num_threads: int | None = None  # torch CPU threads during fit (None = leave as is)

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.iterations is None and (self.epochs is None or self.epochs <= 0):
            raise ValueError("give a positive `epochs` or `iterations` (e.g. iterations=64_000 as in the paper)")
        if self.iterations is not None and self.iterations <= 0:
            raise ValueError(f"iterations must be positive, got {self.iterations}")
        if self.batch_size <= 0 or self.lr < 0:
            raise ValueError(f"batch_size must be > 0 and lr >= 0, got {self.batch_size}, {self.lr}")
        self.milestones = tuple(self.milestones)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["milestones"] = list(self.milestones)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    # Fields that do not change the numbers a run produces (safe to differ on resume).
    COSMETIC = ("progress", "live_plot", "checkpoint_path", "checkpoint_every", "num_threads", "eval_every", "log_every")
