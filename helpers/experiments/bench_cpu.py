"""What this CPU offers for training: fp32 vs bf16 autocast (oneDNN), NCHW vs channels_last,
threads per process, and ``torch.compile`` (issue 21 of the book).

Each option trains the CIFAR-style ResNet through the real loop (``helpers.train.fit``: the
device loader with pad-4 crops and flips, SGD with momentum) on batches of 128 synthetic
1x28x28 images, as Fashion-MNIST has, and reports images/s of the steady state: the first
epoch (warm-up, one-time oneDNN and compile work) is timed separately and left out.

    python -m helpers.bench --cpu-options [--threads 1] [--steps 40]
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from helpers.core.precision import CPU_BF16_ENV, amp_dtype, precision_name
from helpers.data import Dataset
from helpers.models import create_model
from helpers.train import TrainConfig, fit

__all__ = ["CpuOption", "CPU_OPTIONS", "cpu_option_rows", "synthetic_fmnist"]


@dataclass(frozen=True)
class CpuOption:
    """One way to train on the CPU."""

    name: str
    bf16: bool
    channels_last: bool
    compile: bool = False


CPU_OPTIONS = (
    CpuOption("fp32", bf16=False, channels_last=False),
    CpuOption("fp32 + channels_last", bf16=False, channels_last=True),
    CpuOption("bf16", bf16=True, channels_last=False),
    CpuOption("bf16 + channels_last", bf16=True, channels_last=True),
    CpuOption(
        "bf16 + channels_last + compile", bf16=True, channels_last=True, compile=True
    ),
)


def synthetic_fmnist(n: int, seed: int = 0) -> Dataset:
    """``n`` random 1x28x28 uint8 images with 10 labels: Fashion-MNIST's shapes, no content."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return Dataset(
        images,
        labels,
        classes=[f"class {i}" for i in range(10)],
        mean=(0.5,),
        std=(0.25,),
        name="synthetic",
        split="train",
        source="random pixels",
    )


def _timed_fit(net: str, width: int, option: CpuOption, steps: int, threads: int):
    """Seconds of the second of two epochs of ``steps`` steps each, and the precision."""
    previous = os.environ.get(CPU_BF16_ENV)
    os.environ[CPU_BF16_ENV] = "1" if option.bf16 else "0"
    try:
        data = synthetic_fmnist(128 * steps)
        model = create_model(net, num_classes=10, in_channels=1, width=width)
        times = []

        class Clock:
            def on_log(self, entry: dict) -> None: ...
            def on_epoch(self, history) -> None:
                times.append(time.perf_counter())

            def close(self) -> None: ...

        config = TrainConfig(
            epochs=2,
            batch_size=128,
            channels_last=option.channels_last,
            compile=option.compile,
            device="cpu",
            progress=False,
            eval_every=0,
            num_threads=threads,
        )
        start = time.perf_counter()
        fit(model, data, config, callbacks=[Clock()])
        precision = precision_name(amp_dtype("cpu"))
    finally:
        if previous is None:
            os.environ.pop(CPU_BF16_ENV, None)
        else:
            os.environ[CPU_BF16_ENV] = previous
    return times[1] - times[0], times[0] - start, precision


def cpu_option_rows(
    nets: tuple[tuple[str, int], ...] = (
        ("resnet20", 8),
        ("resnet56", 8),
        ("resnet20", 16),
        ("resnet56", 16),
    ),
    options: tuple[CpuOption, ...] = CPU_OPTIONS,
    steps: int = 40,
    threads: int = 1,
) -> Iterator[dict]:
    """One row per (net, width, option): images/s in the steady state, and the first
    epoch's seconds (which include compilation)."""
    for net, width in nets:
        for option in options:
            seconds, first, precision = _timed_fit(net, width, option, steps, threads)
            yield {
                "net": net,
                "width": width,
                "option": option.name,
                "precision": precision,
                "threads": threads,
                "images_per_s": 128 * steps / seconds,
                "first_epoch_s": first,
            }
