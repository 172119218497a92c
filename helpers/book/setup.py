"""Colab setup: install-free report of the device, profile and precision; Google Drive;
the book's converged reference nets.

The first cell of every chapter calls :func:`setup` (``chapters/_setup_cell.py``): it picks the
profile for this machine (``gpu`` with CUDA unless the user set one) and prints the GPU, the
profile and the precision training will use. :func:`use_drive` keeps the cache
(:mod:`helpers.core.paths`) on Google Drive, so runs survive a disconnect.
:func:`use_reference` (the cell's ``USE_REFERENCE`` box) loads the converged networks of a
stored reference run instead of training them (:mod:`helpers.experiments.reference_nets`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.core.paths import CACHE_ENV, cache_root
from helpers.core.precision import amp_dtype, precision_name
from helpers.experiments.profiles import ENV_VAR, get_profile
from helpers.experiments.reference_fetch import local_or_fetched
from helpers.experiments.reference_nets import (
    REFERENCE_ENV,
    ReferenceNetError,
    missing_reference,
)

__all__ = ["in_colab", "use_drive", "setup", "Setup", "use_reference"]

REFERENCE_RUN = "reference-cpu-full"  # the converged run the book reports
# same data set and depths as the run: the chapters' other runs stay small
REFERENCE_PROFILE = "quick"

DRIVE_MOUNT = "/content/drive"
DRIVE_CACHE = "MyDrive/resnet-book-cache"


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


def setup(
    repo_url: str | None = None,
    ref: str | None = None,
    reference: bool = False,
    verbose: bool = True,
) -> Setup:
    """Pick the profile for this machine (``gpu`` with CUDA unless the user set one) and report
    the GPU, the profile and the training precision (fp16 on a T4, bf16 on an A100 and newer).
    ``reference``: load the book's converged nets from ``repo_url`` at ``ref`` instead of
    training them (:func:`use_reference`)."""
    if reference:
        if not (repo_url and ref):
            raise ValueError("reference=True needs repo_url and ref (the setup cell's)")
        use_reference(repo_url, ref)
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


def use_reference(
    repo_url: str,
    ref: str,
    name: str = REFERENCE_RUN,
    profile: str = REFERENCE_PROFILE,
) -> Path:
    """Have the chapters load the converged nets of reference run ``name`` instead of
    training their own: this checkout's ``results/<name>``, else downloaded from
    ``repo_url`` at ``ref`` (checksums checked). Switches to ``profile``, whose data set and
    depths are the run's, so the chapters' other small runs match them. Returns the folder."""
    folder = local_or_fetched(name, repo_url, ref)
    chosen = get_profile(profile)
    why = missing_reference(folder, chosen.depths, (0,), chosen.dataset)
    if why is not None:
        raise ReferenceNetError(
            f"cannot use the reference nets: {why}; set USE_REFERENCE = False to train "
            "this chapter's own"
        )
    os.environ[REFERENCE_ENV] = str(folder)
    os.environ[ENV_VAR] = chosen.name
    print(
        f"reference nets: {name} (seed 0) from {folder}; chapters 3 and 4 analyse them "
        f"instead of training their own. profile: {chosen.name} ({chosen.dataset}, the "
        "nets' data set) for the chapters' other runs"
    )
    return folder
