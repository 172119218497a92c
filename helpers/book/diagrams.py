"""Stage diagrams of residual and plain networks, drawn with matplotlib.

A network of the ResNet family is a stem, a few stages of identical blocks (each stage halves the
feature map and widens it), global average pooling and a fully connected layer (He et al. 2016,
Table 1 and Sec. 4.2). ``ArchSpec`` describes exactly that; ``cifar_arch`` / ``imagenet_arch`` build
the paper's configurations, ``arch_from_model`` reads one off any model of ``helpers.models``, and
``draw_arch`` draws it: one box per stage whose width grows with the number of blocks, skip arcs
over each block when the blocks are residual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = [
    "StageSpec",
    "ArchSpec",
    "cifar_arch",
    "imagenet_arch",
    "arch_from_model",
    "draw_arch",
]

BLOCK_TYPES = ("basic", "bottleneck", "plain", "preact")


@dataclass
class StageSpec:
    """One stage: ``blocks`` blocks of one type, output ``channels`` at ``size`` x ``size``."""

    name: str
    blocks: int
    channels: int
    size: int
    block: str = "basic"  # one of BLOCK_TYPES


@dataclass
class ArchSpec:
    """A whole network: stem, stages, head."""

    name: str
    stem: str  # e.g. "3x3 conv, 16"
    stem_size: int  # feature-map side after the stem
    stages: list[StageSpec] = field(default_factory=list)
    head: str = "avg pool, fc"
    input_size: int = 32

    @property
    def residual(self) -> bool:
        return any(s.block != "plain" for s in self.stages)

    @property
    def depth(self) -> int:
        """Weighted layers: stem conv + layers in all blocks + fc (the paper's counting)."""
        per_block = {"basic": 2, "plain": 2, "preact": 2, "bottleneck": 3}
        return 1 + sum(per_block[s.block] * s.blocks for s in self.stages) + 1


def _check_block(block: str) -> None:
    if block not in BLOCK_TYPES:
        raise ValueError(
            f"unknown block type {block!r}; choose one of {', '.join(BLOCK_TYPES)}"
        )


def cifar_arch(
    depth: int = 20, block: str = "basic", width: int = 16, input_size: int = 32
) -> ArchSpec:
    """The paper's CIFAR-10 nets (Sec. 4.2): 6n+2 layers (basic/plain), 9n+2 with bottlenecks.

    Bottleneck stages output 4x their base width, as in the pre-activation ResNet-164
    (He et al. 2016, "Identity Mappings").
    """
    _check_block(block)
    layers_per_block = 3 if block == "bottleneck" else 2
    per_stage, rest = divmod(depth - 2, 3 * layers_per_block)
    if rest or per_stage < 1:
        form = (
            "9n+2 (11, 20, 29, ..., 164)"
            if block == "bottleneck"
            else "6n+2 (8, 14, 20, 32, 44, 56, 110, ...)"
        )
        raise ValueError(f"a CIFAR {block} net needs depth {form}; got {depth}")
    expansion = 4 if block == "bottleneck" else 1
    sizes = [input_size, (input_size + 1) // 2, (input_size + 3) // 4]
    stages = [
        StageSpec(
            f"stage {i + 1}", per_stage, width * 2**i * expansion, sizes[i], block
        )
        for i in range(3)
    ]
    kind = {
        "basic": "ResNet-{}",
        "plain": "plain-{}",
        "preact": "pre-act ResNet-{}",
        "bottleneck": "ResNet-{} (bottleneck)",
    }[block]
    return ArchSpec(
        kind.format(depth),
        f"3x3 conv, {width}",
        input_size,
        stages,
        "avg pool, fc",
        input_size,
    )


_IMAGENET_LAYERS = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}


def imagenet_arch(depth: int = 50, plain: bool = False) -> ArchSpec:
    """The paper's ImageNet nets (Table 1): 18/34 basic, 50/101/152 bottleneck; plain-18/34."""
    if depth not in _IMAGENET_LAYERS:
        raise ValueError(
            f"ImageNet ResNet depth must be one of {sorted(_IMAGENET_LAYERS)}; got {depth}"
        )
    block = "plain" if plain else ("basic" if depth < 50 else "bottleneck")
    if plain and depth >= 50:
        raise ValueError("the paper's plain ImageNet nets are plain-18 and plain-34")
    expansion = 4 if depth >= 50 else 1
    stages = [
        StageSpec(f"conv{i + 2}_x", n, 64 * 2**i * expansion, 56 // 2**i, block)
        for i, n in enumerate(_IMAGENET_LAYERS[depth])
    ]
    name = f"{'plain' if plain else 'ResNet'}-{depth}"
    return ArchSpec(
        name,
        "7x7 conv, 64, /2\n3x3 max pool, /2",
        56,
        stages,
        "avg pool, 1000-d fc",
        224,
    )


def arch_from_model(
    model, input_size: tuple[int, ...] = (1, 3, 32, 32), name: str | None = None
) -> ArchSpec:
    """Read the stages off a ``helpers.models`` network by running one input through it.

    Blocks come from ``helpers.models.residual_blocks``; a new stage starts at every block whose
    output shape differs from its input's.
    """
    import torch

    from helpers.models import residual_blocks

    blocks = residual_blocks(model)
    if not blocks:
        raise ValueError(
            "the model has no blocks (helpers.models.residual_blocks returned none)"
        )
    shapes: list = [None] * len(blocks)
    handles = []
    for i, b in enumerate(blocks):
        handles.append(
            b.register_forward_hook(
                lambda m, inp, out, i=i: shapes.__setitem__(
                    i, (inp[0].shape, out.shape)
                )
            )
        )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            param = next(model.parameters())
            model(torch.zeros(input_size, device=param.device, dtype=param.dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    def kind(b) -> str:
        if not getattr(b, "residual", True):
            return "plain"
        names = {n for n, _ in b.named_children()}
        if "conv3" in names:
            return "bottleneck"
        return "preact" if "preact" in type(b).__name__.lower() else "basic"

    stages: list[StageSpec] = []
    for i, (b, (inp, out)) in enumerate(zip(blocks, shapes, strict=False)):
        if not stages or inp[-1] != out[-1]:
            stages.append(
                StageSpec(
                    f"stage {len(stages) + 1}", 0, int(out[1]), int(out[-1]), kind(b)
                )
            )
        stages[-1].blocks += 1
        stages[-1].channels = int(out[1])
    stem_channels = int(shapes[0][0][1])
    return ArchSpec(
        name or type(model).__name__,
        f"stem, {stem_channels}",
        int(shapes[0][0][-1]),
        stages,
        "avg pool, fc",
        int(input_size[-1]),
    )


_COLORS = {
    "basic": "#cfe2f3",
    "bottleneck": "#d9ead3",
    "plain": "#eeeeee",
    "preact": "#fce5cd",
}


FONT_PT = 9  # labels: 9 pt at the book's 100 dpi is 12.5 CSS px (helpers.core.figstyle)
ROW_UNITS = 12.6  # drawing units per row; a longer network wraps onto the next row


def _elements(
    spec: ArchSpec,
) -> list[tuple[str, float, str, str, float, StageSpec | None]]:
    """(kind, width, label, colour, height, stage) for input, stem, every stage and the head."""
    max_channels = max(s.channels for s in spec.stages)
    items = [
        (
            "input",
            1.0,
            f"input\n{spec.input_size}x{spec.input_size}",
            "white",
            0.6,
            None,
        ),
        (
            "stem",
            1.6,
            f"{spec.stem}\n{spec.stem_size}x{spec.stem_size}",
            "#fff2cc",
            0.8,
            None,
        ),
    ]
    for stage in spec.stages:
        width = max(2.0, 1.0 + 0.5 * stage.blocks**0.5)
        height = 0.55 + 0.45 * (stage.channels / max_channels) ** 0.5
        label = (
            f"{stage.name}\n{stage.blocks} x {stage.block}\n"
            f"{stage.channels} ch, {stage.size}x{stage.size}"
        )
        items.append(
            ("stage", width, label, _COLORS.get(stage.block, "#eeeeee"), height, stage)
        )
    items.append(("head", 1.5, spec.head.replace(", ", "\n"), "#f4cccc", 0.8, None))
    return items


def _rows(items: list, gap: float, row_units: float) -> list[list]:
    rows: list[list] = [[]]
    used = 0.0
    for item in items:
        if rows[-1] and used + item[1] > row_units:
            rows.append([])
            used = 0.0
        rows[-1].append(item)
        used += item[1] + gap
    return rows


def draw_arch(
    spec: ArchSpec,
    *,
    ax: plt.Axes | None = None,
    caption: str | None = None,
    max_ticks: int = 40,
    row_units: float = ROW_UNITS,
    min_rows: int = 1,
) -> plt.Figure:
    """Draw ``spec``: input, stem, stages (width ~ sqrt(blocks)), pooling and fc.

    Each block is a tick inside its stage box; residual blocks get a small skip arc (drawn for up to
    ``max_ticks`` blocks per stage) so plain and residual nets differ at a glance. The drawing
    wraps onto a new row when it would be wider than ``row_units``, so that its labels (9 pt)
    stay legible at the page's content width for deep networks such as ResNet-110 too.
    ``min_rows`` reserves room for that many rows, so that the diagrams of a slider keep one
    geometry whatever the depth.
    """
    gap = 0.4
    rows = _rows(_elements(spec), gap, row_units)
    n_rows = max(len(rows), min_rows)
    row_height = 2.6
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.2, 0.55 + 1.6 * n_rows))
    else:
        fig = ax.figure
    ax.set_axis_off()
    h = 1.0

    def box(
        x: float, y0: float, w: float, text: str, color: str, height: float
    ) -> None:
        ax.add_patch(
            FancyBboxPatch(
                (x, y0 + (h - height) / 2),
                w,
                height,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                fc=color,
                ec="0.3",
                lw=0.8,
            )
        )
        ax.text(
            x + w / 2,
            y0 - 0.12,
            text,
            ha="center",
            va="top",
            fontsize=FONT_PT,
            linespacing=1.15,
        )

    def arrow(x1: float, y1: float, x2: float, y2: float) -> None:
        ax.add_patch(
            FancyArrowPatch(
                (x1, y1),
                (x2, y2),
                arrowstyle="-|>",
                mutation_scale=9,
                lw=0.9,
                color="0.3",
            )
        )

    right = 0.0
    for r, row in enumerate(rows):
        y0 = -r * row_height
        x = 0.0
        if r > 0:  # continue from the previous row: elbow down the left margin
            arrow(-0.3, y0 + h / 2, 0.0, y0 + h / 2)
        for i, (_kind, w, text, color, height, stage) in enumerate(row):
            box(x, y0, w, text, color, height)
            if stage is not None:
                _draw_blocks(ax, stage, x, y0, w, height, max_ticks)
            x += w
            right = max(right, x)
            if i + 1 < len(row):
                arrow(x, y0 + h / 2, x + gap, y0 + h / 2)
                x += gap
        if r + 1 < len(rows):  # leave this row to the right and come back on the left
            mid = y0 - 1.35  # below this row's labels, above the next row's boxes
            ax.plot(
                [x, x + 0.2, x + 0.2, -0.3, -0.3],
                [y0 + h / 2, y0 + h / 2, mid, mid, y0 - row_height + h / 2],
                color="0.3",
                lw=0.9,
            )
    ax.set_xlim(-0.45, max(right, row_units) + 0.3)
    ax.set_ylim(-(n_rows - 1) * row_height - 0.85, 1.35)
    title = f"{spec.name}: {spec.depth} weighted layers" + (
        " (red arcs: identity shortcuts)" if spec.residual else " (no shortcuts)"
    )
    ax.set_title(title, fontsize=FONT_PT + 1)
    if caption:
        fig.text(
            0.01, 0.01, caption, fontsize=FONT_PT, color="0.3", ha="left", va="bottom"
        )
    return fig


def _draw_blocks(
    ax: plt.Axes,
    stage: StageSpec,
    x: float,
    y0: float,
    w: float,
    height: float,
    max_ticks: int,
) -> None:
    """One tick per block inside a stage box, with a red skip arc over each residual block."""
    ticks = min(stage.blocks, max_ticks)
    for t in range(ticks):
        bx = x + w * (t + 0.5) / ticks
        ax.plot(
            [bx, bx],
            [y0 + 0.5 - height / 3, y0 + 0.5 + height / 3],
            color="0.35",
            lw=0.8 if ticks < 20 else 0.5,
        )
        if stage.block != "plain":
            step = w / ticks
            ax.add_patch(
                FancyArrowPatch(
                    (bx - 0.45 * step, y0 + 0.5 + height / 2),
                    (bx + 0.45 * step, y0 + 0.5 + height / 2),
                    connectionstyle="arc3,rad=-0.6",
                    arrowstyle="-",
                    lw=0.7,
                    color="#c0392b",
                )
            )
