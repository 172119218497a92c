"""What ``python -m helpers.bench_dist`` measures: data parallelism on this machine's CPUs,
and whether the JPEG loader can feed a ResNet-18.

* :func:`bench_scaling`: ResNet-20 (He et al. 2016, Sec. 4.2; synthetic CIFAR-10-shaped
  images, batch 128) trained by ``fit`` as 1 process x 1 thread, 1 process x T threads
  and T processes x 1 thread (torchrun, Gloo): images/s, the scaling efficiency of the
  processes (their images/s over T times one single-threaded process's) and the time the
  gradient all-reduce adds to a step.
* :func:`bench_loader`: images/s of :class:`helpers.data.streaming.StreamingLoader`
  decoding ImageNet-sized JPEGs with the paper's augmentation (0..W worker processes)
  against the images/s one training step of ResNet-18 at 224 px consumes on this device.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torchvision.io import write_jpeg

from helpers.core.device import resolve_device
from helpers.core.precision import amp_dtype, precision_name, prefer_channels_last
from helpers.data.imagefolder import load_image_folder
from helpers.data.streaming import StreamingLoader
from helpers.data.transforms import TORCHCODEC
from helpers.experiments.scaling import ScalingRun, launch
from helpers.models import create_model

__all__ = ["write_jpeg_folder", "bench_scaling", "bench_loader", "step_demand"]


def write_jpeg_folder(
    root: Path,
    classes: int = 4,
    per_class: int = 8,
    size: tuple[int, int] = (375, 500),
    val_per_class: int = 2,
    seed: int = 0,
) -> Path:
    """An image folder in the ImageNet layout of smooth random photos-to-be (JPEG,
    quality 90; ``size`` = (H, W), ImageNet's typical 375 x 500 by default); class ``c``
    is tinted by its own colour, so a network can learn it."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    for split, n in (("train", per_class), ("val", val_per_class)):
        for c in range(classes):
            folder = root / split / f"class{c:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            tint = torch.rand(3, 1, 1, generator=g) * 120
            for i in range(n):
                coarse = torch.rand(1, 3, h // 16 + 1, w // 16 + 1, generator=g) * 135
                image = torch.nn.functional.interpolate(
                    coarse, size=(h, w), mode="bilinear"
                )
                noise = torch.rand(3, h, w, generator=g) * 20
                pixels = (image[0] + tint + noise).clamp(0, 255).to(torch.uint8)
                path = folder / f"{split}_{c}_{i:04d}.JPEG"
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", TORCHCODEC, DeprecationWarning)
                    write_jpeg(pixels, str(path), quality=90)
    return root


def bench_scaling(
    steps: int = 20, threads: int = 2, batch: int = 128
) -> dict[str, Any]:
    """ResNet-20 at batch ``batch``: 1 x 1, 1 x ``threads`` and ``threads`` x 1
    (processes x threads each), ``steps`` optimizer steps each."""
    run = ScalingRun(
        dataset="synthetic",
        subset=steps * batch,
        width=16,
        batch_size=batch,
        epochs=1,
        allreduce_steps=5,
    )
    single = launch(run, 1)
    threaded = launch(replace(run, threads=threads), 1)
    procs = launch(run, threads)
    return {
        "model": "resnet20 (width 16), synthetic 3x32x32 images",
        "batch": batch,
        "steps": steps,
        "1x1": single["images_per_s"],
        f"1x{threads}": threaded["images_per_s"],
        f"{threads}x1": procs["images_per_s"],
        "per_rank": procs["images_per_s_per_rank"],
        "efficiency": procs["images_per_s"] / (threads * single["images_per_s"]),
        "processes_over_threads": procs["images_per_s"] / threaded["images_per_s"],
        "allreduce": procs["allreduce"],
        "device": procs["device"],
    }


def step_demand(
    arch: str = "resnet18", crop: int = 224, batch: int = 16, steps: int = 3
) -> dict[str, Any]:
    """Images/s that training ``arch`` at ``crop`` px consumes on this process's device
    (median of ``steps`` steps after one warm-up, the book's precision)."""
    from helpers.train.loop import train_step

    device = resolve_device(None)
    dtype = amp_dtype(device, True)
    torch.manual_seed(0)
    model = create_model(arch).to(device)
    fmt = (
        torch.channels_last
        if prefer_channels_last(device, dtype)
        else torch.contiguous_format
    )
    model = model.to(memory_format=fmt)
    x = torch.randn(batch, 3, crop, crop, device=device).contiguous(memory_format=fmt)
    y = torch.randint(0, 1000, (batch,), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype is torch.float16)
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        train_step(model, x, y, optimizer, scaler, dtype, None)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    step = sorted(times[1:])[len(times[1:]) // 2]
    return {
        "arch": arch,
        "crop": crop,
        "batch": batch,
        "images_per_s": batch / step,
        "device": str(device),
        "precision": precision_name(dtype),
    }


def bench_loader(
    images: int = 256, workers: tuple[int, ...] = (0, 1, 2), batch: int = 32
) -> dict[str, Any]:
    """Decoding + paper augmentation throughput of the streaming loader on ``images``
    generated 375x500 JPEGs, for each number of worker processes."""
    out: dict[str, Any] = {"images": images, "jpeg": "375x500, quality 90"}
    with tempfile.TemporaryDirectory(prefix="resnet-book-jpegs-") as tmp:
        root = write_jpeg_folder(Path(tmp), classes=4, per_class=images // 4)
        data = load_image_folder(root, "train")
        out["mean_kib"] = sum(f.stat().st_size for f in data.files) / len(data) / 1024
        for w in workers:
            loader = StreamingLoader(data, batch, device="cpu", workers=w)
            next(iter(loader.iter_epoch()))  # start the workers, warm the decoders
            t0 = time.perf_counter()
            n = sum(y.shape[0] for _, y in loader.iter_epoch())
            out[f"workers={w}"] = n / (time.perf_counter() - t0)
    out["cpu_count"] = os.cpu_count()
    return out
