"""Training throughput of helpers.train against the textbook PyTorch pipeline: the measuring.

The command line is :mod:`helpers.bench` (``python -m helpers.bench``); tests call
:func:`run_bench` directly. The pipelines themselves are :mod:`helpers.experiments.bench_pipelines`.

Textbook: torchvision ``datasets.CIFAR10`` + ``Compose([RandomCrop(32, padding=4),
RandomHorizontalFlip(), ToTensor(), Normalize(...)])`` + ``DataLoader`` + a plain fp32 loop.
Engine: ``helpers.train.fit`` (uint8 data on the device, batched augmentation, the precision of
``helpers.core.precision``: bf16 on sm80+ GPUs and bf16-capable CPUs, fp16 + GradScaler below
sm80, fused SGD on CUDA). Ceiling: the loop's own ``train_step`` on one batch already in memory
(same model, precision and memory format), so the engine's throughput is also reported as a
fraction of pure compute. Same model (ResNet-20, He et al. 2016, Sec. 4.2), batch 128, same
device; the pipelines are run interleaved and the median of ``repeats`` runs is compared. When
CIFAR-10 is absent, a synthetic CIFAR-10 (random pixels) is written in torchvision's on-disk
format to a temp dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from helpers.core.device import resolve_device
from helpers.experiments.bench_pipelines import (
    BATCH,
    ceiling,
    engine,
    textbook,
    torchvision_cifar,
    write_synthetic_cifar10,
)

__all__ = ["run_bench", "memory_probe", "write_synthetic_cifar10", "PIPELINES"]

PIPELINES = ("textbook", "engine", "ceiling")


def memory_probe(
    pipeline: str,
    steps: int,
    root: str,
    synthetic: bool,
    workers: int,
    amp: bool,
    threads: int | None = None,
) -> dict:
    """Run one pipeline in THIS (fresh) process; peak RSS above the state after setup."""
    from helpers.data import load_dataset
    from helpers.models import create_model

    if threads:
        torch.set_num_threads(threads)
    dev = resolve_device("cpu")
    torch.manual_seed(0)
    model = create_model("resnet20")
    data = (
        torchvision_cifar(Path(root), synthetic)
        if pipeline == "textbook"
        else load_dataset("cifar10", "train", root=root, val_size=0, download=False)
    )
    before = _rss_mib()
    (
        textbook(model, data, steps, dev, workers)
        if pipeline == "textbook"
        else engine(model, data, steps, dev, amp, False)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mib": peak - before, "worker_peak_rss_mib": workers_peak}


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


_PROBE = (
    "import json, sys\n"
    "from helpers.experiments.bench import memory_probe\n"
    "print(json.dumps(memory_probe(**json.loads(sys.argv[1]))))"
)


def _cpu_memory(
    pipeline: str, steps: int, root: Path, synthetic: bool, workers: int, amp: bool
) -> dict:
    """:func:`memory_probe` in a fresh Python process (peak RSS means nothing otherwise)."""
    import subprocess

    kwargs = {
        "pipeline": pipeline,
        "steps": steps,
        "root": str(root),
        "synthetic": synthetic,
        "workers": workers,
        "amp": amp,
        "threads": torch.get_num_threads(),
    }
    cmd = [sys.executable, "-c", _PROBE, json.dumps(kwargs)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class _CudaPeak:
    def __init__(self, device: torch.device) -> None:
        self.device = device

    def __enter__(self) -> _CudaPeak:
        torch.cuda.synchronize(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        self.base = torch.cuda.memory_allocated(self.device)
        return self

    def __exit__(self, *exc) -> None:
        torch.cuda.synchronize(self.device)
        self.delta_mib = (
            torch.cuda.max_memory_allocated(self.device) - self.base
        ) / 2**20


def _check_counts(steps: object, repeats: object, workers: object) -> None:
    """ValueErrors for counts that cannot be measured (the CLI rejects them up front)."""
    for name, value, low in (("steps", steps, 1), ("repeats", repeats, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be a whole number >= {low}; got {value!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 0):
        raise ValueError(
            f"workers must be a whole number >= 0 or None; got {workers!r}"
        )


def _bench_data(
    data_root: str | None, log: Callable[[str], object]
) -> tuple[Path, bool, tempfile.TemporaryDirectory | None]:
    """(root, synthetic, temp dir to clean up): the real CIFAR-10 if it is on disk, else a
    synthetic one written to a temporary directory."""
    from helpers.data import DatasetError, load_dataset

    try:
        found = load_dataset("cifar10", "test", root=data_root, download=False)
        return Path(found.source).parent, False, None
    except DatasetError:
        tmp = tempfile.TemporaryDirectory(prefix="resnet-book-bench-")
        root = write_synthetic_cifar10(Path(tmp.name))
        log(
            f"CIFAR-10 not found: wrote a SYNTHETIC CIFAR-10 (random pixels, 5,000 images) to {root}"
        )
        return root, True, tmp


def _timed_runs(
    dev: torch.device,
    tv_data,
    data,
    settings: dict[str, Any],
    log: Callable[[str], object],
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Images/s of every pipeline in each of ``repeats`` interleaved rounds (after one warm-up
    round), and the CUDA peak memory of the textbook and engine pipelines."""
    from helpers.models import create_model

    steps, repeats = settings["steps"], settings["repeats"]
    workers, amp, channels_last = (
        settings["workers"],
        settings["amp"],
        settings["channels_last"],
    )

    def fresh():
        torch.manual_seed(0)
        return create_model("resnet20").to(dev)

    def run(name: str, model, n: int) -> float:
        if name == "textbook":
            return textbook(model, tv_data, n, dev, workers)
        timer = engine if name == "engine" else ceiling
        return timer(model, data, n, dev, amp, channels_last)

    # warm-up every path once (allocator, oneDNN kernels, worker start-up code paths)
    for name in PIPELINES:
        run(name, fresh(), min(2, steps))
    results: dict[str, list[float]] = {name: [] for name in PIPELINES}
    memory: dict[str, float] = {"textbook": 0.0, "engine": 0.0}
    for r in range(repeats):  # interleaved, so drifting machine load hits all alike
        for name in PIPELINES:
            model = fresh()
            peak = _CudaPeak(dev) if dev.type == "cuda" else contextlib.nullcontext()
            with peak as mem:
                sec = run(name, model, steps)
            if mem is not None and name in memory:
                memory[name] = max(memory[name], mem.delta_mib)
            results[name].append(steps * BATCH / sec)
            log(
                f"repeat {r + 1}/{repeats} {name:8s} {steps * BATCH / sec:8.1f} images/s"
            )
    return results, memory


def run_bench(
    steps: int = 20,
    repeats: int = 3,
    device: str | None = None,
    workers: int | None = None,
    amp: bool = True,
    channels_last: bool | None = None,
    data_root: str | None = None,
    log=print,
) -> dict[str, Any]:
    """Measure images/s of the three pipelines; returns a JSON-able dict.

    ``workers``: DataLoader workers of the textbook pipeline (default 2 on the CPU, 4 on
    CUDA); ``channels_last``: NHWC for the engine and the ceiling (default: on CUDA)."""
    from helpers.data import load_dataset

    _check_counts(steps, repeats, workers)
    dev = resolve_device(device)
    settings = {
        "steps": steps,
        "repeats": repeats,
        "workers": (2 if dev.type == "cpu" else 4) if workers is None else workers,
        "amp": amp,
        "channels_last": (dev.type == "cuda")
        if channels_last is None
        else channels_last,
    }
    root, synthetic, tmp = _bench_data(data_root, log)
    try:
        tv_data = torchvision_cifar(root, synthetic)
        data = load_dataset("cifar10", "train", root=root, val_size=0, download=False)
        results, memory = _timed_runs(dev, tv_data, data, settings, log)
        worker_rss = None
        if (
            dev.type == "cpu"
        ):  # peak RSS needs a fresh process per pipeline to mean anything
            probes = {
                k: _cpu_memory(
                    k, min(steps, 5), root, synthetic, settings["workers"], amp
                )
                for k in memory
            }
            memory = {k: v["peak_mib"] for k, v in probes.items()}
            worker_rss = probes["textbook"]["worker_peak_rss_mib"]
    finally:
        if tmp is not None:
            tmp.cleanup()
    return _summary(dev, settings, synthetic, results, memory, worker_rss)


def _summary(
    dev: torch.device,
    settings: dict[str, Any],
    synthetic: bool,
    results: dict[str, list[float]],
    memory: dict[str, float],
    worker_rss: float | None,
) -> dict[str, Any]:
    """The JSON-able result of :func:`run_bench`: every run, the medians and their ratios."""
    from helpers.core.precision import amp_dtype, precision_name
    from helpers.core.versions import environment

    med = {k: statistics.median(v) for k, v in results.items()}
    return {
        "device": str(dev),
        "steps": settings["steps"],
        "repeats": settings["repeats"],
        "batch_size": BATCH,
        "model": "resnet20",
        "synthetic_data": synthetic,
        "textbook_workers": settings["workers"],
        "engine_precision": precision_name(amp_dtype(dev, settings["amp"])),
        "engine_channels_last": settings["channels_last"],
        "images_per_s": results,
        "median_images_per_s": med,
        "ratio": med["engine"] / med["textbook"],
        "fraction_of_ceiling": med["engine"] / med["ceiling"],
        "ceiling": "the loop's train_step on one batch already in memory (same model, precision, "
        "memory format): no data loading, augmentation, logging or checks",
        "peak_memory_mib": {k: round(v, 1) for k, v in memory.items()},
        "textbook_worker_peak_rss_mib": worker_rss,
        "memory_kind": (
            "CUDA max_memory_allocated above the start"
            if dev.type == "cuda"
            else "peak RSS above the post-setup RSS, each pipeline in a fresh process "
            "(DataLoader worker processes reported separately)"
        ),
        "load_average": os.getloadavg(),
        "environment": environment(),
    }
