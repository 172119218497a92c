"""How long a chapter's training takes on a GPU, estimated from multiply-adds.

Used by the README's Colab table, each chapter's first paragraph and
``tests/test_colab_runtime.py``; a measurement on a T4 replaces the assumed throughput.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Throughput", "T4", "estimate_minutes"]


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
