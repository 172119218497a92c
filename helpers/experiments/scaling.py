"""One process or N: the same ``fit`` launched alone and by ``torchrun``, compared.

:func:`compare` launches a :class:`ScalingRun` as a plain process and as N processes
(``python -m torch.distributed.run --standalone --nproc-per-node N -m
helpers.experiments.scaling SPEC OUT``: this module is also the worker each process
runs) and returns both runs' per-step losses, their throughput (whole job and per
process) and the scaling efficiency: the N-process throughput over N times the
one-process throughput at the same threads per process (1.0 = perfect). With
``allreduce_steps`` each run also times training steps with and without DDP's gradient
all-reduce. The book's chapter 5 plots the losses; ``python -m helpers.bench_dist``
prints the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from helpers.core import dist
from helpers.core.paths import REPO_ROOT
from helpers.core.precision import amp_dtype, prefer_channels_last
from helpers.data import Dataset, load_dataset
from helpers.models import create_model
from helpers.train import TrainConfig, fit

__all__ = ["ScalingRun", "run_rank", "launch", "compare", "synthetic_cifar"]


@dataclass(frozen=True)
class ScalingRun:
    """One training run of a CIFAR-style ResNet (the paper's Sec. 4.2 family)."""

    dataset: str = "fashion-mnist"  # or "synthetic" (random 3x32x32 pixels: speed only)
    subset: int = 1024  # training images
    depth: int = 20
    width: int = 8
    batch_size: int = 64  # global, over all processes
    epochs: int = 2
    lr: float = 0.05
    sync_bn: bool = False
    threads: int = 1  # torch threads per process
    amp: bool = True  # bf16 autocast where the CPU has it
    seed: int = 0
    allreduce_steps: int = 0  # after training, time this many steps with / without sync


def synthetic_cifar(n: int, seed: int = 0) -> Dataset:
    """``n`` random CIFAR-10-shaped uint8 images with labels 0-9 (throughput only)."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    labels = torch.arange(n) % 10
    classes = [str(i) for i in range(10)]
    return Dataset(
        images, labels, classes, (0.5,) * 3, (0.25,) * 3, "synthetic", "train", "memory"
    )


def _data(run: ScalingRun) -> Dataset:
    if run.dataset == "synthetic":
        return synthetic_cifar(run.subset, run.seed)
    return load_dataset(
        run.dataset, "train", subset=run.subset, val_size=0, seed=run.seed
    )


def run_rank(run: ScalingRun) -> dict[str, Any]:
    """What every process of the job does: ``fit`` unchanged, then (optionally) the
    all-reduce timing. Returns the numbers rank 0 writes."""
    torch.set_num_threads(run.threads)
    data = _data(run)
    torch.manual_seed(run.seed)
    model = create_model(
        "resnet_cifar",
        depth=run.depth,
        width=run.width,
        in_channels=data.in_channels,
        num_classes=data.num_classes,
    )
    config = TrainConfig(
        epochs=run.epochs,
        batch_size=run.batch_size,
        lr=run.lr,
        log_every=1,
        progress=False,
        device="cpu",
        amp=run.amp,
        sync_bn=run.sync_bn,
        seed=run.seed,
        eval_every=0,
    )
    history = fit(model, data, config)
    out = {
        "run": asdict(run),
        "world_size": dist.current().world_size,
        "losses": [s["loss"] for s in history.steps],
        "images_per_s": history.images_per_s,
        "images_per_s_per_rank": history.meta["images_per_s_per_rank"],
        "train_time_s": history.meta["train_time_s"],
        "device": history.device,
    }
    if run.allreduce_steps:
        out["allreduce"] = time_allreduce(model, data, config, run.allreduce_steps)
    return out


def time_allreduce(model, data: Dataset, config: TrainConfig, steps: int) -> dict:
    """Median step time with DDP's gradient all-reduce and without it (``no_sync``),
    and a bare all-reduce of a buffer as large as the gradients; milliseconds."""
    from helpers.train.distributed import setup, wrap
    from helpers.train.loop import train_step
    from helpers.train.state import make_optimizer

    parallel = setup(config)
    forward = wrap(model, parallel, sync_bn=False)
    optimizer = make_optimizer(model, config, parallel.device)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    dtype = amp_dtype(parallel.device, config.amp)
    x = data.images[: parallel.per_rank_batch].float().div_(255)
    if prefer_channels_last(parallel.device, dtype):
        x = x.contiguous(memory_format=torch.channels_last)
    y = data.labels[: parallel.per_rank_batch]

    def timed(sync: bool) -> float:
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            skip = not sync and parallel.distributed
            ctx = forward.no_sync() if skip else contextlib.nullcontext()
            with ctx:
                train_step(forward, x, y, optimizer, scaler, dtype, None)
            times.append(time.perf_counter() - t0)
        return 1000 * statistics.median(times)

    timed(True)  # warm-up
    with_sync, without = timed(True), timed(False)
    grads = torch.zeros(sum(p.numel() for p in model.parameters()))
    bare = []
    for _ in range(steps):
        t0 = time.perf_counter()
        dist.all_reduce_sum(grads)
        bare.append(time.perf_counter() - t0)
    return {
        "step_ms": with_sync,
        "step_no_sync_ms": without,
        "allreduce_in_step_ms": with_sync - without,
        "bare_allreduce_ms": 1000 * statistics.median(bare),
        "gradient_mib": grads.numel() * 4 / 2**20,
    }


def launch(run: ScalingRun, nproc: int, timeout: float = 600) -> dict[str, Any]:
    """Run ``run`` as one plain process (``nproc=1``) or ``nproc`` torchrun processes on
    this machine; returns rank 0's numbers."""
    with tempfile.TemporaryDirectory(prefix="resnet-book-scaling-") as tmp:
        spec, out = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec.write_text(json.dumps(asdict(run)))
        module = ["-m", "helpers.experiments.scaling", str(spec), str(out)]
        runner = [
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={nproc}",
        ]
        cmd = [sys.executable, *(runner if nproc > 1 else []), *module]
        env = {**os.environ, "OMP_NUM_THREADS": str(run.threads)}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )  # the workers import this same helpers
        done = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}"
            )
        return json.loads(out.read_text())


def compare(run: ScalingRun, nproc: int = 2, **changes: Any) -> dict[str, Any]:
    """``run`` on one process and on ``nproc`` (with ``changes``, e.g. sync_bn=True),
    and the scaling efficiency (same threads per process in both)."""
    one = launch(run, 1)
    many = launch(replace(run, **changes), nproc)
    efficiency = many["images_per_s"] / (nproc * one["images_per_s"])
    return {"one": one, "many": many, "nproc": nproc, "efficiency": efficiency}


def _main(spec: str, out: str) -> None:
    result = run_rank(ScalingRun(**json.loads(Path(spec).read_text())))
    if dist.is_main():
        Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    _main(*sys.argv[1:3])
