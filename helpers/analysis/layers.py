"""Layer arithmetic for convolutional networks: output size, parameters, MACs, receptive field.

Everything here is plain integer arithmetic, so a reader can check each number by hand; the
tests compare it with real ``nn.Conv2d`` layers and with ``torch.utils.flop_counter``.

Conventions (as in PyTorch):

* output size  ``o = floor((n + 2p - d(k - 1) - 1) / s) + 1``
* parameters   ``c_out * (c_in / groups) * k * k (+ c_out if bias)``
* MACs         ``o_h * o_w * c_out * (c_in / groups) * k * k`` (multiply-accumulates; bias adds
  are not counted, matching ``torch.utils.flop_counter`` with FLOPs = 2 MACs)
* receptive field, for a stack of layers ``l = 1..L`` with jump (input pixels between adjacent
  outputs) ``j_0 = 1`` and size ``r_0 = 1``: ``r_l = r_{l-1} + (k_eff - 1) * j_{l-1}``,
  ``j_l = j_{l-1} * s_l``, where ``k_eff = d(k - 1) + 1``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch.nn as nn

from helpers.core.text import T, Text, join

__all__ = [
    "LayerSpec",
    "LayerReport",
    "ReceptiveField",
    "effective_kernel",
    "conv_output_size",
    "conv_parameters",
    "conv_macs",
    "describe_layer",
    "receptive_field",
    "receptive_field_growth",
    "specs_from_module",
    "layer_calculator_html",
]

LAYER_KINDS = ("conv", "maxpool", "avgpool")


@dataclass(frozen=True)
class LayerSpec:
    """One spatial layer of a network, as far as shapes and receptive fields are concerned.

    ``out_channels=None`` keeps the channel count (pooling). Square kernels only: that is all
    the book's networks use.
    """

    kernel: int = 3  # kernel size k (pixels)
    stride: int = 1  # stride s
    padding: int = 0  # zero padding p on each side
    dilation: int = 1  # dilation d (1 = ordinary convolution)
    out_channels: int | None = None  # None: same as the input (pooling)
    kind: str = "conv"  # "conv" | "maxpool" | "avgpool"
    groups: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise ValueError(f"kind must be one of {LAYER_KINDS}; got {self.kind!r}")
        for name in ("kernel", "stride", "dilation", "groups"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1; got {getattr(self, name)}")
        if self.padding < 0:
            raise ValueError(f"padding must be >= 0; got {self.padding}")


@dataclass(frozen=True)
class LayerReport:
    """What one layer does to a (C, H, W) input: shapes, parameters, MACs, formula text."""

    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    parameters: int
    macs: int
    formula: str  # the output-size formula with the numbers filled in


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of one output unit after a stack of layers.

    ``size``: side of the input square it sees; ``jump``: input pixels between neighbouring
    outputs (product of the strides); ``start``: input coordinate of the centre of the first
    output's field (negative when padding reaches outside the image).
    """

    size: int
    jump: int
    start: float


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """Input span of a dilated kernel: ``d (k - 1) + 1`` (a 3x3 kernel with d=2 spans 5)."""
    return dilation * (kernel - 1) + 1


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output side of a convolution or pooling layer, ``floor((n + 2p - d(k-1) - 1)/s) + 1``."""
    span = effective_kernel(kernel, dilation)
    if size + 2 * padding < span:
        raise ValueError(
            f"kernel spans {span} pixels (k={kernel}, d={dilation}) but the padded input is only "
            f"{size + 2 * padding} pixels (n={size}, p={padding}); use a smaller kernel or "
            f"dilation, or more padding"
        )
    return (size + 2 * padding - span) // stride + 1


def conv_parameters(
    in_channels: int,
    out_channels: int,
    kernel: int,
    *,
    bias: bool = True,
    groups: int = 1,
) -> int:
    """Learnable parameters of a ``k x k`` convolution: weights plus one bias per output channel."""
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
        )
    weights = out_channels * (in_channels // groups) * kernel * kernel
    return weights + (out_channels if bias else 0)


def conv_macs(
    in_channels: int,
    out_channels: int,
    kernel: int,
    out_h: int,
    out_w: int,
    *,
    groups: int = 1,
) -> int:
    """Multiply-accumulates of one forward pass for one image (bias adds not counted)."""
    return out_h * out_w * out_channels * (in_channels // groups) * kernel * kernel


def describe_layer(spec: LayerSpec, in_shape: tuple[int, int, int]) -> LayerReport:
    """Apply ``spec`` to a ``(C, H, W)`` input and report output shape, parameters and MACs."""
    c, h, w = in_shape
    oh = conv_output_size(h, spec.kernel, spec.stride, spec.padding, spec.dilation)
    ow = conv_output_size(w, spec.kernel, spec.stride, spec.padding, spec.dilation)
    if spec.kind == "conv":
        c_out = spec.out_channels if spec.out_channels is not None else c
        params = conv_parameters(
            c, c_out, spec.kernel, bias=spec.bias, groups=spec.groups
        )
        macs = conv_macs(c, c_out, spec.kernel, oh, ow, groups=spec.groups)
    else:  # pooling keeps the channels and has no parameters; we count no MACs either
        c_out, params, macs = c, 0, 0
    formula = (
        f"floor(({h} + 2·{spec.padding} − {spec.dilation}·({spec.kernel} − 1) − 1) / "
        f"{spec.stride}) + 1 = {oh}"
    )
    return LayerReport((c, h, w), (c_out, oh, ow), params, macs, formula)


def receptive_field_growth(layers: Sequence[LayerSpec]) -> list[ReceptiveField]:
    """Receptive field after each layer of ``layers`` (index 0 = after the first layer)."""
    size, jump, start = 1, 1, 0.0
    out = []
    for spec in layers:
        span = effective_kernel(spec.kernel, spec.dilation)
        start = start + ((span - 1) / 2 - spec.padding) * jump
        size = size + (span - 1) * jump
        jump = jump * spec.stride
        out.append(ReceptiveField(size, jump, start))
    return out


def receptive_field(layers: Sequence[LayerSpec]) -> ReceptiveField:
    """Receptive field of one output unit of the whole stack (``size=1`` for an empty stack)."""
    growth = receptive_field_growth(layers)
    return growth[-1] if growth else ReceptiveField(1, 1, 0.0)


def _as_int(v: int | tuple[int, ...]) -> int:
    if isinstance(v, tuple):
        if len(set(v)) != 1:
            raise ValueError(f"only square kernels/strides are supported; got {v}")
        return v[0]
    return v


def specs_from_module(module: nn.Module) -> list[LayerSpec]:
    """The spatial layers (Conv2d, MaxPool2d, AvgPool2d) of ``module`` in registration order.

    Registration order equals execution order for sequential stacks (VGG, LeNet, plain nets);
    for networks with branches the receptive field of the longest path is what you get.
    """
    specs = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            specs.append(
                LayerSpec(
                    _as_int(m.kernel_size),
                    _as_int(m.stride),
                    _as_int(m.padding),
                    _as_int(m.dilation),
                    m.out_channels,
                    "conv",
                    m.groups,
                    m.bias is not None,
                )
            )
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            kind = "maxpool" if isinstance(m, nn.MaxPool2d) else "avgpool"
            dilation = _as_int(m.dilation) if isinstance(m, nn.MaxPool2d) else 1
            stride = (
                _as_int(m.stride) if m.stride is not None else _as_int(m.kernel_size)
            )
            specs.append(
                LayerSpec(
                    _as_int(m.kernel_size),
                    stride,
                    _as_int(m.padding),
                    dilation,
                    None,
                    kind,
                )
            )
    return specs


def _stacked(spec: LayerSpec, times: Iterable[int]) -> list[int]:
    return [receptive_field([spec] * t).size for t in times]


def _calculator_rows(
    spec: LayerSpec, rep: Any, input_size: int, in_channels: int, out_channels: int
) -> list[tuple[Text, str | Text]]:
    """(quantity, worked value) rows of the layer calculator's card."""
    kernel, stride, padding, dilation = (
        spec.kernel,
        spec.stride,
        spec.padding,
        spec.dilation,
    )
    c, oh, ow = rep.out_shape
    rf1, rf2, rf3 = _stacked(spec, (1, 2, 3))
    span = effective_kernel(kernel, dilation)
    weights = out_channels * in_channels * kernel * kernel
    return [
        (
            T("output side"),
            f"⌊({input_size} + 2·{padding} − {dilation}·({kernel} − 1) − 1) / {stride}⌋ + 1 = <b>{oh}</b>",
        ),
        (T("output shape (C×H×W)"), f"<b>{c}×{oh}×{ow}</b>"),
        (
            T("parameters"),
            f"{out_channels}·{in_channels}·{kernel}·{kernel} + {out_channels} = <b>{rep.parameters:,}</b>",
        ),
        (T("MACs per image"), f"{oh}·{ow}·{weights:,} = <b>{rep.macs:,}</b>"),
        (T("kernel span d(k−1)+1"), T("<b>{n}</b> pixels", n=span)),
        (
            T("receptive field of 1 / 2 / 3 such layers"),
            T("<b>{rfs}</b> pixels", rfs=f"{rf1} / {rf2} / {rf3}"),
        ),
    ]


def layer_calculator_html(
    kernel: int = 3,
    stride: int = 1,
    padding: int = 1,
    dilation: int = 1,
    *,
    input_size: int = 28,
    in_channels: int = 1,
    out_channels: int = 16,
) -> Text:
    """A small HTML card for the interactive layer calculator (one per widget setting), in
    both languages.

    Shows the output-size formula with the numbers filled in, the output shape, the parameter
    and MAC counts, and the receptive field of 1, 2 and 3 such layers stacked.
    """
    spec = LayerSpec(kernel, stride, padding, dilation, out_channels)
    layer = (
        f"<b>Conv2d({in_channels}, {out_channels}, kernel_size={kernel}, stride={stride}, "
        f"padding={padding}, dilation={dilation})</b>"
    )
    shape = f"{in_channels}×{input_size}×{input_size}"
    head = T("{layer} on a {shape} input", layer=layer, shape=shape)
    try:
        rep = describe_layer(spec, (in_channels, input_size, input_size))
    except ValueError as err:
        body = T(
            "<p style='color:#b00'>Invalid layer: {why}</p>", why=html.escape(str(err))
        )
        return (
            "<div style='font-family:sans-serif;font-size:14px'>"
            + head
            + body
            + "</div>"
        )
    rows = _calculator_rows(spec, rep, input_size, in_channels, out_channels)
    cell = "<tr><td style='padding:2px 10px 2px 0;color:#555'>"
    table = join("", (cell + k + "</td><td>" + v + "</td></tr>" for k, v in rows))
    return (
        "<div style='font-family:sans-serif;font-size:14px;line-height:1.5'>"
        + head
        + "<table style='border-collapse:collapse;margin-top:4px'>"
        + table
        + "</table></div>"
    )
