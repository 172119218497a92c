"""The three pipelines that ``python -m helpers.bench`` times, and the data they read.

* textbook: torchvision ``datasets.CIFAR10`` + ``Compose([RandomCrop(32, padding=4),
  RandomHorizontalFlip(), ToTensor(), Normalize(...)])`` + ``DataLoader`` + a plain fp32 loop;
* engine: ``helpers.train.fit``;
* ceiling: the loop's own ``train_step`` on one batch already in memory.

Each returns the seconds its ``steps`` optimizer steps took, at the paper's CIFAR-10 batch of
128 (He et al. 2016, Sec. 4.2). :func:`write_synthetic_cifar10` writes random-pixel CIFAR-10
files that both torchvision and :mod:`helpers.data` read, for machines without CIFAR-10.
"""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "BATCH",
    "write_synthetic_cifar10",
    "torchvision_cifar",
    "textbook",
    "engine",
    "ceiling",
]

BATCH = 128  # the paper's CIFAR-10 mini-batch (Sec. 4.2)


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


def torchvision_cifar(root: Path, synthetic: bool):
    """torchvision's CIFAR-10 training set with the textbook augmentation; for synthetic
    files, without the MD5 checks of the real ones."""
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


def textbook(model, dataset, steps: int, device: torch.device, workers: int) -> float:
    """The usual tutorial loop; returns seconds for ``steps`` steps (iterator start included)."""
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=BATCH,
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


def engine(
    model, data, steps: int, device: torch.device, amp: bool, channels_last: bool
) -> float:
    """``helpers.train.fit`` for ``steps`` steps; returns seconds (set-up included)."""
    from helpers.train import TrainConfig, fit

    cfg = TrainConfig(
        iterations=steps,
        batch_size=BATCH,
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


def ceiling(
    model, data, steps: int, device: torch.device, amp: bool, channels_last: bool
) -> float:
    """The pure-compute ceiling: ``train_step`` (the loop's own step, same precision and memory
    format) on one batch prepared in memory beforehand, so no data work at all is timed."""
    from helpers.core.precision import amp_dtype, grad_scaler
    from helpers.data import DeviceLoader
    from helpers.train import TrainConfig
    from helpers.train.loop import train_step
    from helpers.train.state import make_optimizer

    cfg = TrainConfig(
        iterations=steps,
        batch_size=BATCH,
        device=str(device),
        amp=amp,
        channels_last=channels_last,
    )
    fmt = torch.channels_last if channels_last else torch.preserve_format
    model.to(device=device, memory_format=fmt).train()
    loader = DeviceLoader(data, BATCH, device=device, channels_last=channels_last)
    x, y = next(iter(loader))
    optimizer = make_optimizer(model, cfg, device)
    dtype = amp_dtype(device, amp)
    scaler = grad_scaler(device, dtype)
    t = time.perf_counter()
    for _ in range(steps):
        loss, _ = train_step(model, x, y, optimizer, scaler, dtype, None)
    float(loss)  # wait for the device
    return time.perf_counter() - t
