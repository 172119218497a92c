"""Learning-rate schedules as pure functions of the step (so resuming needs no extra state)."""

from __future__ import annotations

import math
import numbers

from helpers.train.config import TrainConfig

__all__ = ["lr_at", "milestone_steps", "peak_lr"]


def milestone_steps(config: TrainConfig, total_steps: int) -> list[int]:
    """Milestones as step numbers: a float in (0, 1] is a fraction of ``total_steps``, an int
    an iteration number. Raises a ValueError for a milestone past ``total_steps``."""
    steps = []
    for m in config.milestones:
        is_int = isinstance(m, numbers.Integral) and not isinstance(m, bool)
        step = int(m) if is_int else round(m * total_steps)
        if step > total_steps:
            raise ValueError(
                f"milestone {m} is past the end of training ({total_steps} steps); give "
                "iteration numbers <= the number of steps, or fractions in (0, 1]"
            )
        steps.append(step)
    return steps


def lr_at(step: int, config: TrainConfig, total_steps: int) -> float:
    """Learning rate used for optimizer step ``step`` (0-based).

    Paper (He et al., 2016, Sec. 4.2): 0.1, divided by 10 at 32k and 48k iterations; for
    ResNet-110 a warm-up at 0.01 for about 400 iterations first. With
    ``lr_scaling="linear"`` the peak is :func:`peak_lr` and the warm-up climbs to it
    linearly from ``config.lr`` (Goyal et al. 2017, Sec. 2.2, "gradual warmup").
    """
    peak = peak_lr(config)
    if step < config.warmup_iters:
        if config.warmup_lr is not None:
            return config.warmup_lr
        if config.lr_scaling == "linear":
            return config.lr + (peak - config.lr) * (step + 1) / config.warmup_iters
        return peak * (step + 1) / config.warmup_iters
    if config.schedule == "constant":
        return peak
    if config.schedule == "step":
        passed = sum(step >= m for m in milestone_steps(config, total_steps))
        return peak * config.gamma**passed
    # cosine from the end of warm-up to the last step
    span = max(1, total_steps - config.warmup_iters)
    t = min(1.0, (step - config.warmup_iters) / span)
    return peak * 0.5 * (1.0 + math.cos(math.pi * t))


def peak_lr(config: TrainConfig) -> float:
    """The learning rate after warm-up: ``config.lr``, or with the linear scaling rule
    (Goyal et al. 2017, "Accurate, Large Minibatch SGD", Sec. 2.1: "when the minibatch
    size is multiplied by k, multiply the learning rate by k") ``lr * batch_size /
    lr_base_batch``, e.g. 0.1 x 8192 / 256 = 3.2 for their batch of 8192."""
    if config.lr_scaling == "linear":
        return config.lr * config.batch_size / config.lr_base_batch
    return config.lr
