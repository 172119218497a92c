"""helpers.core.paths, helpers.book.setup and the Colab side of training: cache location, Drive, progress, resume,
and the setup cell's choices on a mocked T4 and A100."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import torch

import helpers.train.loop as loop
from helpers.book import setup as colab_setup
from helpers.core import paths, progress
from helpers.experiments.budget import estimate_minutes
from helpers.experiments.cache import train_cached
from helpers.experiments.profiles import Profile, get_profile

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tiny_profile(tmp_path: Path, monkeypatch) -> Profile:
    from conftest import tiny_fmnist_profile

    return tiny_fmnist_profile(tmp_path, monkeypatch, epochs=3)


def test_cache_root_rule(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "c"))
    assert paths.cache_root() == tmp_path / "c"
    assert paths.data_dir() == tmp_path / "c" / "data"
    assert paths.checkpoint_dir() == tmp_path / "c" / "checkpoints"
    monkeypatch.delenv("RESNET_BOOK_CACHE")
    assert paths.cache_root() == ROOT / "_build" / "model_cache"  # a source checkout


def test_cache_root_outside_a_checkout(monkeypatch, tmp_path) -> None:
    """A pip-installed helpers (no _toc.yml next to it) caches under ~/.cache/resnet-book."""
    monkeypatch.delenv("RESNET_BOOK_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site")
    assert paths.cache_root() == tmp_path / ".cache" / "resnet-book"


@pytest.mark.parametrize(
    "value, shown", [(None, True), ("1", True), ("0", False), ("false", False)]
)
def test_progress_switch(monkeypatch, value, shown) -> None:
    if value is None:
        monkeypatch.delenv("RESNET_BOOK_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("RESNET_BOOK_PROGRESS", value)
    assert progress.show_progress() is shown
    assert get_profile("smoke").train_config().progress is shown


def test_use_drive_points_the_cache_at_drive(monkeypatch, tmp_path) -> None:
    mounted = []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=lambda path: mounted.append(path))
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(colab_setup, "DRIVE_MOUNT", str(tmp_path / "drive"))
    monkeypatch.delenv("RESNET_BOOK_CACHE", raising=False)
    root = colab_setup.use_drive()
    assert mounted == [str(tmp_path / "drive")]
    assert (
        root == tmp_path / "drive" / "MyDrive" / "resnet-book-cache" and root.is_dir()
    )
    assert paths.cache_root() == root


def test_use_drive_outside_colab_says_what_to_do(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    with pytest.raises(RuntimeError, match="RESNET_BOOK_CACHE"):
        colab_setup.use_drive()


def test_interrupted_cached_training_resumes_to_the_same_weights(
    tiny_profile, monkeypatch
):
    """A disconnect in epoch 2 of 3 (KeyboardInterrupt), then the same call again: it resumes
    from the checkpoint and ends bitwise equal to an uninterrupted run (CPU)."""
    reference, ref_history = train_cached(
        "resnet_cifar", tiny_profile, depth=8, progress=False
    )
    monkeypatch.setenv(
        "RESNET_BOOK_CACHE", str(Path(paths.cache_root()).parent / "cache2")
    )

    real_lr_at, calls = loop.lr_at, {"n": 0}

    def interrupt_at_step_7(step, config, total):
        calls["n"] += 1
        if (
            step == 7 and calls["n"] < 100
        ):  # 5 steps per epoch: in the middle of epoch 2
            calls["n"] = 100
            raise KeyboardInterrupt
        return real_lr_at(step, config, total)

    monkeypatch.setattr(loop, "lr_at", interrupt_at_step_7)
    with pytest.raises(KeyboardInterrupt):
        train_cached("resnet_cifar", tiny_profile, depth=8, progress=False)
    (checkpoint,) = paths.checkpoint_dir().iterdir()
    assert checkpoint.suffix == ".pt"
    assert not [p for p in paths.cache_root().iterdir() if p.name != "checkpoints"]

    resumed, history = train_cached(
        "resnet_cifar", tiny_profile, depth=8, progress=False
    )
    assert not history.from_cache
    assert [e["train_loss"] for e in history.epochs] == [
        e["train_loss"] for e in ref_history.epochs
    ]
    for a, b in zip(
        reference.state_dict().values(), resumed.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    assert not paths.checkpoint_dir().exists(), "the checkpoint is removed once stored"
    _, again = train_cached("resnet_cifar", tiny_profile, depth=8, progress=False)
    assert again.from_cache, "a finished run is reused (by this or another chapter)"


# ---------------------------------------------------------------------------------------------
# The choices on a (mocked) Colab GPU
# ---------------------------------------------------------------------------------------------


def fake_cuda(monkeypatch, name: str, capability: tuple[int, int]) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(
        torch.cuda, "get_device_capability", lambda device=None: capability
    )
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)


@pytest.mark.parametrize(
    "name, capability, precision",
    [
        ("Tesla T4", (7, 5), "fp16 autocast + GradScaler"),
        ("NVIDIA A100-SXM4-40GB", (8, 0), "bf16 autocast"),
    ],
)
def test_setup_on_a_gpu(monkeypatch, capsys, name, capability, precision) -> None:
    fake_cuda(monkeypatch, name, capability)
    monkeypatch.delenv("RESNET_BOOK_PROFILE", raising=False)
    chosen = colab_setup.setup()
    assert chosen.profile == "gpu" and chosen.precision == precision
    assert f"compute capability {capability[0]}.{capability[1]}" in chosen.device
    out = capsys.readouterr().out
    assert name in out and "profile: gpu" in out and precision in out


def test_setup_keeps_the_users_profile(monkeypatch) -> None:
    fake_cuda(monkeypatch, "Tesla T4", (7, 5))
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "smoke")
    assert colab_setup.setup(verbose=False).profile == "smoke"


def test_setup_on_colab_without_a_gpu_says_how_to_get_one(monkeypatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-test")
    monkeypatch.delenv("RESNET_BOOK_PROFILE", raising=False)
    chosen = colab_setup.setup()
    assert chosen.profile == "quick" and chosen.precision in ("fp32", "bf16 autocast")
    assert "Change runtime type" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# The Colab budget: each chapter's training fits a T4 sitting (estimate from MACs)
# ---------------------------------------------------------------------------------------------

# What each chapter trains under the gpu profile (model, runs), kept in step with the chapters:
# ch. 2 the plain nets, ch. 3 plain and ResNet at both depths, ch. 4 the same for two seeds,
# ch. 6 four families at their default CIFAR size.
CHAPTER_TRAINING = {
    "02_vanishing_gradients": [("plain20", 1), ("plain56", 1)],
    "03_residual_networks": [
        ("plain20", 1),
        ("resnet20", 1),
        ("plain56", 1),
        ("resnet56", 1),
    ],
    "04_training_and_testing": [
        ("plain20", 2),
        ("resnet20", 2),
        ("plain56", 2),
        ("resnet56", 2),
    ],
    "06_related_work": [
        ("vgg_cifar", 1),
        ("googlenet_cifar", 1),
        ("resnet20", 1),
        ("densenet_cifar", 1),
    ],
}
OVERHEAD_MIN = (
    2.5  # pip install, CIFAR-10 download and decode, CUDA start, untimed cells
)


def test_gpu_profile_fits_ten_minutes_per_chapter_on_a_t4() -> None:
    from helpers.analysis.complexity import count_macs
    from helpers.experiments.cache import _model_kwargs
    from helpers.models import create_model

    profile = get_profile("gpu")
    assert profile.depths == (20, 56) and profile.dataset == "cifar10"
    train = (
        50_000 - profile.val_size
        if profile.train_subset is None
        else profile.train_subset
    )
    test = profile.test_subset or 10_000
    estimates = {}
    for chapter, runs in CHAPTER_TRAINING.items():
        macs = [
            (
                count_macs(
                    create_model(name, **_model_kwargs(name, profile, {})),
                    (1, 3, 32, 32),
                ),
                n,
            )
            for name, n in runs
        ]
        estimates[chapter] = estimate_minutes(macs, train, test, profile.epochs)
    print({k: f"{v:.1f} min" for k, v in estimates.items()})
    assert max(estimates.values()) + OVERHEAD_MIN <= 10, estimates
    assert estimates["04_training_and_testing"] > 4, "the estimate itself went wrong"


@pytest.mark.parametrize(
    "name, capability, precision",
    [
        ("Tesla T4", (7, 5), "fp16 autocast + GradScaler"),
        ("NVIDIA A100-SXM4-80GB", (8, 0), "bf16 autocast"),
    ],
)
def test_the_setup_cell_on_colab_with_a_gpu(
    monkeypatch, capsys, name, capability, precision
):
    """The chapters' first cell itself, on a mocked Colab with helpers already installed."""
    fake_cuda(monkeypatch, name, capability)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.delenv("RESNET_BOOK_PROFILE", raising=False)
    cell = (ROOT / "chapters" / "_setup_cell.py").read_text(encoding="utf-8")
    exec(compile(cell, "_setup_cell.py", "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out
    assert f"{name} (compute capability {capability[0]}.{capability[1]})" in out
    assert "profile: gpu" in out and f"precision: {precision}" in out
    assert get_profile().name == "gpu"
