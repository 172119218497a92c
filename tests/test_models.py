"""Tests of helpers.models: registry, shapes and gradients, counts, blocks, errors, Captum."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.analysis.complexity import count_parameters
from helpers.models import create_model, get_entry, list_models, residual_blocks
from helpers.models.blocks import BasicBlock

torch.set_num_threads(1)


def meta_model(name: str, **kwargs: object) -> nn.Module:
    """Build on the meta device: shapes and counts without allocating or initialising weights."""
    with torch.device("meta"):
        return create_model(name, **kwargs)


# Inputs small enough to keep the registry sweep quick; the giants get tiny images.
TINY = {"resnet1202": 8, "preact_resnet1001": 8}
IMAGENET_SIZE = {"alexnet": 64, "googlenet": 64, "densenet121": 32}


def _input_for(name: str) -> torch.Tensor:
    entry = get_entry(name)
    if entry.family == "imagenet":
        size = IMAGENET_SIZE.get(name, 32)
    else:
        size = TINY.get(name, 32)
    return torch.randn(2, 3, size, size)


@pytest.mark.parametrize("name", list_models())
def test_every_model_forward_backward(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_classes=5)
    x = _input_for(name)
    out = model(x)
    assert out.shape == (2, 5)
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"{name}: no gradient for {missing[:5]}"
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert all(not r.inplace for r in relus)


@pytest.mark.parametrize(
    "name", [n for n in list_models() if get_entry(n).family == "small"]
)
def test_small_models_take_one_channel_28px(name: str) -> None:
    size = TINY.get(name, 28)
    model = create_model(name, in_channels=1).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 1, size, size))
    assert out.shape == (1, 10)


@pytest.mark.parametrize(
    "name, feature_shape",
    [
        ("resnet20", (64, 8, 8)),
        ("preact_resnet164", (256, 8, 8)),
        ("vgg_cifar", (96, 2, 2)),
        ("googlenet_cifar", (256, 8, 8)),
        ("densenet_cifar", (176, 8, 8)),
        ("resnet18", (512, 1, 1)),
    ],
)
def test_forward_is_head_of_features(name: str, feature_shape: tuple[int, ...]) -> None:
    model = create_model(name).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feats = model.forward_features(x)
        assert feats.shape == (2, *feature_shape)
        assert torch.equal(model.forward_head(feats), model(x))


def test_each_relu_is_its_own_module() -> None:
    model = create_model("resnet56")
    calls: dict[int, int] = {}
    for m in model.modules():
        if isinstance(m, nn.ReLU):
            m.register_forward_hook(
                lambda mod, i, o: calls.__setitem__(id(mod), calls.get(id(mod), 0) + 1)
            )
    model(torch.randn(2, 3, 32, 32))
    assert calls and set(calls.values()) == {1}


# ---------------------------------------------------------------- parameter counts
@pytest.mark.parametrize(
    "name, expected",
    [
        ("resnet20", 269_722),
        ("resnet110", 1_727_962),
        ("plain20", 269_722),
        ("plain110", 1_727_962),
    ],
)
def test_cifar_parameter_counts_exact(name: str, expected: int) -> None:
    assert count_parameters(meta_model(name)) == expected


@pytest.mark.parametrize(
    "name, paper_millions",
    [
        ("resnet32", 0.46),
        ("resnet44", 0.66),
        ("resnet56", 0.85),
        ("resnet1202", 19.4),
        ("preact_resnet110", 1.7),
        ("preact_resnet164", 1.7),
        ("preact_resnet1001", 10.2),
    ],
)
def test_parameter_counts_near_paper(name: str, paper_millions: float) -> None:
    count = count_parameters(meta_model(name)) / 1e6
    assert abs(count - paper_millions) / paper_millions < 0.03, count


@pytest.mark.parametrize("depth", [20, 56])
def test_plain_and_residual_have_same_parameters_with_option_a(depth: int) -> None:
    res = create_model("resnet_cifar", depth=depth, shortcut="A")
    plain = create_model("plain_cifar", depth=depth)
    assert count_parameters(res) == count_parameters(plain)
    assert [n for n, _ in res.named_parameters()] == [
        n for n, _ in plain.named_parameters()
    ]


def test_projection_shortcuts_add_exactly_their_parameters() -> None:
    w = 16
    base = count_parameters(create_model("resnet20", width=w, shortcut="A"))
    # Option B: projections (1x1 conv + BN) only at the two shape changes: 16->32 and 32->64.
    proj_b = (w * 2 * w + 2 * 2 * w) + (2 * w * 4 * w + 2 * 4 * w)
    assert (
        count_parameters(create_model("resnet20", width=w, shortcut="B"))
        == base + proj_b
    )
    # Option C: a projection on every one of the 9 blocks (3 per stage).
    proj_c = (
        3 * (w * w + 2 * w)
        + (w * 2 * w + 2 * 2 * w)
        + 2 * (2 * w * 2 * w + 2 * 2 * w)
        + (2 * w * 4 * w + 2 * 4 * w)
        + 2 * (4 * w * 4 * w + 2 * 4 * w)
    )
    assert (
        count_parameters(create_model("resnet20", width=w, shortcut="C"))
        == base + proj_c
    )


@pytest.mark.parametrize(
    "name, expected",
    [
        ("vgg_cifar", 345_466),
        ("googlenet_cifar", 372_578),
        ("densenet_cifar", 309_962),
        ("alexnet", 61_100_840),
        ("vgg16", 138_357_544),
        ("googlenet", 6_624_904),
        ("densenet121", 7_978_856),
        ("resnet18", 11_689_512),
        ("resnet50", 25_557_032),
    ],
)
def test_related_and_imagenet_parameter_counts(name: str, expected: int) -> None:
    """Small forms: the counts their docstrings state (near ResNet-20's 0.27M); ImageNet forms:
    torchvision's counts."""
    assert count_parameters(meta_model(name)) == expected


def test_googlenet_paper_5x5_and_aux_heads() -> None:
    assert (
        count_parameters(meta_model("googlenet", branch3_kernel=5))
        == 6_624_904 + 380_928
    )
    model = create_model("googlenet", aux_logits=True, num_classes=7)
    out = model(torch.randn(2, 3, 64, 64))
    assert [o.shape for o in out] == [(2, 7)] * 3
    assert model.eval()(torch.randn(1, 3, 64, 64)).shape == (1, 7)


# ---------------------------------------------------------------- blocks
def test_residual_blocks_count_and_flags() -> None:
    for depth in (20, 56):
        n = (depth - 2) // 6
        res = residual_blocks(create_model("resnet_cifar", depth=depth))
        plain = residual_blocks(create_model("plain_cifar", depth=depth))
        assert len(res) == len(plain) == 3 * n
        assert all(b.residual for b in res) and not any(b.residual for b in plain)
        assert all(isinstance(b.branch_out, nn.Identity) for b in res + plain)
    assert len(residual_blocks(create_model("resnet50"))) == 16
    assert len(residual_blocks(create_model("preact_resnet164"))) == 54


def test_zero_initialised_block_is_identity_on_nonnegative_input() -> None:
    block = BasicBlock(16, 16, stride=1, shortcut="A")
    nn.init.zeros_(block.bn2.weight)
    x = torch.rand(2, 16, 8, 8)
    for mode in (True, False):
        block.train(mode)
        assert torch.allclose(block(x), x, atol=1e-6)


def test_zero_init_residual_makes_every_block_identity() -> None:
    model = create_model("resnet20", zero_init_residual=True).eval()
    assert all(b.bn2.weight.abs().sum() == 0 for b in residual_blocks(model))
    block = residual_blocks(model)[1]
    x = torch.rand(1, 16, 8, 8)
    assert torch.allclose(block(x), x)
    other = create_model("resnet20")
    assert all(b.bn2.weight.abs().sum() > 0 for b in residual_blocks(other))


def test_branch_out_hook_sees_the_residual_function() -> None:
    model = create_model("resnet20").eval()
    block = residual_blocks(model)[4]  # layer2.1, identity shortcut
    seen = {}
    block.branch_out.register_forward_hook(lambda m, i, o: seen.__setitem__("f", o))
    block.register_forward_hook(lambda m, i, o: seen.__setitem__("x", i[0]))
    with torch.no_grad():
        y = model.layer2(
            model.layer1(model.relu(model.bn1(model.conv1(torch.randn(2, 3, 32, 32)))))
        )
    x, f = seen["x"], seen["f"]
    assert torch.allclose(torch.relu(f + x), block(x), atol=1e-6)
    assert y.shape == (2, 32, 16, 16)


def test_skip_branch_residual_returns_shortcut() -> None:
    model = create_model("resnet20").eval()
    blocks = residual_blocks(model)
    x = torch.rand(2, 16, 32, 32)
    blocks[1].skip_branch = True
    assert torch.equal(blocks[1](x), x)
    blocks[
        3
    ].skip_branch = True  # shape-changing: option-A shortcut pads and subsamples
    y = blocks[3](x)
    assert y.shape == (2, 32, 16, 16)
    assert torch.equal(y[:, :16], x[:, :, ::2, ::2]) and y[:, 16:].abs().sum() == 0
    blocks[1].skip_branch = False
    assert not torch.equal(blocks[1](x), x)


def test_skip_branch_plain() -> None:
    blocks = residual_blocks(create_model("plain20").eval())
    x = torch.rand(2, 16, 32, 32)
    blocks[1].skip_branch = True
    assert torch.equal(blocks[1](x), x)
    with pytest.raises(ValueError, match="cannot skip this plain block"):
        blocks[3].skip_branch = True
    assert blocks[3].skip_branch is False


def test_lesioned_model_still_runs() -> None:
    model = create_model("resnet56").eval()
    for block in residual_blocks(model)[::2]:
        block.skip_branch = True
    with torch.no_grad():
        assert torch.isfinite(model(torch.randn(2, 3, 32, 32))).all()


# ---------------------------------------------------------------- errors
def test_unknown_name_suggests_closest() -> None:
    with pytest.raises(ValueError, match="resnet20"):
        create_model("resnet_20")
    with pytest.raises(ValueError, match="Did you mean"):
        create_model("resnt56")


@pytest.mark.parametrize("depth", [18, 21, 2, "20"])
def test_bad_cifar_depth_lists_valid_depths(depth: object) -> None:
    with pytest.raises(ValueError, match=r"6n\+2.*8, 14, 20, 26, 32"):
        create_model("resnet_cifar", depth=depth)


def test_bad_preact_bottleneck_depth() -> None:
    with pytest.raises(ValueError, match=r"9n\+2.*11, 20, 29"):
        create_model("preact_resnet_cifar", depth=100, bottleneck=True)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(shortcut="D"), "shortcut must be one of 'A', 'B', 'C'"),
        (dict(in_channels=0), "in_channels must be an integer >= 1"),
        (dict(num_classes=0), "num_classes must be an integer >= 1"),
        (dict(width=-4), "width must be"),
        (dict(dropout=0.5), "unexpected keyword argument.*dropout.*takes depth, width"),
    ],
)
def test_bad_kwargs_are_actionable(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        create_model("resnet_cifar", **kwargs)


def test_alias_fixed_values_and_stride_at_typo() -> None:
    with pytest.raises(ValueError, match="resnet20 does not take depth"):
        create_model("resnet20", depth=32)
    with pytest.raises(ValueError, match="stride_at must be one of '1x1', '3x3'"):
        create_model("resnet50", stride_at="3X3")
    with pytest.raises(ValueError, match="plain20 does not take shortcut"):
        create_model("plain20", shortcut="B")


# ---------------------------------------------------------------- Captum
@pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require gradients")
@pytest.mark.filterwarnings(
    "ignore:Setting forward, backward hooks and attributes on non-linear"
)
def test_captum_attributions_on_resnet20() -> None:
    captum_attr = pytest.importorskip("captum.attr")
    torch.manual_seed(0)
    model = create_model("resnet20").eval()
    x = torch.randn(2, 3, 32, 32)
    baseline = torch.zeros_like(x)
    ig = captum_attr.IntegratedGradients(model).attribute(
        x, baseline, target=3, n_steps=8
    )
    dl = captum_attr.DeepLift(model).attribute(x, baseline, target=3)
    for attr in (ig, dl):
        assert (
            attr.shape == x.shape
            and torch.isfinite(attr).all()
            and attr.abs().sum() > 0
        )


# ---------------------------------------------------------------- one head, one block body
def test_no_model_family_copies_the_head_or_forward() -> None:
    """forward_head/forward live once, in FeaturesHeadModel; only GoogLeNet's forward (aux
    outputs) differs."""
    from helpers.models._common import FeaturesHeadModel

    for name in list_models():
        cls = get_entry(name).model_cls
        assert issubclass(cls, FeaturesHeadModel), name
        assert cls.forward_head is FeaturesHeadModel.forward_head, name
        assert cls.forward is FeaturesHeadModel.forward or name == "googlenet", name


def test_blocks_take_only_the_options_they_use() -> None:
    from helpers.models.blocks import PlainBlock

    with pytest.raises(TypeError, match="shortcut"):
        PlainBlock(16, 16, 1, shortcut="A")
    with pytest.raises(TypeError, match="stride_at"):
        BasicBlock(16, 16, 1, stride_at="3x3")
    plain, basic = PlainBlock(16, 32, 2), BasicBlock(16, 32, 2, shortcut="A")
    assert [n for n, _ in plain.named_parameters()] == [
        n for n, _ in basic.named_parameters()
    ]
