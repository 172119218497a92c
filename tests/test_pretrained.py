"""Tests of helpers.models.pretrained: torchvision checkpoints load and compute the same thing."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision

from helpers.models import create_model, imagenet_classes, load_torchvision_weights

torch.set_num_threads(1)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_torchvision_state_dict_loads_and_matches(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    reference = getattr(torchvision.models, name)(weights=None).eval()
    with torch.no_grad():  # non-trivial BN statistics, so the test sees them
        for m in reference.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    state = reference.state_dict()
    ours = load_torchvision_weights(create_model(name, stride_at="3x3"), state).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(ours(x), reference(x), atol=1e-5)
    path = tmp_path / f"{name}.pth"
    torch.save(state, path)
    from_file = load_torchvision_weights(
        create_model(name, stride_at="3x3"), str(path)
    ).eval()
    with torch.no_grad():
        assert torch.allclose(from_file(x), reference(x), atol=1e-5)


@pytest.mark.parametrize("name", ["googlenet", "densenet121", "alexnet", "vgg11_bn"])
def test_related_models_load_torchvision_state_dicts(name: str) -> None:
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    reference = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    ours = load_torchvision_weights(create_model(name), reference.state_dict()).eval()
    if name == "googlenet":
        reference.transform_input = False
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(ours(x), reference(x), atol=1e-4)


def test_paper_stride_layout_is_refused() -> None:
    state = torchvision.models.resnet50(weights=None).state_dict()
    with pytest.raises(ValueError, match="stride_at='3x3'"):
        load_torchvision_weights(create_model("resnet50"), state)


def test_mismatched_architecture_is_explained() -> None:
    state = torchvision.models.resnet18(weights=None).state_dict()
    with pytest.raises(ValueError, match=r"missing keys.*matching depth"):
        load_torchvision_weights(create_model("resnet34"), state)
    with pytest.raises(ValueError, match="unexpected keys.*bottleneck|missing keys"):
        load_torchvision_weights(create_model("resnet50", stride_at="3x3"), state)
    with pytest.raises(ValueError, match="num_classes=1000"):
        load_torchvision_weights(create_model("resnet18", num_classes=10), state)


def test_corrupt_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        load_torchvision_weights(create_model("resnet18"), bad)
    with pytest.raises(FileNotFoundError, match="no weights file"):
        load_torchvision_weights(create_model("resnet18"), tmp_path / "missing.pth")


def test_non_imagenet_model_is_refused() -> None:
    with pytest.raises(ValueError, match="Small-image models"):
        load_torchvision_weights(create_model("resnet20"), {})


def test_unknown_weights_name() -> None:
    with pytest.raises(ValueError, match="IMAGENET1K_V1"):
        load_torchvision_weights(create_model("resnet18"), "IMAGENET9K")


def test_offline_download_error_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def offline(self, *args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torchvision.models.WeightsEnum, "get_state_dict", offline)
    with pytest.raises(
        RuntimeError,
        match=r"download https://.*resnet18.*load_torchvision_weights\(model",
    ):
        load_torchvision_weights(create_model("resnet18"), "IMAGENET1K_V1")


def test_imagenet_classes() -> None:
    classes = imagenet_classes()
    assert (
        len(classes) == 1000
        and classes[0] == "tench"
        and classes[207] == "golden retriever"
    )
