"""The pieces of data-parallel training that need no second process: the launch read from
torchrun's environment and checked against the machine, the global batch and its shares,
the linear scaling rule, SyncBatchNorm outside a job, rank-0-only checkpoints. The
2-process runs are tests/test_distributed.py; CUDA/NCCL paths are checked by their error
checks here (this machine has no GPU) and run for real only on one."""

from __future__ import annotations

import json
import math

import pytest
import torch
from _train_toys import cfg, make_net, toy_data
from torch import nn

from helpers.core import dist
from helpers.data import DeviceLoader
from helpers.train import TrainConfig, fit, lr_at
from helpers.train.checkpoint import Checkpointer, model_signature
from helpers.train.schedule import peak_lr
from helpers.train.syncbn import SyncBatchNorm2d, convert_sync_batchnorm

torch.set_num_threads(1)


def test_no_torchrun_means_one_process() -> None:
    assert dist.launch_from_env({}) == dist.Launch(0, 1, 0, 1)
    assert not dist.launch_from_env({}).distributed
    assert dist.init() == dist.Launch() and dist.is_main()


def test_the_launch_is_read_from_torchruns_environment() -> None:
    env = {"RANK": "5", "WORLD_SIZE": "16", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "8"}
    launch = dist.launch_from_env(env)
    assert launch == dist.Launch(5, 16, 1, 8)
    assert launch.distributed and not launch.is_main


@pytest.mark.parametrize(
    "env, message",
    [
        ({"RANK": "x", "WORLD_SIZE": "2"}, "RANK='x' is not a whole number"),
        ({"RANK": "2", "WORLD_SIZE": "2"}, "outside 0..WORLD_SIZE-1"),
        ({"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "3"}, "LOCAL_RANK=3"),
    ],
)
def test_a_garbled_environment_is_a_launch_error(env, message) -> None:
    with pytest.raises(dist.LaunchError, match=message):
        dist.launch_from_env(env)


def test_backend_nccl_on_cuda_gloo_on_cpu_overridable(monkeypatch) -> None:
    monkeypatch.delenv(dist.BACKEND_ENV, raising=False)
    assert dist.choose_backend("cuda") == "cpu:gloo,cuda:nccl"
    assert dist.choose_backend("cpu") == "gloo"
    assert dist.choose_backend("cuda", "gloo") == "gloo"
    monkeypatch.setenv(dist.BACKEND_ENV, "nccl")
    assert dist.choose_backend("cpu") == "nccl"
    with pytest.raises(dist.LaunchError, match="unknown process-group backend"):
        dist.choose_backend("cpu", "mpi")


def test_bad_launches_for_this_machine() -> None:
    eight = dist.Launch(0, 8, 0, 8)
    with pytest.raises(dist.LaunchError, match="no GPU"):
        dist.check_launch(eight, "gloo", "cuda", gpu_count=0)
    with pytest.raises(dist.LaunchError, match="no GPU"):
        dist.check_launch(eight, "nccl", "cpu", gpu_count=0)
    with pytest.raises(dist.LaunchError, match="8 processes on this node but only 4"):
        dist.check_launch(eight, "cpu:gloo,cuda:nccl", "cuda", gpu_count=4)
    with pytest.raises(dist.LaunchError, match="NCCL reduces CUDA tensors only"):
        dist.check_launch(eight, "nccl", "cpu", gpu_count=8)
    dist.check_launch(eight, "cpu:gloo,cuda:nccl", "cuda", gpu_count=8)
    dist.check_launch(eight, "gloo", "cpu", gpu_count=0)


def test_the_batch_is_global_and_split_evenly() -> None:
    assert dist.per_rank_batch(256, 8) == 32  # the paper: 8 GPUs x 32
    with pytest.raises(dist.LaunchError, match=r"multiple of 8 \(e.g. 248 or 256\)"):
        dist.per_rank_batch(250, 8)


def test_shards_of_the_device_loader_make_up_the_global_batch() -> None:
    data = toy_data(100)
    one = DeviceLoader(data, 32, seed=3)
    shards = [DeviceLoader(data, 32, seed=3, rank=r, world_size=2) for r in (0, 1)]
    assert len(one) == len(shards[0]) == 3
    for (x, y), (x0, y0), (x1, y1) in zip(one, *shards, strict=True):
        assert x0.shape[0] == x1.shape[0] == 16
        assert torch.equal(torch.cat([x0, x1]), x) and torch.equal(
            torch.cat([y0, y1]), y
        )
    with pytest.raises(ValueError, match="equal share"):
        DeviceLoader(data, 33, rank=0, world_size=2)


def test_linear_scaling_rule_only_when_asked() -> None:
    """Goyal et al. 2017: batch 8192 -> lr 0.1 x 32 = 3.2, reached linearly from 0.1."""
    plain = TrainConfig(epochs=1, batch_size=8192, lr=0.1)
    assert peak_lr(plain) == 0.1
    scaled = TrainConfig(
        epochs=1,
        batch_size=8192,
        lr=0.1,
        lr_scaling="linear",
        warmup_iters=5,
        schedule="constant",
    )
    assert math.isclose(peak_lr(scaled), 3.2)
    ramp = [lr_at(s, scaled, 100) for s in range(7)]
    assert math.isclose(ramp[0], 0.1 + 3.1 / 5) and math.isclose(ramp[4], 3.2)
    assert all(b > a for a, b in zip(ramp[:5], ramp[1:5], strict=False))
    assert ramp[5] == ramp[6] == peak_lr(scaled)
    with pytest.raises(ValueError, match="lr_scaling"):
        TrainConfig(lr_scaling="sqrt")


def test_syncbn_is_batchnorm_outside_a_job_and_keeps_the_keys() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    before = model_signature(model)
    weight = model[1].weight
    converted = convert_sync_batchnorm(model, torch.device("cpu"))
    assert isinstance(converted[1], SyncBatchNorm2d) and converted[1].weight is weight
    assert model_signature(converted) == before
    x = torch.randn(8, 1, 6, 6)
    reference = nn.BatchNorm2d(4)
    reference.load_state_dict(converted[1].state_dict())
    inner = converted[0](x)
    assert torch.allclose(converted[1](inner), reference(inner))
    assert torch.equal(converted[1].running_mean, reference.running_mean)


def test_only_the_writing_process_saves_checkpoints(tmp_path) -> None:
    path = tmp_path / "c.pt"
    Checkpointer(path, write=False).save(None)  # a rank other than 0: writes nothing
    assert not path.exists()
    history = fit(make_net(), toy_data(), cfg(epochs=1, checkpoint_path=str(path)))
    assert path.exists() and history.meta["world_size"] == 1
    assert history.meta["images_per_s_per_rank"] == [history.images_per_s]


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.cuda
@CUDA
def test_syncbn_on_cuda_is_pytorchs() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
    converted = convert_sync_batchnorm(model, torch.device("cuda"))
    assert isinstance(converted[1], nn.SyncBatchNorm)


@pytest.mark.cuda
@CUDA
def test_the_streaming_loader_feeds_a_gpu(tmp_path) -> None:
    """One process on the GPU: pinned uint8 batches, normalised on the device."""
    from helpers.data.imagefolder import load_image_folder
    from helpers.data.streaming import StreamingLoader
    from helpers.data.transforms import Recipe
    from helpers.experiments.bench_dist import write_jpeg_folder

    root = write_jpeg_folder(tmp_path, classes=2, per_class=8, size=(48, 64))
    data = load_image_folder(root, "train", Recipe(scale=(40, 56), crop=32, resize=40))
    x, y = next(iter(StreamingLoader(data, 8, device="cuda", workers=1)))
    assert x.is_cuda and y.is_cuda and x.dtype == torch.float32


def test_the_dist_bench_command_checks_arguments_and_reports(
    tmp_path, capsys, monkeypatch
) -> None:
    """python -m helpers.bench_dist: one line and exit 2 on bad input; the measurements
    (stubbed here: the real ones take minutes) printed and written as JSON."""
    from helpers import bench_dist

    for bad, named in ((["--threads", "1"], "--threads"), (["--workers", "x"], "x")):
        with pytest.raises(SystemExit) as stop:
            bench_dist.main(bad)
        err = capsys.readouterr().err
        assert stop.value.code == 2 and len(err.strip().splitlines()) == 1
        assert named in err and "Traceback" not in err
    allreduce = {"allreduce_in_step_ms": 3.0, "step_ms": 50.0, "step_no_sync_ms": 47.0}
    scaling = {"batch": 128, "device": "cpu", "1x1": 100.0, "1x2": 150.0, "2x1": 180.0}
    scaling |= {"per_rank": [90.0, 90.0], "efficiency": 0.9}
    scaling |= {"processes_over_threads": 1.2}
    scaling["allreduce"] = allreduce | {"gradient_mib": 1.0, "bare_allreduce_ms": 0.5}
    monkeypatch.setattr(bench_dist, "bench_scaling", lambda steps, threads: scaling)
    loader = {
        "jpeg": "500x375",
        "mean_kib": 110.0,
        "workers=0": 80.0,
        "workers=1": 95.5,
    }
    monkeypatch.setattr(bench_dist, "bench_loader", lambda images, workers: loader)
    demand = {"device": "cpu", "precision": "float32", "images_per_s": 12.0}
    monkeypatch.setattr(bench_dist, "step_demand", lambda: demand)
    out = tmp_path / "bench.json"
    assert bench_dist.main(["--steps", "2", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 processes x 1 thread    180.0 images/s" in printed
    assert "scaling efficiency of 2 processes: 0.90" in printed
    assert (
        "workers=1      95.5 images/s" in printed
        and "12.0 images/s demanded" in printed
    )
    assert json.loads(out.read_text())["scaling"]["2x1"] == 180.0
