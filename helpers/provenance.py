"""Where a computed number came from: dataset, profile, device, seed, software versions.

Every experiment figure/table in the book carries one line from :func:`provenance_text`.
"""

from __future__ import annotations

import functools
import platform
import sys
from typing import Any

import torch

from .device import resolve_device

__all__ = ["environment", "provenance_text", "cpu_model", "device_label"]


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_label(device: str | torch.device | None = None) -> str:
    """Short device description: "NVIDIA T4" or "CPU (2 threads)"."""
    dev = resolve_device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name(dev)
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'' if n == 1 else 's'})"


def environment() -> dict[str, Any]:
    """Versions and hardware of the running process."""
    import torchvision

    env = {
        "python": platform.python_version(),
        "torch": torch.__version__.split("+")[0],
        "torchvision": torchvision.__version__.split("+")[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "cuda_device": torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else None,
        "device": device_label(),
    }
    if "google.colab" in sys.modules:
        env["host"] = "Colab"
    return env


def _count(n: int) -> str:
    return f"{n:,}"


def provenance_text(
    profile: Any = None,
    *,
    seed: int | str | None = None,
    dataset: str | None = None,
    extra: str | None = None,
    device: str | torch.device | None = None,
) -> str:
    """One line such as "Fashion-MNIST, 4,000 training images · profile quick · CPU (2 threads)
    · seed 0 · torch 2.14.1". ``profile`` is a Profile, a profile name, or None (the active one)."""
    from .data.datasets import DATASETS
    from .profiles import Profile, get_profile

    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    name = dataset or prof.dataset
    title = DATASETS[name].title if name in DATASETS else name
    if dataset is None or dataset == prof.dataset:
        n = prof.train_subset
        title += f", {_count(n)} training images" if n else ", full training set"
    parts = [title, f"profile {prof.name}", device_label(device or prof.device)]
    if seed is not None:
        parts.append(
            f"seed{'s' if isinstance(seed, str) and ',' in seed else ''} {seed}"
        )
    parts.append(f"torch {torch.__version__.split('+')[0]}")
    if extra:
        parts.append(extra)
    return " · ".join(parts)
