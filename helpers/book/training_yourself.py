"""Chapter 5's "Training it yourself": what the paper's run costs, the 1- vs 2-process
figure, and the guard around the Colab edition's Imagenette run.

The arithmetic is in plain functions so the page shows its inputs: a training step costs
about three forward passes (forward, backward to the activations, backward to the
weights), so an epoch costs ``3 x MACs x images`` multiply-adds.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from helpers.core.figstyle import figsize
from helpers.core.network import reachable

__all__ = [
    "IMAGENET_TRAIN_IMAGES",
    "training_macs",
    "plot_scaling",
    "imagenette_ready",
]

IMAGENET_TRAIN_IMAGES = 1_281_167  # ILSVRC 2012 training set (Russakovsky et al. 2015)
PASSES_PER_STEP = 3  # forward + backward to activations + backward to weights


def training_macs(
    gmacs_per_image: float, epochs: int = 90, images: int = IMAGENET_TRAIN_IMAGES
) -> float:
    """Multiply-adds of training a network of ``gmacs_per_image`` for ``epochs``."""
    return PASSES_PER_STEP * gmacs_per_image * 1e9 * images * epochs


def plot_scaling(result: dict[str, Any]) -> plt.Figure:
    """Training loss per step of the one-process and the N-process run of
    :func:`helpers.experiments.scaling.compare`, drawn on top of each other, and their
    difference below (the same steps: the N processes share each global batch)."""
    one, many, n = result["one"], result["many"], result["nproc"]
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=figsize(4.6),
        sharex=True,
        height_ratios=(3, 1.3),
        layout="constrained",
    )
    steps = np.arange(1, len(one["losses"]) + 1)
    batch = one["run"]["batch_size"]
    top.plot(steps, one["losses"], lw=2.2, color="C0", label=f"1 process x {batch}")
    top.plot(
        steps,
        many["losses"],
        lw=1.2,
        ls="--",
        color="C3",
        label=f"{n} processes x {batch // n} (torchrun, Gloo)",
    )
    top.set_ylabel("training loss")
    top.legend(loc="upper right")
    diff = np.array(many["losses"]) - np.array(one["losses"])
    bottom.axhline(0, color="0.6", lw=0.8)
    bottom.plot(steps, diff, color="C3", lw=1.2)
    bottom.set_ylabel(f"{n} proc. - 1 proc.")
    bottom.set_xlabel("optimizer step")
    return fig


def imagenette_ready(timeout: float = 2.0) -> bool:
    """True if Imagenette (160 px) is on disk or its server answers within ``timeout``
    seconds (a TCP connection in a daemon thread, abandoned after ``timeout``);
    ``RESNET_BOOK_OFFLINE=1`` forces False unless it is on disk."""
    from helpers.data import DatasetError
    from helpers.data.download import IMAGENETTE, locate_imagenette

    try:
        locate_imagenette("160px", download=False)
        return True
    except DatasetError:
        pass
    return reachable(IMAGENETTE["160px"][0], timeout)
