"""python -m helpers.bench in a tiny configuration: output structure, synthetic CIFAR-10 format."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from helpers.data import load_dataset
from helpers.experiments.bench import main, write_synthetic_cifar10


def test_synthetic_cifar_is_readable_by_both_loaders(tmp_path: Path) -> None:
    root = write_synthetic_cifar10(tmp_path, n_train=50, n_test=20)
    ds = load_dataset("cifar10", "train", root=root, val_size=0, download=False)
    assert ds.images.shape == (50, 3, 32, 32)
    with open(root / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        assert pickle.load(f, encoding="latin1")["data"].shape == (
            10,
            3072,
        )  # torchvision's decoding


def test_bench_smoke(tmp_path: Path, capsys, monkeypatch) -> None:
    import helpers.train.loop as loop

    steps_run = []
    real_step = loop.train_step

    def counting_step(*args, **kwargs):
        steps_run.append(args[0])
        return real_step(*args, **kwargs)

    monkeypatch.setattr(loop, "train_step", counting_step)
    torch.set_num_threads(1)
    out_json = tmp_path / "bench.json"
    assert (
        main(
            [
                "--steps",
                "2",
                "--repeats",
                "1",
                "--device",
                "cpu",
                "--workers",
                "0",
                "--threads",
                "1",
                "--json",
                str(out_json),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed
    out = json.loads(out_json.read_text())
    assert set(out["median_images_per_s"]) == {"textbook", "engine", "ceiling"}
    assert f"ratio engine/textbook: {out['ratio']:.2f}x" in printed
    assert (
        f"fraction of the compute ceiling: {out['fraction_of_ceiling']:.2f}" in printed
    )
    assert all(len(v) == 1 and v[0] > 0 for v in out["images_per_s"].values())
    # engine and ceiling both run the loop's own train_step: warm-up (2 + 2) and timed (2 + 2)
    assert len(steps_run) == 8
    assert out["engine_precision"] in ("fp32", "bf16 autocast")
    assert out["model"] == "resnet20" and out["steps"] == 2 and out["batch_size"] == 128
