"""helpers.experiments.profiles and helpers.book.provenance."""

from __future__ import annotations

import pytest
import torch

from helpers.book.provenance import provenance_text
from helpers.core.versions import environment
from helpers.experiments.profiles import PROFILES, get_profile, profile_table
from helpers.train import TrainConfig


def test_env_var_selects_profile(monkeypatch) -> None:
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "smoke")
    assert get_profile().name == "smoke"
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "paper")
    assert get_profile().name == "paper"
    assert get_profile("quick").name == "quick"  # an explicit name wins


def test_default_depends_on_cuda(monkeypatch) -> None:
    monkeypatch.delenv("RESNET_BOOK_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert get_profile().name == "quick"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_profile().name == "gpu"


def test_unknown_profile_lists_valid(monkeypatch) -> None:
    with pytest.raises(
        ValueError, match=r"valid profiles: \['smoke', 'quick', 'gpu', 'paper'"
    ):
        get_profile("fast")
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "huge")
    with pytest.raises(ValueError, match="RESNET_BOOK_PROFILE"):
        get_profile()


def test_paper_profile_is_the_papers_recipe() -> None:
    c = PROFILES["paper"].train_config()
    assert (c.iterations, c.batch_size, c.lr, c.momentum, c.weight_decay) == (
        64_000,
        128,
        0.1,
        0.9,
        1e-4,
    )
    assert c.milestones == (32_000, 48_000) and c.normalize == "pixel"
    assert PROFILES["paper"].dataset == "cifar10" and PROFILES["paper"].width == 16


def test_profiles_are_sane() -> None:
    for p in PROFILES.values():
        assert isinstance(p.train_config(), TrainConfig)
        assert p.depths[0] < p.depths[-1]
        assert all((d - 2) % 6 == 0 for d in p.depths), "CIFAR nets need depth 6n+2"
    assert (
        PROFILES["quick"].dataset == "fashion-mnist"
        and PROFILES["gpu"].dataset == "cifar10"
    )
    assert {r["name"] for r in profile_table()} == set(PROFILES)


def test_train_config_overrides() -> None:
    c = get_profile("quick").train_config(seed=3, lr=0.01, progress=False)
    assert (c.seed, c.lr, c.progress) == (3, 0.01, False)


def test_profile_load_applies_subset(fake_fmnist, monkeypatch) -> None:
    monkeypatch.setenv("RESNET_BOOK_DATA", str(fake_fmnist))
    p = get_profile("smoke").replace(train_subset=120, test_subset=50, val_size=100)
    train = p.load("train")
    assert len(train) == p.train_subset and train.name == "fashion-mnist"
    assert train.source == str(fake_fmnist.resolve())
    assert len(p.load("test")) == p.test_subset
    assert torch.bincount(train.labels, minlength=10).tolist() == [12] * 10


def test_profile_milestones_are_fractions_or_iterations() -> None:
    for p in PROFILES.values():
        for m in p.milestones:
            assert (isinstance(m, int) and p.iterations and m <= p.iterations) or (
                isinstance(m, float) and 0 < m <= 1
            ), (p.name, m)
    assert not hasattr(PROFILES["quick"], "extra")


def test_provenance_text() -> None:
    p = get_profile("quick")
    text = provenance_text(p, seed=0)
    assert text.startswith(
        f"Fashion-MNIST, {p.train_subset:,} training images · profile quick · "
    )
    assert "seed 0" in text and f"torch {torch.__version__.split('+')[0]}" in text
    assert "CPU" in text or "cuda" in text.lower() or "NVIDIA" in text
    assert provenance_text("paper", extra="Fig. 6").startswith(
        "CIFAR-10, full training set · profile paper"
    )
    assert provenance_text(p, dataset="cifar10").startswith("CIFAR-10 · ")
    env = environment()
    assert {"python", "torch", "torchvision", "cpu", "threads", "cuda"} <= set(env)
    assert isinstance(env["cpu"], str) and env["cpu"]
