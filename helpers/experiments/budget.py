"""How long a chapter's training takes on a GPU, estimated from multiply-adds.

Used by the README's Colab table, each chapter's first paragraph and
``tests/test_colab_runtime.py``; a measurement on a T4 replaces the assumed throughput.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Throughput",
    "T4",
    "estimate_minutes",
    "training_images",
    "resnet_macs",
    "training_minutes",
    "format_minutes",
    "CIFAR10_TRAIN",
]


@dataclass(frozen=True)
class Throughput:
    """An assumed achieved training throughput of a GPU (not its peak)."""

    name: str
    flops: float  # achieved FLOP/s on the book's small CIFAR convolutions
    peak_fp16: float  # datasheet peaks, for reference
    peak_fp32: float


# NVIDIA's T4 datasheet: 65 TFLOP/s fp16 tensor-core peak, 8.1 TFLOP/s fp32. Narrow (16-64
# channel) convolutions on 32x32 and smaller maps fill few tensor cores, and batch norm and
# ReLU (not counted in MACs) are bound by its 320 GB/s memory; we assume 3 TFLOP/s achieved
# (about 5% of the fp16 peak, 37% of the fp32 peak) in fp16 autocast. A measurement on a T4
# replaces this number.
T4 = Throughput("T4", flops=3e12, peak_fp16=65e12, peak_fp32=8.1e12)


def estimate_minutes(
    runs: list[tuple[float, int]],
    train_images: int,
    test_images: int,
    epochs: int,
    gpu: Throughput = T4,
) -> float:
    """Minutes of training for ``runs`` = [(forward MACs per image, number of runs), ...].

    A training step costs ~3 forward passes (forward, backward to activations, backward to
    weights): 6 FLOPs per MAC per training image; evaluating the test set every epoch costs 2
    FLOPs per MAC per test image."""
    flops_per_mac = epochs * (6 * train_images + 2 * test_images)
    return sum(macs * n for macs, n in runs) * flops_per_mac / gpu.flops / 60


CIFAR10_TRAIN = 50_000  # CIFAR-10 training images, before a validation split


def training_images(profile: Any) -> int:
    """Training images a CIFAR-10 run of ``profile`` sees (iterations x batch, or epochs x
    the training split)."""
    if profile.iterations:
        return profile.iterations * profile.batch_size
    return profile.epochs * (CIFAR10_TRAIN - profile.val_size)


def resnet_macs(profile: Any, depth: int) -> int:
    """Forward multiply-adds of the CIFAR ResNet-``depth`` at ``profile``'s width, per image."""
    from helpers.analysis.complexity import count_macs
    from helpers.models import create_model

    model = create_model("resnet_cifar", depth=depth, width=profile.width)
    return count_macs(model, (1, 3, 32, 32))


def training_minutes(profile: Any, depth: int, gpu: Throughput = T4) -> float:
    """Estimated minutes to train the CIFAR ResNet-``depth`` of ``profile`` on CIFAR-10 on
    ``gpu``: 6 FLOPs per forward multiply-add per training image, evaluation not counted."""
    flops = training_images(profile) * 6 * resnet_macs(profile, depth)
    return flops / gpu.flops / 60


def format_minutes(minutes: float) -> str:
    """An estimate for a table or a sentence: "≈ 40 s", "≈ 2.5 min", "≈ 34 min", "≈ 2.1 h"."""
    if minutes < 1:
        return f"≈ {60 * minutes:.0f} s"
    if minutes < 10:
        return f"≈ {minutes:.1f} min"
    if minutes < 120:
        return f"≈ {minutes:.0f} min"
    return f"≈ {minutes / 60:.1f} h"
