"""python -m helpers.bench in a tiny configuration: output structure, synthetic CIFAR-10 format."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from helpers.bench import main, write_synthetic_cifar10
from helpers.data import load_dataset


def test_synthetic_cifar_is_readable_by_both_loaders(tmp_path: Path) -> None:
    root = write_synthetic_cifar10(tmp_path, n_train=50, n_test=20)
    ds = load_dataset("cifar10", "train", root=root, val_size=0, download=False)
    assert ds.images.shape == (50, 3, 32, 32)
    with open(root / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        assert pickle.load(f, encoding="latin1")["data"].shape == (10, 3072)  # torchvision's decoding


def test_bench_smoke(tmp_path: Path, capsys) -> None:
    torch.set_num_threads(1)
    out_json = tmp_path / "bench.json"
    assert main(["--steps", "1", "--repeats", "1", "--device", "cpu", "--workers", "0",
                 "--threads", "1", "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed or "synthetic" in printed.lower()
    assert "ratio engine/textbook" in printed
    out = json.loads(out_json.read_text())
    assert set(out["median_images_per_s"]) == {"textbook", "engine"}
    assert len(out["images_per_s"]["engine"]) == 1 and out["ratio"] > 0
    assert out["peak_memory_mib"]["engine"] >= 0 and out["batch_size"] == 128
    assert out["model"] == "resnet20" and out["steps"] == 1
    assert out["ratio"] == out["median_images_per_s"]["engine"] / out["median_images_per_s"]["textbook"]
