"""fit under torchrun, tested on this machine's CPUs: 2 processes with Gloo, 1 thread each.

Three launches of ``tests/_ddp_job.py`` (``python -m torch.distributed.run --standalone
--nproc-per-node 2``), compared with one-process runs of the same ``fit`` in this process:

* a 2-rank x 32 run equals the 1-rank x 64 run with SyncBatchNorm, on a Fashion-MNIST
  subset (device loader) and on generated JPEGs (streaming loader). Tolerance, fp32:
  the first two steps within 1e-6 (one step of float32 rounding: the per-rank means, the
  gradient average and the batch-norm sums are added in another order), every later
  step within 1e-3. Why that much: training amplifies rounding. Measured on this
  problem, a one-process run whose initial weights are perturbed by 1e-7 (one float32
  ulp) drifts from the unperturbed one by up to 2e-4 in 16 steps, exactly as far as the
  2-process run does; 1e-3 is 5x that, and 1000x below the loss changes that a real
  difference (e.g. per-rank batch norm, below) makes;
* without SyncBatchNorm each rank normalises with its own 32 images (the paper's
  per-GPU statistics), so the losses differ from the first step on but stay close;
* a job killed (SIGKILL, rank 1) in the middle of epoch 2 and launched again resumes
  from rank 0's epoch-1 checkpoint and ends bitwise equal to the uninterrupted job;
* one rank's NaN loss stops every rank at the same step;
* each bad launch gets its error, on every rank, before training.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from _ddp_job import config, load
from conftest import make_fake_fmnist

from helpers.experiments.bench_dist import write_jpeg_folder
from helpers.train import fit

ROOT = Path(__file__).resolve().parent.parent
DEBIAN = Path("/usr/share/datasets/fashion-mnist")
SUBSET = 512  # 8 steps of 64 per epoch


def torchrun(spec: dict, tmp: Path, name: str) -> subprocess.CompletedProcess:
    """Launch tests/_ddp_job.py on 2 local processes (1 thread each) with ``spec``."""
    path = tmp / f"{name}.spec.json"
    path.write_text(json.dumps(spec))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    cmd += ["--nproc-per-node", "2", str(ROOT / "tests" / "_ddp_job.py"), str(path)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("ddp-data")
    root = DEBIAN if DEBIAN.is_dir() else make_fake_fmnist(tmp / "fm", 2000, 10)
    jpegs = write_jpeg_folder(tmp / "jpegs", classes=3, per_class=32, size=(40, 52))
    return {
        "fmnist": {"kind": "fmnist", "root": str(root), "subset": SUBSET},
        "jpeg": {"kind": "jpeg", "root": str(jpegs), "crop": 32},
    }


def plain(checkpoint: Path) -> dict:
    return {"epochs": 3, "checkpoint_path": str(checkpoint)}


@pytest.fixture(scope="module")
def job(tmp_path_factory, data) -> Path:
    """The main launch: the runs the tests compare, then the bad launches."""
    out = tmp_path_factory.mktemp("ddp-job")
    spec = {
        "out": str(out),
        "runs": [
            {"name": "plain", "data": data["fmnist"], "config": plain(out / "a.pt")},
            {
                "name": "sync",
                "data": data["fmnist"],
                "config": {"epochs": 2, "sync_bn": True},
            },
            {
                "name": "jpeg",
                "data": data["jpeg"],
                "config": {"epochs": 2, "sync_bn": True, "batch_size": 32},
            },
        ],
        "bad": data["fmnist"],
    }
    spec["runs"].append(
        {
            "name": "nan",
            "data": data["fmnist"],
            "config": {"epochs": 1},
            "nan_at_step": 3,
        }
    )
    done = torchrun(spec, out, "main")
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def one_process(data: dict, **overrides) -> list[float]:
    """The same run as one process, in this one (world size 1)."""
    train, model = load(data)
    history = fit(model, train, config(overrides))
    return [s["loss"] for s in history.steps]


def losses(out: Path, name: str) -> list[float]:
    return [s["loss"] for s in json.loads((out / f"{name}.json").read_text())["steps"]]


def assert_float_equal(two: list[float], one: list[float]) -> None:
    assert len(two) == len(one)
    diff = [abs(a - b) for a, b in zip(two, one, strict=True)]
    assert max(diff[:2]) <= 1e-6, diff[:2]
    assert max(diff) <= 1e-3, diff


@pytest.fixture(scope="module")
def reference(data) -> list[float]:
    """One process x 64 images, 3 epochs at a constant lr (its first 16 steps are the
    2-epoch run's)."""
    return one_process(data["fmnist"], epochs=3)


def test_two_ranks_with_syncbn_equal_one_rank(job, reference) -> None:
    assert_float_equal(losses(job, "sync"), reference[:16])


def test_without_syncbn_each_rank_normalises_its_own_32_images(job, reference) -> None:
    two = losses(job, "plain")
    diff = [abs(a - b) for a, b in zip(two, reference, strict=True)]
    assert diff[0] > 1e-4, "per-rank batch statistics change the very first loss"
    assert max(diff) < 0.1, "... but the run stays close to the one-process run"


def test_streaming_loader_two_ranks_equal_one_rank(job, data) -> None:
    one = one_process(data["jpeg"], epochs=2, sync_bn=True, batch_size=32)
    assert_float_equal(losses(job, "jpeg"), one)


def test_one_ranks_nan_stops_both_at_that_step(job) -> None:
    """Rank 1's loss turns NaN at step 3 (rank 0's is finite there): the averaged loss
    is NaN on both, both stop at step 3 (the job ended: nobody was left waiting)."""
    record = json.loads((job / "nan.json").read_text())
    assert (
        record["diverged"]["step"] == 3 and record["diverged"]["weights_from_step"] == 2
    )


def test_throughput_whole_job_and_per_rank(job) -> None:
    meta = json.loads((job / "plain.json").read_text())["meta"]
    assert meta["world_size"] == 2 and meta["per_rank_batch"] == 32
    assert len(meta["images_per_s_per_rank"]) == 2
    assert all(r > 0 for r in meta["images_per_s_per_rank"])


def test_each_bad_launch_gets_its_error(job) -> None:
    messages = json.loads((job / "bad.json").read_text())
    expected = {
        "batch": "cannot be split evenly over 2 processes",
        "config": "different config: rank 0 has {'lr': 0.05}, rank 1 has",
        "code": "different code",
        "cuda": "this machine has no GPU",
        "nccl": "2 processes on this node but only 1 GPU(s)",
    }
    for case, text in expected.items():
        assert messages[case] is not None and text in messages[case], (case, messages)


def test_killed_job_resumes_to_the_uninterrupted_weights(job, data, tmp_path) -> None:
    """Rank 1 is killed at step 12 (epoch 2 of 3, 8 steps each); torchrun stops rank 0;
    the relaunch resumes from rank 0's checkpoint of epoch 1 on both ranks."""
    ckpt = tmp_path / "b.pt"
    run = {"name": "killed", "data": data["fmnist"], "config": plain(ckpt)}
    killed = torchrun(
        {"out": str(tmp_path), "runs": [{**run, "kill_at_step": 12}]}, tmp_path, "k"
    )
    assert killed.returncode != 0 and not (tmp_path / "killed.pt").exists()
    saved = torch.load(ckpt, weights_only=True)
    assert (saved["step"], saved["epoch"]) == (8, 1)
    resumed = {**run, "name": "resumed", "resume": True}
    done = torchrun({"out": str(tmp_path), "runs": [resumed]}, tmp_path, "r")
    assert done.returncode == 0, done.stderr[-3000:]
    full = torch.load(job / "plain.pt")
    again = torch.load(tmp_path / "resumed.pt")
    assert all(torch.equal(full[k], again[k]) for k in full)
    assert losses(tmp_path, "resumed") == losses(job, "plain")
