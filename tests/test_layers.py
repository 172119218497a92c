"""Layer arithmetic (helpers.analysis.layers) against hand-computed cases and real PyTorch layers."""

import itertools

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from helpers.analysis.layers import (
    LayerSpec,
    conv_macs,
    conv_output_size,
    conv_parameters,
    describe_layer,
    effective_kernel,
    layer_calculator_html,
    receptive_field,
    receptive_field_growth,
    specs_from_module,
)

torch.set_num_threads(1)
C3 = LayerSpec(kernel=3, padding=1)


@pytest.mark.parametrize(
    "layers, size, jump",
    [
        ([], 1, 1),
        ([C3], 3, 1),
        ([C3, C3], 5, 1),  # two 3x3 see what one 5x5 sees (VGG)
        ([C3, C3, C3], 7, 1),  # three 3x3 -> 7x7
        (
            [LayerSpec(3, stride=2, padding=1), C3],
            7,
            2,
        ),  # stride doubles the growth of the next layer
        (
            [C3, LayerSpec(3, stride=2, padding=1)],
            5,
            2,
        ),  # ...but not of the earlier one
        ([LayerSpec(3, dilation=2, padding=2)], 5, 1),  # dilated 3x3 spans 5
        (
            [LayerSpec(3, dilation=2, padding=2), LayerSpec(3, dilation=4, padding=4)],
            13,
            1,
        ),
        ([LayerSpec(2, stride=2, kind="maxpool"), C3], 6, 2),
        (
            [
                LayerSpec(7, stride=2, padding=3),
                LayerSpec(3, stride=2, padding=1, kind="maxpool"),
            ],
            11,
            4,
        ),
    ],
)
def test_receptive_field_hand_cases(layers, size, jump):
    rf = receptive_field(layers)
    assert (rf.size, rf.jump) == (size, jump)


def test_receptive_field_growth_is_cumulative():
    sizes = [rf.size for rf in receptive_field_growth([C3] * 5)]
    assert sizes == [3, 5, 7, 9, 11]


def test_receptive_field_matches_gradient_support():
    """The input pixels that influence the centre output are exactly the receptive field."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.Conv2d(2, 2, 3, stride=2, padding=1),
        nn.Conv2d(2, 1, 3, padding=2, dilation=2),
    )
    x = torch.randn(1, 1, 41, 41, requires_grad=True)
    out = net(x)
    c = out.shape[-1] // 2
    out[0, 0, c, c].backward()
    rows = (x.grad[0, 0].abs().sum(1) > 0).nonzero().flatten()
    support = int(rows.max() - rows.min() + 1)
    assert support == receptive_field(specs_from_module(net)).size == 1 + 2 + 2 + 2 * 4


def test_output_size_matches_conv2d_over_grid():
    for n, k, s, p, d in itertools.product(
        (7, 28, 32), (1, 3, 5, 7), (1, 2, 3), (0, 1, 2, 3), (1, 2)
    ):
        if n + 2 * p < effective_kernel(k, d):
            with pytest.raises(ValueError, match="padded input"):
                conv_output_size(n, k, s, p, d)
            continue
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
        with torch.no_grad():
            real = conv(torch.zeros(1, 1, n, n)).shape[-1]
        assert conv_output_size(n, k, s, p, d) == real, (n, k, s, p, d)


def test_pool_output_size_matches_torch():
    for n, k, s, p in itertools.product((28, 31), (2, 3), (1, 2), (0, 1)):
        real = nn.MaxPool2d(k, s, p)(torch.zeros(1, 1, n, n)).shape[-1]
        assert conv_output_size(n, k, s, p) == real


@pytest.mark.parametrize(
    "cin,cout,k,groups,bias",
    [(3, 64, 7, 1, False), (16, 32, 3, 1, True), (32, 32, 3, 4, True)],
)
def test_parameters_and_macs_match_torch(cin, cout, k, groups, bias):
    conv = nn.Conv2d(cin, cout, k, stride=2, padding=k // 2, groups=groups, bias=bias)
    assert conv_parameters(cin, cout, k, bias=bias, groups=groups) == sum(
        p.numel() for p in conv.parameters()
    )
    x = torch.zeros(1, cin, 32, 32)
    with FlopCounterMode(display=False) as counter:
        out = conv(x)
    macs = conv_macs(cin, cout, k, out.shape[-2], out.shape[-1], groups=groups)
    assert 2 * macs == counter.get_total_flops()
    rep = describe_layer(
        LayerSpec(k, 2, k // 2, out_channels=cout, groups=groups, bias=bias),
        (cin, 32, 32),
    )
    assert rep.out_shape == tuple(out.shape[1:])
    assert (rep.parameters, rep.macs) == (
        conv_parameters(cin, cout, k, bias=bias, groups=groups),
        macs,
    )


def test_macs_match_complexity_helper():
    from helpers.analysis import complexity

    conv = nn.Conv2d(16, 32, 3, padding=1, bias=False)
    assert complexity.count_macs(conv, input_size=(1, 16, 8, 8)) == conv_macs(
        16, 32, 3, 8, 8
    )


def test_two_3x3_fewer_parameters_than_one_5x5():
    """VGG's argument, checked against real layers: two stacked 3x3 convs see a 5x5 window
    with 18c^2 weights instead of 25c^2."""
    c = 64
    two = nn.Sequential(nn.Conv2d(c, c, 3, bias=False), nn.Conv2d(c, c, 3, bias=False))
    one = nn.Conv2d(c, c, 5, bias=False)
    assert 2 * conv_parameters(c, c, 3, bias=False) == sum(
        p.numel() for p in two.parameters()
    )
    assert conv_parameters(c, c, 5, bias=False) == sum(
        p.numel() for p in one.parameters()
    )
    assert sum(p.numel() for p in two.parameters()) < sum(
        p.numel() for p in one.parameters()
    )
    assert (
        receptive_field(specs_from_module(two)).size
        == receptive_field(specs_from_module(one)).size
        == 5
    )


def test_specs_from_module_reads_pooling_and_strides():
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.AvgPool2d(2),
    )
    specs = specs_from_module(net)
    assert [s.kind for s in specs] == ["conv", "maxpool", "conv", "avgpool"]
    assert specs[1].stride == 2 and specs[2].out_channels == 16
    assert receptive_field(specs).size == 5 + 1 * 1 + 4 * 2 + 1 * 2  # jumps 1, 1, 2, 2


def test_invalid_spec_raises_actionable_error():
    with pytest.raises(ValueError, match="kind must be one of"):
        LayerSpec(kind="pool")
    with pytest.raises(ValueError, match="stride must be >= 1"):
        LayerSpec(stride=0)


def test_calculator_html_shows_the_numbers():
    text = layer_calculator_html(
        3, 2, 1, 1, input_size=28, in_channels=1, out_channels=16
    )
    assert "16×14×14" in text and "160" in text and "3 / 7 / 15" in text
    bad = layer_calculator_html(7, 1, 0, 2, input_size=5, in_channels=1, out_channels=4)
    assert "Invalid layer" in bad


def test_layer_calculator_is_in_both_languages() -> None:
    from helpers.core.text import Text

    card = layer_calculator_html(
        3, 1, 1, 1, input_size=28, in_channels=1, out_channels=16
    )
    assert isinstance(card, Text)
    assert "output shape" in card.en and "<b>16×28×28</b>" in card.en
    assert "<b>16×28×28</b>" in card.zh and "output shape" not in card.zh
