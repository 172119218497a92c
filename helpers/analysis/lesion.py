"""Lesion study: delete one block of a trained network at test time and measure the damage.

Veit, Wilber and Belongie (NeurIPS 2016, "Residual networks behave like ensembles of relatively
shallow networks") removed single residual blocks from a trained ResNet and found that the test
error barely moves, except at the blocks that change the feature-map shape; doing the same to a
plain (VGG-like) network destroys it. This module runs that experiment on any model whose blocks
follow the book's contract (``helpers.models.residual_blocks``; each block has a ``skip_branch``
switch).

A deleted residual block keeps only its shortcut, ``y = shortcut(x)``; a deleted plain block becomes
the identity, which is only possible when its input and output shapes agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import torch
from torch import nn

__all__ = ["LesionRow", "LesionStudy", "lesion_study", "plot_lesion"]


@dataclass
class LesionRow:
    """One deleted block: where it sits and what the error became."""

    index: int  # position of the block, 0 = closest to the input
    stage: int  # 0-based stage; a new stage starts at every shape-changing block
    residual: bool  # True for a residual block, False for a plain one
    downsampling: bool  # the block changes the shape (stride 2 and/or more channels)
    deletable: bool  # False for a plain block that changes shape (it cannot become an identity)
    error: float | None  # error with this block deleted (None if not deletable)


@dataclass
class LesionStudy:
    """Baseline error of the intact model plus one row per block."""

    baseline_error: float
    rows: list[LesionRow] = field(default_factory=list)

    def errors(self) -> list[float | None]:
        """Error after deleting each block, in block order (None where not deletable)."""
        return [row.error for row in self.rows]

    def summary(self) -> dict[str, float]:
        """Mean/max error over deletable blocks, split into downsampling and other blocks."""
        plain = [
            r.error for r in self.rows if r.error is not None and not r.downsampling
        ]
        down = [r.error for r in self.rows if r.error is not None and r.downsampling]
        out = {"baseline_error": self.baseline_error}
        if plain:
            out["mean_error_other_blocks"] = sum(plain) / len(plain)
            out["max_error_other_blocks"] = max(plain)
        if down:
            out["mean_error_downsampling_blocks"] = sum(down) / len(down)
        return out


def _default_evaluate(data, device) -> Callable[[nn.Module], float]:
    from helpers.train import evaluate

    def run(model: nn.Module) -> float:
        with torch.no_grad():
            return float(evaluate(model, data, device=device)["error"])

    return run


def _record_shapes(
    blocks: Sequence[nn.Module],
) -> tuple[list, list[torch.utils.hooks.RemovableHandle]]:
    """Forward hooks that remember each block's first input and output shape."""
    shapes: list = [None] * len(blocks)
    handles = []
    for i, block in enumerate(blocks):

        def hook(module, inputs, output, i=i):
            if shapes[i] is None:
                shapes[i] = (tuple(inputs[0].shape[1:]), tuple(output.shape[1:]))

        handles.append(block.register_forward_hook(hook))
    return shapes, handles


def lesion_study(
    model: nn.Module,
    data=None,
    *,
    evaluate: Callable[[nn.Module], float] | None = None,
    blocks: Sequence[nn.Module] | None = None,
    device: str | torch.device | None = None,
) -> LesionStudy:
    """Delete each block in turn (``block.skip_branch = True``) and measure the error.

    Args:
        model: a trained network from ``helpers.models`` (residual or plain).
        data: a ``helpers.data.Dataset`` evaluated with ``helpers.train.evaluate``; or None when
            ``evaluate`` is given.
        evaluate: optional ``f(model) -> error`` (a fraction in [0, 1]) used instead of ``data``.
        blocks: the blocks to delete; default ``helpers.models.residual_blocks(model)``.
        device: passed to ``helpers.train.evaluate``.

    Returns:
        A :class:`LesionStudy`. The model is left exactly as it was (all blocks re-enabled).
    """
    if evaluate is None:
        if data is None:
            raise ValueError(
                "lesion_study needs either `data` (a helpers.data.Dataset) or `evaluate` (model -> error)"
            )
        evaluate = _default_evaluate(data, device)
    blocks = _checked_blocks(model, blocks)
    was_training = model.training
    model.eval()
    baseline, shapes = _baseline(model, blocks, evaluate)
    study = LesionStudy(baseline_error=float(baseline))
    stage = 0
    for i, block in enumerate(blocks):
        in_shape, out_shape = shapes[i]
        downsampling = in_shape != out_shape
        if downsampling and i > 0:
            stage += 1
        residual = bool(getattr(block, "residual", True))
        deletable = residual or not downsampling
        error = None
        if deletable:
            block.skip_branch = True
            try:
                error = float(evaluate(model))
            finally:
                block.skip_branch = False
        study.rows.append(LesionRow(i, stage, residual, downsampling, deletable, error))
    model.train(was_training)
    return study


def _checked_blocks(
    model: nn.Module, blocks: Sequence[nn.Module] | None
) -> list[nn.Module]:
    """``blocks`` (default ``helpers.models.residual_blocks(model)``), each with a
    ``skip_branch`` switch."""
    if blocks is None:
        from helpers.models import residual_blocks

        blocks = residual_blocks(model)
    blocks = list(blocks)
    if not blocks:
        raise ValueError(
            "lesion_study found no blocks: pass `blocks=` or a model from helpers.models"
        )
    for block in blocks:
        if not hasattr(block, "skip_branch"):
            raise ValueError(
                f"block {type(block).__name__} has no `skip_branch` switch; use blocks from helpers.models.residual_blocks"
            )
    return blocks


def _baseline(
    model: nn.Module,
    blocks: list[nn.Module],
    evaluate: Callable[[nn.Module], float],
) -> tuple[float, list]:
    """The intact model's error, and each block's (input shape, output shape) seen while
    measuring it (or read from its ``changes_shape`` flag when it was not called)."""
    shapes, handles = _record_shapes(blocks)
    try:
        baseline = evaluate(model)
    finally:
        for h in handles:
            h.remove()
    for i, block in enumerate(blocks):
        if shapes[i] is None and hasattr(block, "changes_shape"):
            shapes[i] = ((), (1,)) if block.changes_shape else ((), ())
        if shapes[i] is None:
            raise ValueError(
                "a block was not called during evaluation; are the blocks part of this model?"
            )
    return baseline, shapes


def plot_lesion(
    studies: dict[str, LesionStudy],
    *,
    ax: plt.Axes | None = None,
    title: str | None = "Deleting one block at test time",
    provenance: str | None = None,
) -> plt.Figure:
    """Plot error (%) against the index of the deleted block, one line per model.

    Downsampling blocks are marked with hollow markers and a grey band; plain blocks that cannot be
    deleted are left out. The intact model's error is a dashed line in the same colour. The legend
    sits below the axes, where it covers no line. ``provenance`` is ignored (caption).
    """
    from helpers.core.figstyle import figsize, network_style

    del provenance
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize(4.4), layout="constrained")
    else:
        fig = ax.figure
    marked: set[int] = set()
    for k, (name, study) in enumerate(studies.items()):
        color = network_style(name).get("color", f"C{k}")
        xs = [r.index + 1 for r in study.rows if r.error is not None]
        ys = [100 * r.error for r in study.rows if r.error is not None]
        ax.plot(
            xs, ys, "-o", color=color, ms=4, lw=1.2, label=f"{name}: one block deleted"
        )
        ax.axhline(
            100 * study.baseline_error,
            color=color,
            ls="--",
            lw=1,
            label=f"{name}: intact",
        )
        down = [r for r in study.rows if r.downsampling and r.error is not None]
        ax.plot(
            [r.index + 1 for r in down],
            [100 * r.error for r in down],
            "o",
            ms=8,
            mfc="none",
            color=color,
        )
        for r in study.rows:
            if r.downsampling and r.index not in marked:
                marked.add(r.index)
                ax.axvspan(r.index + 0.6, r.index + 1.4, color="0.85", zorder=0)
    ax.set_xlabel("deleted block (1 = nearest the input; grey = shape-changing block)")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(0, 100)
    if title:
        ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    ax.grid(alpha=0.3)
    return fig
