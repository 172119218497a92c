"""Stage diagrams of residual and plain networks, drawn with matplotlib.

:mod:`helpers.book.arch_spec` says what a diagram shows (``ArchSpec``: stem, stages of blocks,
head; He et al. 2016, Table 1 and Sec. 4.2); this module places it and draws it. ``draw_arch``
draws one box per stage whose width grows with the number of blocks, skip arcs over each block
when the blocks are residual. The layout (:func:`_layout`: where every box, arrow and line
goes, wrapping onto more rows for deep networks) is computed first, without matplotlib; the
drawing then only follows it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from helpers.book.arch_spec import (
    ArchSpec,
    StageSpec,
    arch_from_model,
    cifar_arch,
    imagenet_arch,
)

__all__ = [
    "StageSpec",
    "ArchSpec",
    "cifar_arch",
    "imagenet_arch",
    "arch_from_model",
    "draw_arch",
    "ONE_ROW_UNITS",
]

_COLORS = {
    "basic": "#cfe2f3",
    "bottleneck": "#d9ead3",
    "plain": "#eeeeee",
    "preact": "#fce5cd",
}


FONT_PT = 9  # labels: 9 pt at the book's 100 dpi is 12.5 CSS px (helpers.core.figstyle)
ROW_UNITS = 12.6  # drawing units per row; a longer network wraps onto the next row
# Wide enough for every CIFAR network up to n = 18 blocks per stage in one row: a slider over
# those uses it so that no setting leaves an empty second row in the picture.
ONE_ROW_UNITS = 16.5


def _elements(
    spec: ArchSpec,
) -> list[tuple[str, float, str, str, float, StageSpec | None]]:
    """(kind, width, label, colour, height, stage) for input, stem, every stage and the head."""
    max_channels = max(s.channels for s in spec.stages)
    items = [
        (  # input and stem boxes wide enough that their labels never touch (9 pt)
            "input",
            1.2,
            f"input\n{spec.input_size}x{spec.input_size}",
            "white",
            0.6,
            None,
        ),
        (
            "stem",
            2.0,
            f"{spec.stem}\n{spec.stem_size}x{spec.stem_size}",
            "#fff2cc",
            0.8,
            None,
        ),
    ]
    for stage in spec.stages:
        width = max(2.3, 1.0 + 0.5 * stage.blocks**0.5)  # room for a 9 pt label
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


GAP = 0.4  # between two boxes of a row
ROW_HEIGHT = 2.6  # from one row to the next, labels included
BOX_H = 1.0  # the band a box is centred in

# A drawing primitive: ("box", x, y0, w, text, colour, height), ("blocks", stage, x, y0, w,
# height), ("arrow", x1, y1, x2, y2) or ("line", xs, ys).
Op = tuple


def _layout(spec: ArchSpec, row_units: float) -> tuple[list[Op], float, int]:
    """(primitives in drawing order, rightmost x, number of rows) of ``spec``'s diagram."""
    rows = _rows(_elements(spec), GAP, row_units)
    ops: list[Op] = []
    right = 0.0
    for r, row in enumerate(rows):
        y0 = -r * ROW_HEIGHT
        x = 0.0
        if r > 0:  # continue from the previous row: elbow down the left margin
            ops.append(("arrow", -0.3, y0 + BOX_H / 2, 0.0, y0 + BOX_H / 2))
        for i, (_kind, w, text, color, height, stage) in enumerate(row):
            ops.append(("box", x, y0, w, text, color, height))
            if stage is not None:
                ops.append(("blocks", stage, x, y0, w, height))
            x += w
            right = max(right, x)
            if i + 1 < len(row):
                ops.append(("arrow", x, y0 + BOX_H / 2, x + GAP, y0 + BOX_H / 2))
                x += GAP
        if r + 1 < len(rows):  # leave this row to the right and come back on the left
            mid = y0 - 1.35  # below this row's labels, above the next row's boxes
            xs = [x, x + 0.2, x + 0.2, -0.3, -0.3]
            ys = [y0 + BOX_H / 2, y0 + BOX_H / 2, mid, mid, y0 - ROW_HEIGHT + BOX_H / 2]
            ops.append(("line", xs, ys))
    return ops, right, len(rows)


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
    ops, right, rows = _layout(spec, row_units)
    n_rows = max(rows, min_rows)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.2, 0.55 + 1.6 * n_rows))
    else:
        fig = ax.figure
    ax.set_axis_off()
    for op in ops:
        _draw(ax, op, max_ticks)
    pad = (max(right, row_units) - right) / 2  # a short network sits in the middle
    ax.set_xlim(-0.45 - pad, right + 0.3 + pad)
    ax.set_ylim(-(n_rows - 1) * ROW_HEIGHT - 0.85, 1.35)
    title = f"{spec.name}: {spec.depth} weighted layers" + (
        " (red arcs: identity shortcuts)" if spec.residual else " (no shortcuts)"
    )
    ax.set_title(title, fontsize=FONT_PT + 1)
    if caption:
        fig.text(
            0.01, 0.01, caption, fontsize=FONT_PT, color="0.3", ha="left", va="bottom"
        )
    return fig


def _draw(ax: plt.Axes, op: Op, max_ticks: int) -> None:
    """Draw one primitive of :func:`_layout`."""
    kind, *args = op
    if kind == "box":
        _draw_box(ax, *args)
    elif kind == "blocks":
        _draw_blocks(ax, *args, max_ticks)
    elif kind == "arrow":
        _draw_arrow(ax, *args)
    else:
        ax.plot(*args, color="0.3", lw=0.9)


def _draw_box(
    ax: plt.Axes, x: float, y0: float, w: float, text: str, color: str, height: float
) -> None:
    """A rounded box centred in its row's band, its label below it."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y0 + (BOX_H - height) / 2),
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


def _draw_arrow(ax: plt.Axes, x1: float, y1: float, x2: float, y2: float) -> None:
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
