"""Training throughput of helpers.train against the textbook PyTorch pipeline.

    python -m helpers.bench [--steps 20] [--repeats 3] [--device cpu] [--json out.json]

Textbook: torchvision ``datasets.CIFAR10`` + ``Compose([RandomCrop(32, padding=4),
RandomHorizontalFlip(), ToTensor(), Normalize(...)])`` + ``DataLoader`` + a plain fp32 loop.
Engine: ``helpers.train.fit`` (uint8 data on the device, batched augmentation, the precision of
``helpers.core.precision``: bf16 on sm80+ GPUs and AMX CPUs, fp16 + GradScaler below sm80,
fused SGD on CUDA). Ceiling: the loop's own ``train_step`` on one batch already in memory (same
model, precision and memory format), so the engine's throughput is also reported as a fraction
of pure compute. Same model (ResNet-20), batch 128, same device; the pipelines are run
interleaved and the median of ``repeats`` runs is compared. When CIFAR-10 is absent, a
synthetic CIFAR-10 (random pixels) is written in torchvision's on-disk format to a temp dir.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["run_bench", "main", "write_synthetic_cifar10"]


def write_synthetic_cifar10(
    root: Path, n_train: int = 5000, n_test: int = 1000, seed: int = 0
) -> Path:
    """Random-pixel CIFAR-10 in the python-pickle layout of cifar-10-python.tar.gz."""
    rng = np.random.default_rng(seed)
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True, exist_ok=True)
    per = -(-n_train // 5)
    for name, n in [(f"data_batch_{i}", per) for i in range(1, 6)] + [
        ("test_batch", n_test)
    ]:
        # str keys: how Python-2 pickles of the real files read under torchvision's latin1 decoding
        batch = {
            "batch_label": name,
            "labels": rng.integers(0, 10, n).tolist(),
            "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "filenames": [f"{i}.png" for i in range(n)],
        }
        with open(d / name, "wb") as f:
            pickle.dump(batch, f)
    with open(d / "batches.meta", "wb") as f:
        pickle.dump(
            {"label_names": [f"c{i}" for i in range(10)], "num_cases_per_batch": per}, f
        )
    return root


def _torchvision_cifar(root: Path, synthetic: bool):
    import torchvision
    from torchvision import transforms

    from helpers.data import DATASETS

    info = DATASETS["cifar10"]
    tf = transforms.Compose(
        [
            transforms.RandomCrop(32, padding=4),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(info.mean, info.std),
        ]
    )

    base = torchvision.datasets.CIFAR10
    if not synthetic:
        return base(str(root), train=True, download=False, transform=tf)

    class SyntheticCIFAR10(base):
        # torchvision checks the MD5s of the real files; random pixels cannot match them
        train_list = [[name, None] for name, _ in base.train_list]
        test_list = [[name, None] for name, _ in base.test_list]
        meta = {**base.meta, "md5": None}

    return SyntheticCIFAR10(str(root), train=True, download=False, transform=tf)


def _memory_probe(
    pipeline: str, steps: int, root: str, synthetic: bool, workers: int, amp: bool
) -> dict:
    """Run one pipeline in THIS (fresh) process; peak RSS above the state after setup."""
    from helpers.data import load_dataset
    from helpers.models import create_model

    dev = torch.device("cpu")
    torch.manual_seed(0)
    model = create_model("resnet20")
    data = (
        _torchvision_cifar(Path(root), synthetic)
        if pipeline == "textbook"
        else load_dataset("cifar10", "train", root=root, val_size=0, download=False)
    )
    before = _rss_mib()
    (
        _textbook(model, data, steps, dev, workers)
        if pipeline == "textbook"
        else _engine(model, data, steps, dev, amp, False)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mib": peak - before, "worker_peak_rss_mib": workers_peak}


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_memory(
    pipeline: str, steps: int, root: Path, synthetic: bool, workers: int, amp: bool
) -> dict:
    import subprocess

    cmd = [
        sys.executable,
        "-m",
        "helpers.experiments.bench",
        "--memory-probe",
        pipeline,
        "--steps",
        str(steps),
        "--root",
        str(root),
        "--workers",
        str(workers),
        "--threads",
        str(torch.get_num_threads()),
    ]
    cmd += ["--synthetic"] if synthetic else []
    cmd += [] if amp else ["--no-amp"]
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


def _textbook(model, dataset, steps: int, device: torch.device, workers: int) -> float:
    """The usual tutorial loop; returns seconds for ``steps`` steps (iterator start included)."""
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=128,
        shuffle=True,
        num_workers=workers,
        drop_last=True,
        pin_memory=device.type == "cuda",
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    model.train()
    t = time.perf_counter()
    done = 0
    while done < steps:
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t


def _engine(
    model, data, steps: int, device: torch.device, amp: bool, channels_last: bool
) -> float:
    from helpers.train import TrainConfig, fit

    cfg = TrainConfig(
        iterations=steps,
        batch_size=128,
        lr=0.1,
        device=str(device),
        amp=amp,
        channels_last=channels_last,
        progress=False,
        log_every=max(1, steps),
        seed=0,
    )
    t = time.perf_counter()
    fit(model, data, cfg)
    return time.perf_counter() - t


def _ceiling(
    model, data, steps: int, device: torch.device, amp: bool, channels_last: bool
) -> float:
    """The pure-compute ceiling: ``train_step`` (the loop's own step, same precision and memory
    format) on one batch prepared in memory beforehand, so no data work at all is timed."""
    from helpers.core.precision import amp_dtype, grad_scaler
    from helpers.data import DeviceLoader
    from helpers.train import TrainConfig
    from helpers.train.loop import make_optimizer, train_step

    cfg = TrainConfig(
        iterations=steps,
        batch_size=128,
        device=str(device),
        amp=amp,
        channels_last=channels_last,
    )
    fmt = torch.channels_last if channels_last else torch.preserve_format
    model.to(device=device, memory_format=fmt).train()
    loader = DeviceLoader(data, 128, device=device, channels_last=channels_last)
    x, y = next(iter(loader))
    optimizer = make_optimizer(model, cfg, device)
    dtype = amp_dtype(device, amp)
    scaler = grad_scaler(device, dtype)
    t = time.perf_counter()
    for _ in range(steps):
        loss, _ = train_step(model, x, y, optimizer, scaler, dtype, None)
    float(loss)  # wait for the device
    return time.perf_counter() - t


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
    """Measure images/s of both pipelines; returns a JSON-able dict (see ``main``)."""
    from helpers.core.device import resolve_device
    from helpers.core.precision import amp_dtype, precision_name
    from helpers.core.versions import environment
    from helpers.data import DatasetError, load_dataset
    from helpers.models import create_model

    dev = resolve_device(device)
    workers = (2 if dev.type == "cpu" else 4) if workers is None else workers
    channels_last = (dev.type == "cuda") if channels_last is None else channels_last
    tmp = None
    try:
        root, synthetic = (
            Path(
                load_dataset("cifar10", "test", root=data_root, download=False).source
            ).parent,
            False,
        )
    except DatasetError:
        tmp = tempfile.TemporaryDirectory(prefix="resnet-book-bench-")
        root, synthetic = write_synthetic_cifar10(Path(tmp.name)), True
        log(
            f"CIFAR-10 not found: wrote a SYNTHETIC CIFAR-10 (random pixels, 5,000 images) to {root}"
        )
    tv_data = _torchvision_cifar(root, synthetic)
    data = load_dataset("cifar10", "train", root=root, val_size=0, download=False)

    def fresh():
        torch.manual_seed(0)
        return create_model("resnet20").to(dev)

    # warm-up both paths once (allocator, oneDNN kernels, worker start-up code paths)
    warm = min(2, steps)
    _textbook(fresh(), tv_data, warm, dev, workers)
    _engine(fresh(), data, warm, dev, amp, channels_last)
    _ceiling(fresh(), data, warm, dev, amp, channels_last)
    results: dict[str, list] = {"textbook": [], "engine": [], "ceiling": []}
    memory: dict[str, float] = {"textbook": 0.0, "engine": 0.0}
    for r in range(repeats):  # interleaved, so drifting machine load hits all alike
        for name in ("textbook", "engine", "ceiling"):
            model = fresh()
            with (
                _CudaPeak(dev)
                if dev.type == "cuda"
                else contextlib.nullcontext() as mem
            ):
                if name == "textbook":
                    sec = _textbook(model, tv_data, steps, dev, workers)
                elif name == "engine":
                    sec = _engine(model, data, steps, dev, amp, channels_last)
                else:
                    sec = _ceiling(model, data, steps, dev, amp, channels_last)
            if mem is not None and name in memory:
                memory[name] = max(memory[name], mem.delta_mib)
            results[name].append(steps * 128 / sec)
            log(f"repeat {r + 1}/{repeats} {name:8s} {steps * 128 / sec:8.1f} images/s")
    worker_rss = None
    if (
        dev.type == "cpu"
    ):  # peak RSS needs a fresh process per pipeline to mean anything
        probes = {
            k: _cpu_memory(k, min(steps, 5), root, synthetic, workers, amp)
            for k in memory
        }
        memory = {k: v["peak_mib"] for k, v in probes.items()}
        worker_rss = probes["textbook"]["worker_peak_rss_mib"]
    med = {k: statistics.median(v) for k, v in results.items()}
    out = {
        "device": str(dev),
        "steps": steps,
        "repeats": repeats,
        "batch_size": 128,
        "model": "resnet20",
        "synthetic_data": synthetic,
        "textbook_workers": workers,
        "engine_precision": precision_name(amp_dtype(dev, amp)),
        "engine_channels_last": channels_last,
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
    if tmp is not None:
        tmp.cleanup()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m helpers.bench", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--steps",
        type=int,
        default=20,
        help="optimizer steps per timed run (batch 128)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="interleaved runs per pipeline; the median counts",
    )
    p.add_argument(
        "--device", default=None, help="cpu | cuda (default: cuda if available)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="DataLoader workers of the textbook pipeline",
    )
    p.add_argument(
        "--no-amp", action="store_true", help="engine in fp32 (no bf16/fp16 autocast)"
    )
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument(
        "--json", default=None, help="also write the results to this JSON file"
    )
    p.add_argument(
        "--memory-probe", choices=["textbook", "engine"], help=argparse.SUPPRESS
    )
    p.add_argument("--root", help=argparse.SUPPRESS)
    p.add_argument("--synthetic", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_probe:
        print(
            json.dumps(
                _memory_probe(
                    args.memory_probe,
                    args.steps,
                    args.root,
                    args.synthetic,
                    args.workers or 0,
                    not args.no_amp,
                )
            )
        )
        return 0
    out = run_bench(
        args.steps, args.repeats, args.device, args.workers, amp=not args.no_amp
    )
    med = out["median_images_per_s"]
    print(
        f"device {out['device']} · {out['environment']['cpu']} · {torch.get_num_threads()} threads · "
        f"load average {out['load_average'][0]:.1f}"
    )
    print(
        f"textbook (torchvision + DataLoader, {out['textbook_workers']} workers, fp32): {med['textbook']:.1f} images/s"
    )
    print(
        f"engine   (helpers.train.fit, {out['engine_precision']}):  {med['engine']:.1f} images/s"
    )
    print(
        f"ceiling  (train_step on an in-memory batch):  {med['ceiling']:.1f} images/s"
    )
    print(
        f"ratio engine/textbook: {out['ratio']:.2f}x  (median of {out['repeats']} interleaved runs, {out['steps']} steps each)"
    )
    print(
        f"engine throughput as a fraction of the compute ceiling: {out['fraction_of_ceiling']:.2f}"
    )
    print(f"peak memory MiB: {out['peak_memory_mib']}  ({out['memory_kind']})")
    if out["textbook_worker_peak_rss_mib"] is not None:
        print(
            f"  textbook DataLoader worker peak RSS: {out['textbook_worker_peak_rss_mib']:.0f} MiB each"
        )
    if out["synthetic_data"]:
        print(
            "data: SYNTHETIC CIFAR-10 (random pixels) in torchvision's format — throughput only, no accuracy"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
