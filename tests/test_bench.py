"""python -m helpers.bench: the measuring (helpers.experiments.bench) in a tiny configuration,
the synthetic CIFAR-10 format, and a command line that rejects bad input in one line."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import ROOT

from helpers import bench as cli
from helpers.data import load_dataset
from helpers.experiments.bench import run_bench, write_synthetic_cifar10


def test_synthetic_cifar_is_readable_by_both_loaders(tmp_path: Path) -> None:
    root = write_synthetic_cifar10(tmp_path, n_train=50, n_test=20)
    ds = load_dataset("cifar10", "train", root=root, val_size=0, download=False)
    assert ds.images.shape == (50, 3, 32, 32)
    with open(root / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        assert pickle.load(f, encoding="latin1")["data"].shape == (
            10,
            3072,
        )  # torchvision's decoding


def test_bench_smoke(tmp_path: Path, monkeypatch) -> None:
    import helpers.train.loop as loop

    steps_run = []
    real_step = loop.train_step

    def counting_step(*args, **kwargs):
        steps_run.append(args[0])
        return real_step(*args, **kwargs)

    monkeypatch.setattr(loop, "train_step", counting_step)
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RESNET_BOOK_DATA", raising=False)
    torch.set_num_threads(1)
    logged: list[str] = []
    out = run_bench(steps=2, repeats=1, device="cpu", workers=0, log=logged.append)
    assert any("SYNTHETIC" in line for line in logged)
    assert set(out["median_images_per_s"]) == {"textbook", "engine", "ceiling"}
    assert all(len(v) == 1 and v[0] > 0 for v in out["images_per_s"].values())
    # engine and ceiling both run the loop's own train_step: warm-up (2 + 2) and timed (2 + 2)
    assert len(steps_run) == 8
    assert out["engine_precision"] in ("fp32", "bf16 autocast")
    assert out["model"] == "resnet20" and out["steps"] == 2 and out["batch_size"] == 128
    assert out["synthetic_data"] and set(out["peak_memory_mib"]) == {
        "textbook",
        "engine",
    }
    printed = "\n".join(cli.report(out))
    assert f"ratio engine/textbook: {out['ratio']:.2f}x" in printed
    assert (
        f"fraction of the compute ceiling: {out['fraction_of_ceiling']:.2f}" in printed
    )
    assert "SYNTHETIC" in printed


def fake_result() -> dict:
    """A run_bench result without measuring anything (for the command line's tests)."""
    return {
        "device": "cpu",
        "steps": 3,
        "repeats": 1,
        "batch_size": 128,
        "textbook_workers": 0,
        "engine_precision": "fp32",
        "median_images_per_s": {"textbook": 100.0, "engine": 300.0, "ceiling": 400.0},
        "ratio": 3.0,
        "fraction_of_ceiling": 0.75,
        "peak_memory_mib": {"textbook": 1.0, "engine": 2.0},
        "textbook_worker_peak_rss_mib": None,
        "memory_kind": "test",
        "synthetic_data": False,
        "load_average": (0.5, 0.5, 0.5),
        "environment": {"cpu": "test CPU", "threads": 1},
    }


def test_main_passes_the_arguments_prints_and_writes_json(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    calls = []

    def fake_run_bench(*args, **kwargs):
        calls.append((args, kwargs))
        return fake_result()

    monkeypatch.setattr(cli, "run_bench", fake_run_bench)
    out_json = tmp_path / "bench.json"
    argv = ["--steps", "3", "--repeats", "1", "--device", "cpu", "--workers", "0"]
    assert cli.main([*argv, "--no-amp", "--json", str(out_json)]) == 0
    assert calls == [((3, 1, "cpu", 0), {"amp": False})]
    printed = capsys.readouterr().out
    assert "ratio engine/textbook: 3.00x" in printed and "SYNTHETIC" not in printed
    assert json.loads(out_json.read_text())["fraction_of_ceiling"] == 0.75


@pytest.mark.parametrize(
    "argv, names",
    [
        (["--steps", "0"], "--steps"),
        (["--steps", "x"], "--steps"),
        (["--steps", "2.5"], "--steps"),
        (["--repeats", "-1"], "--repeats"),
        (["--workers", "-1"], "--workers"),
        (["--threads", "0"], "--threads"),
        (["--device", "tpu"], "--device"),
        (["--device", "cuda:x"], "--device"),
        (["--json", "/no/such/folder/out.json"], "--json"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(argv, names, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run_bench", lambda *a, **k: pytest.fail("measured"))
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m helpers.bench: error:")
    assert names in lines[0]


def test_cuda_without_a_gpu_is_refused_up_front(capsys, monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as info:
        cli.main(["--device", "cuda"])
    assert info.value.code == 2
    assert "no CUDA device here" in capsys.readouterr().err


def test_command_line_answers_bad_input_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helpers.bench", "--steps", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "python -m helpers.bench: error: argument --steps: must be >= 1, got 0 (see --help)"
    ]


def test_run_bench_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="steps must be a whole number >= 1"):
        run_bench(steps=0)
    with pytest.raises(ValueError, match="workers must be"):
        run_bench(workers=-2)


def test_cpu_options_measure_each_option_with_its_precision() -> None:
    from helpers.experiments.bench_cpu import CPU_OPTIONS, cpu_option_rows

    rows = list(
        cpu_option_rows(nets=(("resnet20", 4),), options=CPU_OPTIONS[:2], steps=2)
    )
    assert [r["option"] for r in rows] == ["fp32", "fp32 + channels_last"]
    assert all(r["precision"] == "fp32" and r["images_per_s"] > 0 for r in rows)
