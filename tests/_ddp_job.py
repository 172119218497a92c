"""What tests/test_distributed.py launches with torchrun: ``python -m torch.distributed.run
--nproc-per-node 2 tests/_ddp_job.py SPEC.json``. Every process runs ``fit`` unchanged;
rank 0 writes what the test compares (losses per step, weights). SPEC keys:

* ``runs``: [{"name", "data", "config": {...TrainConfig overrides}, "resume",
  "kill_at_step", "nan_at_step"}], trained one after the other (on_nan="stop"); ``data`` is {"kind": "fmnist", "root",
  "subset"} or {"kind": "jpeg", "root", "crop"};
* ``bad``: a data spec: then the bad launches are tried, each caught and its message
  written to ``bad.json`` (every rank must raise; none may hang);
* ``out``: folder for ``<name>.json`` and ``<name>.pt``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import torch

from helpers.core import dist
from helpers.data import load_dataset
from helpers.models import create_model
from helpers.train import TrainConfig, distributed, fit, loop


def load(data: dict):
    """The training data and a fresh model for it (the same seed on every process)."""
    if data["kind"] == "fmnist":
        with dist.main_first():
            train = load_dataset(
                "fashion-mnist",
                "train",
                root=data["root"],
                subset=data["subset"],
                val_size=0,
                download=False,
            )
        torch.manual_seed(0)
        return train, create_model("resnet_cifar", depth=8, width=4, in_channels=1)
    from helpers.data.imagefolder import load_image_folder
    from helpers.data.transforms import Recipe

    crop = data["crop"]
    recipe = Recipe(scale=(crop + 8, crop + 24), crop=crop, resize=crop + 8)
    train = load_image_folder(data["root"], "train", recipe)
    torch.manual_seed(0)
    model = create_model(
        "resnet_cifar", depth=8, width=4, num_classes=train.num_classes
    )
    return train, model


def config(overrides: dict) -> TrainConfig:
    base = dict(
        batch_size=64,
        lr=0.05,
        schedule="constant",
        log_every=1,
        progress=False,
        device="cpu",
        amp=False,
        workers=0,
    )
    return TrainConfig(**{**base, **overrides})


def kill_at(step: int) -> None:
    """Rank 1 dies (SIGKILL, no goodbye) when the loop asks for step ``step``'s lr."""
    real = loop.lr_at

    def lr_at(s, cfg, total):
        if s == step and dist.current().rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(s, cfg, total)

    loop.lr_at = lr_at


def nan_on_rank1(model: torch.nn.Module, step: int) -> None:
    """From training step ``step`` (1-based) on, rank 1's outputs are NaN; rank 0's own
    loss at that step is still finite."""
    if dist.current().rank != 1:
        return
    calls = {"n": 0}

    def hook(module, inputs, output):
        if not module.training:
            return output
        calls["n"] += 1
        return output * float("nan") if calls["n"] >= step else output

    model.register_forward_hook(hook)


def train(spec: dict) -> None:
    out = Path(spec["out"])
    for run in spec.get("runs", []):
        data, model = load(run["data"])
        if run.get("kill_at_step") is not None:
            kill_at(run["kill_at_step"])
        if run.get("nan_at_step") is not None:
            nan_on_rank1(model, run["nan_at_step"])
        history = fit(
            model,
            data,
            config(run["config"]),
            resume=run.get("resume", False),
            on_nan="stop",
        )
        if dist.is_main():
            torch.save(model.state_dict(), out / f"{run['name']}.pt")
            record = {
                "steps": history.steps,
                "epochs": history.epochs,
                "meta": history.meta,
                "diverged": history.diverged,
            }
            (out / f"{run['name']}.json").write_text(json.dumps(record))


def _one_gpu(call):
    """``call()`` on a pretended machine with one GPU (nothing reaches CUDA: the launch
    check comes first)."""
    saved = torch.cuda.is_available, torch.cuda.device_count
    torch.cuda.is_available, torch.cuda.device_count = (lambda: True), (lambda: 1)
    try:
        return call()
    finally:
        torch.cuda.is_available, torch.cuda.device_count = saved


def bad(spec: dict) -> None:
    """Each bad launch, caught on every rank; rank 0 writes the messages."""
    data, model = load(spec["bad"])
    rank = dist.current().rank
    cases = {
        "batch": lambda: fit(model, data, config({"batch_size": 63})),
        "config": lambda: fit(model, data, config({"lr": 0.05 + 0.01 * rank})),
        "code": lambda: fit(model, data, config({})),
        "cuda": lambda: fit(model, data, config({"device": "cuda"})),
        "nccl": lambda: _one_gpu(lambda: fit(model, data, config({"device": "cuda"}))),
    }
    real_hash = distributed.source_hash
    messages = {}
    for name, case in cases.items():
        distributed.source_hash = (
            (lambda: "edited on rank 1") if name == "code" and rank == 1 else real_hash
        )
        try:
            case()
            messages[name] = None
        except dist.LaunchError as e:
            messages[name] = str(e)
    if rank == 0:
        Path(spec["out"], "bad.json").write_text(json.dumps(messages))


if __name__ == "__main__":
    torch.set_num_threads(1)
    spec = json.loads(Path(sys.argv[1]).read_text())
    train(spec)
    if spec.get("bad"):
        bad(spec)
