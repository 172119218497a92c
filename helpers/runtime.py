"""Where the book runs: the cache location, Colab setup, Google Drive, progress bars, budgets.

One cache holds everything a run produces or downloads (datasets, trained models,
checkpoints)::

    $RESNET_BOOK_CACHE                     if set (the one variable to override it)
    <checkout>/_build/model_cache          when helpers is imported from a source checkout
    ~/.cache/resnet-book                   otherwise (Colab, a pip-installed helpers)

Layout: trained models directly under the root (one folder per run, see
:mod:`helpers.experiments`), ``data/`` for datasets, ``checkpoints/`` for runs in progress.
On Colab, :func:`use_drive` points the cache at Google Drive, so that a run one chapter made is
reused by the next chapter and survives a disconnect or a new session.

Progress bars are shown in a live notebook and hidden on the website:
``RESNET_BOOK_PROGRESS=0`` (the book build sets it) turns them off.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "PROGRESS_ENV",
    "cache_root",
    "data_dir",
    "checkpoint_dir",
    "show_progress",
    "in_colab",
    "use_drive",
    "setup",
    "Setup",
    "T4",
    "estimate_minutes",
]

CACHE_ENV = "RESNET_BOOK_CACHE"
PROGRESS_ENV = "RESNET_BOOK_PROGRESS"
DRIVE_MOUNT = "/content/drive"
DRIVE_CACHE = "MyDrive/resnet-book-cache"


def cache_root() -> Path:
    """The cache directory (see the module docstring for the rule)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "_toc.yml").exists():
        return checkout / "_build" / "model_cache"
    return Path.home() / ".cache" / "resnet-book"


def data_dir() -> Path:
    """Where datasets are downloaded to: ``<cache>/data``."""
    return cache_root() / "data"


def checkpoint_dir() -> Path:
    """Where unfinished training runs keep their checkpoints: ``<cache>/checkpoints``."""
    return cache_root() / "checkpoints"


def show_progress() -> bool:
    """Progress bars on, unless ``$RESNET_BOOK_PROGRESS`` is 0/false/no (the website build)."""
    return os.environ.get(PROGRESS_ENV, "1").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )


def in_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def use_drive(folder: str = DRIVE_CACHE) -> Path:
    """On Colab: mount Google Drive and keep the cache in ``MyDrive/resnet-book-cache``.

    Trained models, checkpoints and datasets then persist across chapters and sessions.
    Returns the new cache directory. Outside Colab it raises, naming the variable to set."""
    if not in_colab():
        raise RuntimeError(
            f"use_drive() works on Colab only; elsewhere set ${CACHE_ENV} to a directory"
        )
    from google.colab import drive  # type: ignore[import-not-found]

    drive.mount(DRIVE_MOUNT)
    root = Path(DRIVE_MOUNT) / folder
    root.mkdir(parents=True, exist_ok=True)
    os.environ[CACHE_ENV] = str(root)
    print(f"cache: {root} (runs persist on Google Drive)")
    return root


@dataclass(frozen=True)
class Setup:
    """What :func:`setup` chose: the device, profile, precision and cache."""

    device: str
    profile: str
    precision: str
    cache: Path

    def __str__(self) -> str:
        return (
            f"device: {self.device} · profile: {self.profile} · "
            f"precision: {self.precision} · cache: {self.cache}"
        )


def setup(verbose: bool = True) -> Setup:
    """Pick the profile for this machine (``gpu`` with CUDA unless the user set one) and report
    the GPU, the profile and the training precision (fp16 on a T4, bf16 on an A100 and newer)."""
    import torch

    from .profiles import ENV_VAR, get_profile
    from .train.precision import amp_dtype, precision_name

    cuda = torch.cuda.is_available()
    if cuda:
        os.environ.setdefault(ENV_VAR, "gpu")
    profile = get_profile()
    device = torch.device(profile.device or ("cuda" if cuda else "cpu"))
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        name = (
            f"{torch.cuda.get_device_name(device)} (compute capability {major}.{minor})"
        )
    else:
        name = "CPU"
    chosen = Setup(
        device=name,
        profile=profile.name,
        precision=precision_name(amp_dtype(device, profile.amp)),
        cache=cache_root(),
    )
    if verbose:
        print(chosen)
        if in_colab() and not cuda:
            print(
                "No GPU: choose Runtime > Change runtime type > T4 GPU, then run this cell again."
            )
    return chosen


# ---------------------------------------------------------------------------------------------
# Budget: how long a chapter's training takes on a T4, estimated from multiply-adds
# ---------------------------------------------------------------------------------------------


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
