"""helpers.book.imagenet_demo: preprocessing, top-k, offline detection, and loading torchvision weights
into OUR ResNet (exercised offline with a locally saved random-init torchvision state_dict)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torchvision

from helpers.book import imagenet_demo as demo
from helpers.core.network import OFFLINE_ENV


def test_preprocess_shape_statistics_and_roundtrip():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(300, 451, 3), dtype=np.uint8)
    x = demo.preprocess(image)
    assert x.shape == (1, 3, 224, 224) and x.dtype == torch.float32
    # a uniform grey image at the ImageNet mean normalises to ~0 in every channel
    mean_img = np.zeros((260, 300, 3), dtype=np.uint8) + np.round(
        np.array(demo.IMAGENET_MEAN) * 255
    ).astype(np.uint8)
    assert demo.preprocess(mean_img).abs().max() < 0.02
    # undoing the normalisation gives back the centre crop of the resized photo
    shown = demo.to_display(x)[0]
    assert shown.shape == (224, 224, 3) and 0 <= shown.min() and shown.max() <= 1
    chw = torch.as_tensor(image).permute(2, 0, 1)
    assert torch.allclose(demo.preprocess(chw), x)


def test_preprocess_rejects_non_rgb():
    with pytest.raises(ValueError, match="RGB"):
        demo.preprocess(np.zeros((32, 32), dtype=np.uint8))


def test_sample_photos_are_bundled():
    photos = demo.sample_photos(("chelsea", "coffee"))
    assert (
        photos["chelsea"].shape == (300, 451, 3) and photos["chelsea"].dtype == np.uint8
    )
    with pytest.raises(ValueError, match="choose from"):
        demo.sample_photos(("lena",))


def test_top_k_orders_probabilities():
    classes = [f"c{i}" for i in range(6)]
    logits = torch.tensor([[0.0, 3.0, 1.0, 2.0, -1.0, 0.5]])
    (best,) = demo.top_k(logits, k=3, classes=classes)
    assert [name for name, _ in best] == ["c1", "c3", "c2"]
    probs = [p for _, p in best]
    assert probs == sorted(probs, reverse=True)
    assert probs[0] == pytest.approx(logits.softmax(1).max().item())
    with pytest.raises(ValueError):
        demo.top_k(logits, classes=classes[:5])


def test_class_names_are_imagenet():
    names = demo.class_names()
    assert len(names) == 1000 and names[281] == "tabby"


def test_offline_detection_is_fast(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # nothing cached
    monkeypatch.setenv(OFFLINE_ENV, "1")
    assert demo.weights_available("resnet18") is False
    monkeypatch.delenv(OFFLINE_ENV)
    start = time.perf_counter()
    demo.weights_available("resnet18", timeout=1.0)  # True or False, but never a hang
    assert time.perf_counter() - start < 3.0
    cached = demo.cached_weights_path("resnet18")
    assert cached.name.startswith("resnet18-") and cached.suffix == ".pth"
    cached.parent.mkdir(parents=True)
    cached.touch()
    monkeypatch.setenv(OFFLINE_ENV, "1")
    assert (
        demo.weights_available("resnet18") is True
    )  # a cached file counts even offline


def test_unknown_weights_are_reported():
    with pytest.raises(ValueError, match="IMAGENET1K_V1"):
        demo.cached_weights_path("resnet18", "IMAGENET9K")


def test_load_pretrained_matches_torchvision(tmp_path):
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(weights=None).eval()
    # perturb BN statistics so a wrong mapping of running_mean/var would show
    for m in reference.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "resnet18_random.pth"
    torch.save(reference.state_dict(), path)
    ours = demo.load_pretrained("resnet18", state_dict=path)
    assert not ours.training
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(ours(x), reference(x), atol=1e-5)


def test_the_demo_prose_matches_what_the_build_could_do() -> None:
    from helpers.book.imagenet_demo import demo_sentences

    ran, skipped = demo_sentences(True), demo_sentences(False)
    assert ran.keys() == skipped.keys() == {"status", "read_bars", "maps"}
    assert "own output" in ran["status"] and "no output" in skipped["status"]
    assert skipped["read_bars"].startswith("When you run the demo")
    assert ran["read_bars"] == "Read the bars"
