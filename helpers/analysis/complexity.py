"""How big and how expensive is a model? Parameters, multiply-adds and per-layer tables.

MACs (multiply-accumulates) are counted with ``torch.utils.flop_counter.FlopCounterMode``,
which counts 2 FLOPs per multiply-add of convolutions and matrix products; so MACs = FLOPs / 2.
This is the unit of the ResNet paper's "FLOPs" column (He et al. 2016, Table 1: "multiply-adds").
Element-wise work (BN, ReLU, additions, pooling) is not counted, as in the paper.

The forward pass runs on the ``meta`` device (shapes only, no memory, no arithmetic) with the
model in eval mode; the model's own weights and training mode are left untouched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.utils.flop_counter import FlopCounterMode

from helpers.core.text import T, Text, in_language, join

Row = dict[str, Any]


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of parameters (only those with ``requires_grad`` if ``trainable_only``)."""
    return sum(
        p.numel() for p in model.parameters() if p.requires_grad or not trainable_only
    )


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _meta_forward(
    model: nn.Module,
    input_size: Sequence[int],
    hooks_on: dict[str, nn.Module],
) -> tuple[FlopCounterMode, dict[str, Row]]:
    """Run one shape-only forward pass; record output shape and MACs of each module in hooks_on."""
    if len(input_size) != 4:
        raise ValueError(
            f"input_size must be (batch, channels, height, width); got {tuple(input_size)}"
        )
    tensors = dict(model.named_parameters())
    tensors.update(model.named_buffers())
    meta = {k: torch.empty_like(v, device="meta") for k, v in tensors.items()}
    x = torch.zeros(tuple(input_size), device="meta")
    records: dict[str, Row] = {}
    counter = FlopCounterMode(display=False)
    handles = []

    def pre_hook(name: str):
        def hook(module: nn.Module, args: Any) -> None:
            records.setdefault(name, {"_start": 0, "macs": 0})["_start"] = (
                counter.get_total_flops()
            )

        return hook

    def post_hook(name: str):
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            rec = records[name]
            rec["macs"] += (counter.get_total_flops() - rec["_start"]) // 2
            out = output[0] if isinstance(output, (tuple, list)) else output
            rec["output_shape"] = (
                tuple(out.shape) if isinstance(out, torch.Tensor) else None
            )
            rec["order"] = rec.get("order", len(records))

        return hook

    for name, module in hooks_on.items():
        handles.append(module.register_forward_pre_hook(pre_hook(name)))
        handles.append(module.register_forward_hook(post_hook(name)))
    try:
        with _eval_mode(model), torch.no_grad(), counter:
            functional_call(model, meta, (x,))
    finally:
        for h in handles:
            h.remove()
    return counter, records


def count_macs(model: nn.Module, input_size: Sequence[int] = (1, 3, 224, 224)) -> int:
    """Forward multiply-adds for one batch of ``input_size`` (= FLOPs / 2)."""
    counter, _ = _meta_forward(model, input_size, {})
    return int(counter.get_total_flops() // 2)


def layer_summary(
    model: nn.Module,
    input_size: Sequence[int] = (1, 3, 32, 32),
    depth: int | None = None,
) -> list[Row]:
    """Per-layer rows {name, type, output_shape, params, macs} in execution order.

    ``depth=None`` lists every leaf module; ``depth=k`` stops at names with k dotted parts
    (e.g. ``depth=2`` gives ``layer1.0`` blocks), summing parameters and MACs of what is inside.
    Modules that do not run in eval mode (e.g. auxiliary heads) are left out.
    """
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be None or >= 1; got {depth}")
    chosen: dict[str, nn.Module] = {}
    for name, module in model.named_modules():
        if not name:
            continue
        level = name.count(".") + 1
        is_leaf = next(module.children(), None) is None
        if (depth is None and is_leaf) or (
            depth is not None and (level == depth or (is_leaf and level < depth))
        ):
            chosen[name] = module
    _, records = _meta_forward(model, input_size, chosen)
    rows = []
    for name, rec in sorted(records.items(), key=lambda kv: kv[1]["order"]):
        module = chosen[name]
        rows.append(
            {
                "name": name,
                "type": type(module).__name__,
                "output_shape": rec["output_shape"],
                "params": count_parameters(module, trainable_only=False),
                "macs": int(rec["macs"]),
            }
        )
    return rows


def _human(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return f"{n:.0f}"


def _shape(shape: tuple[int, ...] | None) -> str:
    return "—" if shape is None else "×".join(str(s) for s in shape[1:])


def summary_markdown(
    model: nn.Module, input_size: Sequence[int] = (1, 3, 32, 32), depth: int | None = 2
) -> Text:
    """A markdown table of :func:`layer_summary` plus a totals line, in both languages
    (show it with ``helpers.book.outputs.markdown``)."""
    rows = layer_summary(model, input_size, depth)
    header = T("| layer | type | output shape | parameters | MACs |")
    lines = [header, "|---|---|---|---:|---:|"]
    for r in rows:
        lines.append(
            f"| `{r['name']}` | {r['type']} | {_shape(r['output_shape'])} | "
            f"{r['params']:,} | {_human(r['macs'])} |"
        )
    total_macs = count_macs(model, input_size)
    lines.append(
        T(
            "| **total** | | | **{params:,}** | **{macs}** |",
            params=count_parameters(model, False),
            macs=_human(total_macs),
        )
    )
    return join("\n", lines)


def display_summary(
    model: nn.Module, input_size: Sequence[int] = (1, 3, 32, 32), depth: int | None = 2
):
    """:func:`summary_markdown` as an ``IPython.display.Markdown`` object for a notebook cell."""
    from IPython.display import Markdown

    return Markdown(in_language(summary_markdown(model, input_size, depth)))


def stage_table(
    model: nn.Module, input_size: Sequence[int] = (1, 3, 32, 32)
) -> list[Row]:
    """Rows per stage, like the paper's Table 1: {name, paper_name, output_shape, blocks, params, macs}.

    Top-level children holding blocks (``layer1``...) are stages; the children before the first
    stage form the ``stem`` row and those after the last stage the ``head`` row. For a model
    without blocks every top-level child is its own row.
    """
    from helpers.models.introspect import residual_blocks

    children = dict(model.named_children())
    _, records = _meta_forward(model, input_size, children)
    order = sorted(records, key=lambda n: records[n]["order"])
    is_stage = {n: len(residual_blocks(children[n])) > 0 for n in order}
    has_stages = any(is_stage.values())
    rows: list[Row] = []
    stage_index = 0
    for name in order:
        rec, module = records[name], children[name]
        params = count_parameters(module, trainable_only=False)
        if has_stages and not is_stage[name]:
            group = "stem" if stage_index == 0 else "head"
            if rows and rows[-1]["name"] == group:
                rows[-1]["params"] += params
                rows[-1]["macs"] += int(rec["macs"])
                rows[-1]["output_shape"] = rec["output_shape"]
                continue
            rows.append(
                {
                    "name": group,
                    "paper_name": "conv1" if group == "stem" else "fc",
                    "output_shape": rec["output_shape"],
                    "blocks": 0,
                    "params": params,
                    "macs": int(rec["macs"]),
                }
            )
            continue
        if has_stages:
            stage_index += 1
        rows.append(
            {
                "name": name,
                "paper_name": f"conv{stage_index + 1}_x" if has_stages else name,
                "output_shape": rec["output_shape"],
                "blocks": len(residual_blocks(module)),
                "params": params,
                "macs": int(rec["macs"]),
            }
        )
    return rows
