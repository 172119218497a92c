"""Where a computed number came from: dataset, profile, device, seed, software versions.

Every experiment figure/table in the book carries one line from :func:`provenance_text`.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from helpers.core.device import device_label
from helpers.core.text import T, Text, join

__all__ = ["provenance_text", "device_text"]

# A CPU as the runs record it (helpers.core.device): "CPU (2 threads)", "cpu (1 thread, bf16
# autocast)", and a distributed run's "cpu (1 thread) x 2 processes".
CPU_LABEL = re.compile(
    r"^cpu \((?P<n>\d+) threads?(?P<rest>[^)]*)\)(?: x (?P<procs>\d+) processes)?$",
    re.IGNORECASE,
)


def device_text(label: str) -> Text | str:
    """A recorded device label in both languages: the English exactly as recorded, and its
    Chinese (a GPU's name stays as it is)."""
    m = CPU_LABEL.match(label)
    if m is None:
        return label
    n, rest = int(m["n"]), m["rest"]
    cpu = (
        T("CPU (1 thread{rest})", rest=rest)
        if n == 1
        else T("CPU ({n} threads{rest})", n=n, rest=rest)
    )
    if m["procs"]:
        cpu = T("{cpu} x {n} processes", cpu=cpu, n=int(m["procs"]))
    return Text(label, cpu.zh)


def provenance_text(
    profile: Any = None,
    *,
    seed: int | str | None = None,
    dataset: str | None = None,
    extra: str | None = None,
    device: str | torch.device | None = None,
) -> Text:
    """One line such as "Fashion-MNIST, 4,000 training images · profile quick · CPU (2 threads)
    · seed 0 · torch 2.14.1" (a :class:`~helpers.core.text.Text`: also in Chinese).
    ``profile`` is a Profile, a profile name, or None (the active one)."""
    from helpers.data.datasets import DATASETS
    from helpers.experiments.profiles import Profile, get_profile

    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    name = dataset or prof.dataset
    title = DATASETS[name].title if name in DATASETS else name
    if dataset is None or dataset == prof.dataset:
        n = prof.train_subset
        title = (
            T("{title}, {n:,} training images", title=title, n=n)
            if n
            else T("{title}, full training set", title=title)
        )
    parts = [
        title,
        T("profile {name}", name=prof.name),
        device_text(device_label(device or prof.device)),
    ]
    if seed is not None:
        several = isinstance(seed, str) and "," in seed
        parts.append(
            T("seeds {seed}", seed=seed) if several else T("seed {seed}", seed=seed)
        )
    parts.append(f"torch {torch.__version__.split('+')[0]}")
    if extra:
        parts.append(extra)
    return join(" · ", parts)
