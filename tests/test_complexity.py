"""Tests of helpers.analysis.complexity: parameter and MAC counts against the papers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.analysis.complexity import (
    count_macs,
    count_parameters,
    layer_summary,
    stage_table,
    summary_markdown,
)
from helpers.models import create_model

torch.set_num_threads(1)


def meta_model(name: str, **kwargs: object) -> nn.Module:
    with torch.device("meta"):
        return create_model(name, **kwargs)


@pytest.mark.parametrize(
    "name, paper_gmacs",
    [
        ("resnet18", 1.8),
        ("resnet34", 3.6),
        ("resnet50", 3.8),
        ("resnet101", 7.6),
        ("resnet152", 11.3),
    ],
)
def test_imagenet_macs_match_paper_table1(name: str, paper_gmacs: float) -> None:
    macs = count_macs(meta_model(name, stride_at="1x1"), (1, 3, 224, 224)) / 1e9
    assert abs(macs - paper_gmacs) / paper_gmacs < 0.03, macs


def test_torchvision_layout_costs_more() -> None:
    v1 = count_macs(meta_model("resnet50", stride_at="1x1"))
    v15 = count_macs(meta_model("resnet50", stride_at="3x3"))
    assert abs(v15 / 1e9 - 4.09) < 0.02 and v15 > v1


@pytest.mark.parametrize(
    "name, expected_millions",
    [("resnet20", 40.6), ("resnet56", 125.5), ("resnet110", 252.9)],
)
def test_cifar_macs(name: str, expected_millions: float) -> None:
    macs = count_macs(create_model(name), (1, 3, 32, 32)) / 1e6
    assert abs(macs - expected_millions) < 0.1, macs


def test_macs_scale_with_batch_and_match_hand_count() -> None:
    conv = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.Flatten(), nn.Linear(8 * 4 * 4, 2)
    )
    per_image = 8 * 4 * 4 * 3 * 9 + 8 * 4 * 4 * 2
    assert count_macs(conv, (1, 3, 4, 4)) == per_image
    assert count_macs(conv, (3, 3, 4, 4)) == 3 * per_image


def test_count_macs_keeps_training_mode_and_weights() -> None:
    model = create_model("resnet20").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    count_macs(model, (1, 3, 32, 32))
    layer_summary(model, (1, 3, 32, 32))
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    model.eval()
    count_macs(model, (1, 3, 32, 32))
    assert not model.training


def test_count_parameters_trainable_only() -> None:
    model = create_model("resnet20")
    total = count_parameters(model)
    for p in model.fc.parameters():
        p.requires_grad_(False)
    assert count_parameters(model) == total - 650
    assert count_parameters(model, trainable_only=False) == total


def test_layer_summary_rows_add_up() -> None:
    model = create_model("resnet20", in_channels=1)
    rows = layer_summary(model, (1, 1, 28, 28))
    assert sum(r["params"] for r in rows) == count_parameters(model)
    assert sum(r["macs"] for r in rows) == count_macs(model, (1, 1, 28, 28))
    assert rows[0] == {
        "name": "conv1",
        "type": "Conv2d",
        "output_shape": (1, 16, 28, 28),
        "params": 144,
        "macs": 16 * 28 * 28 * 9,
    }
    assert rows[-1]["name"] == "fc" and rows[-1]["output_shape"] == (1, 10)
    blocks = layer_summary(model, (1, 1, 28, 28), depth=2)
    assert [r["name"] for r in blocks if r["type"] == "BasicBlock"][:2] == [
        "layer1.0",
        "layer1.1",
    ]
    assert sum(r["params"] for r in blocks) == count_parameters(model)


def test_summary_markdown_is_a_table() -> None:
    text = summary_markdown(create_model("resnet20"), (1, 3, 32, 32), depth=1)
    lines = text.splitlines()
    assert lines[0].startswith("| layer |") and len(lines) == 2 + 9 + 1
    assert "269,722" in lines[-1] and "40.55M" in lines[-1]


def test_stage_table_like_paper_table1() -> None:
    rows = stage_table(meta_model("resnet34"), (1, 3, 224, 224))
    assert [r["paper_name"] for r in rows] == [
        "conv1",
        "conv2_x",
        "conv3_x",
        "conv4_x",
        "conv5_x",
        "fc",
    ]
    assert [r["blocks"] for r in rows] == [0, 3, 4, 6, 3, 0]
    assert [r["output_shape"][2] for r in rows[:5]] == [56, 56, 28, 14, 7]
    assert sum(r["params"] for r in rows) == 21_797_672
    assert sum(r["macs"] for r in rows) == count_macs(meta_model("resnet34"))


def test_bad_input_size() -> None:
    with pytest.raises(ValueError, match="input_size must be"):
        count_macs(create_model("resnet20"), (3, 32, 32))
