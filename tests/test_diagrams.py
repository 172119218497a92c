"""Stage diagrams: specs from the paper's tables, from models, and drawing."""

import pytest
import torch

from helpers.book.diagrams import arch_from_model, cifar_arch, draw_arch, imagenet_arch
from helpers.models import create_model

torch.set_num_threads(1)


def test_cifar_specs_follow_6n_plus_2():
    spec = cifar_arch(56)
    assert [s.blocks for s in spec.stages] == [9, 9, 9]
    assert [s.channels for s in spec.stages] == [16, 32, 64]
    assert [s.size for s in spec.stages] == [32, 16, 8]
    assert spec.depth == 56 and spec.residual
    assert not cifar_arch(20, "plain").residual
    bottleneck = cifar_arch(164, "bottleneck")
    assert bottleneck.depth == 164 and [s.channels for s in bottleneck.stages] == [
        64,
        128,
        256,
    ]
    with pytest.raises(ValueError, match="6n\\+2"):
        cifar_arch(21)
    with pytest.raises(ValueError, match="basic, bottleneck"):
        cifar_arch(20, "dense")


def test_imagenet_specs_match_table_1():
    r50 = imagenet_arch(50)
    assert [s.blocks for s in r50.stages] == [3, 4, 6, 3]
    assert [s.channels for s in r50.stages] == [256, 512, 1024, 2048]
    assert [s.size for s in r50.stages] == [56, 28, 14, 7]
    assert (
        r50.depth == 50
        and imagenet_arch(152).depth == 152
        and imagenet_arch(34, plain=True).depth == 34
    )
    with pytest.raises(ValueError, match="18, 34, 50, 101, 152"):
        imagenet_arch(42)


@pytest.mark.parametrize(
    "name,kind", [("resnet_cifar", "basic"), ("plain_cifar", "plain")]
)
def test_spec_read_from_a_model_matches_the_table(name, kind):
    model = create_model(name, depth=20, width=16, in_channels=3)
    spec = arch_from_model(model, (1, 3, 32, 32))
    expected = cifar_arch(20, kind)
    assert [(s.blocks, s.channels, s.size, s.block) for s in spec.stages] == [
        (s.blocks, s.channels, s.size, s.block) for s in expected.stages
    ]


def test_draw_arch_labels_every_stage():
    fig = draw_arch(cifar_arch(32), caption="provenance here")
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "stage 1" in texts and "stage 3" in texts and "5 x basic" in texts
    assert any("provenance here" in t.get_text() for t in fig.texts)


def test_one_row_fits_every_cifar_network_up_to_n18() -> None:
    """The architecture explorer draws with ONE_ROW_UNITS: no setting wraps, so its picture
    has no empty second row (issue 22)."""
    from helpers.book.diagrams import ONE_ROW_UNITS, _layout

    for block, depth in (
        ("basic", 6 * 18 + 2),
        ("bottleneck", 9 * 18 + 2),
        ("plain", 8),
    ):
        _, right, rows = _layout(cifar_arch(depth, block), ONE_ROW_UNITS)
        assert rows == 1 and right <= ONE_ROW_UNITS
