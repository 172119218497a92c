"""Small, consistent matplotlib plots of training histories, images and confusion matrices.

Figures are drawn for the width at which the website shows them (``helpers.core.figstyle``: 7.2 in
at 100 dpi, no text under 8 pt). Where a figure's numbers came from (dataset, profile, device,
seed) belongs in its caption, not in the image: the chapters paste a
:func:`helpers.book.provenance.provenance_text` line into the caption with ``myst_nb.glue``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.core.figstyle import MIN_FONT_PT, figsize, network_style
from helpers.train.callbacks import LivePlot

__all__ = [
    "plot_history",
    "show_images",
    "plot_confusion",
    "add_provenance",
    "live_plot",
    "METRICS",
]

METRICS = {
    "train_error": ("epochs", "training error (%)", 100.0),
    "val_error": ("epochs", "test error (%)", 100.0),
    "train_loss": ("epochs", "training loss", 1.0),
    "val_loss": ("epochs", "test loss", 1.0),
    "lr": ("epochs", "learning rate", 1.0),
    "error": ("steps", "training error (%)", 100.0),
    "loss": ("steps", "training loss", 1.0),
    "step_lr": ("steps", "learning rate", 1.0),
}


def add_provenance(fig_or_ax: Any, text: str | None) -> None:
    """Kept so that older calls still run; draws nothing.

    Provenance now goes into the figure's caption (issue 10 of the book: tiny grey text inside
    an image is unreadable on a phone and invisible to screen readers).
    """
    del fig_or_ax, text


def plot_history(
    histories: dict[str, Any],
    metric: str = "train_error",
    ax: plt.Axes | None = None,
    title: str | None = None,
    provenance: str | None = None,
    *,
    styles: dict[str, dict] | None = None,
    logy: bool = False,
    clip: float | None = None,
) -> plt.Axes:
    """Plot one metric for several runs, e.g. ``{"plain-20": h1, "plain-56": h2}``.

    Epoch metrics: train_error, val_error, train_loss, val_loss, lr (x = epoch).
    Step metrics: error, loss, step_lr (x = iteration). Errors are shown in percent.
    A diverged run (``history.diverged``) gets an x marker where it stopped. ``clip`` caps the
    y-axis: values above it are drawn at the cap, with a triangle where a curve leaves the plot,
    so that one exploding run does not squash the others. ``provenance`` is ignored (caption).
    A run named after a network ("plain-20", "resnet-56") is drawn in that network's colour
    (:func:`helpers.core.figstyle.network_style`); ``styles`` overrides it.
    """
    del provenance
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid: {sorted(METRICS)}")
    level, label, scale = METRICS[metric]
    key = "lr" if metric == "step_lr" else metric
    if ax is None:
        _, ax = plt.subplots(figsize=figsize(3.4), layout="constrained")
    for name, h in histories.items():
        x, y = h.series(key, level)
        ys = np.array([v * scale for v in y], dtype=float)
        style = {**network_style(name), **(styles or {}).get(name, {})}
        _draw_curve(ax, x, ys, name, style, clip, h.diverged)
    ax.set_xlabel("epoch" if level == "epochs" else "iteration")
    ax.set_ylabel(label)
    if logy:
        ax.set_yscale("log")
    if clip is not None:
        ax.set_ylim(top=clip)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(histories) > 1 or ax.get_legend() is not None:
        ax.legend(frameon=False)
    return ax


def _draw_curve(ax, x, ys, name: str, style: dict, clip, diverged: bool) -> None:
    """One run's curve; capped at ``clip`` (a triangle where it leaves the plot) and an x
    where a diverged run stopped."""
    if clip is not None:
        over = ~np.isfinite(ys) | (ys > clip)
        (line,) = ax.plot(x, np.where(over, clip, ys), label=name, **style)
        if over.any():
            first = int(np.argmax(over))
            ax.plot(x[first], clip, "^", color=line.get_color(), ms=8, clip_on=False)
    else:
        (line,) = ax.plot(x, ys, label=name, **style)
    if diverged and len(x):
        last = ys[-1] if np.isfinite(ys[-1]) else np.inf
        y_mark = min(last, clip) if clip is not None else last
        if not np.isfinite(y_mark):
            y_mark = ax.get_ylim()[1]
        ax.plot(x[-1], y_mark, "x", color=line.get_color(), ms=9, mew=2, clip_on=False)


def _to_hwc(img: torch.Tensor | np.ndarray) -> np.ndarray:
    a = img.detach().cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
    if a.ndim == 3 and a.shape[0] in (1, 3):
        a = a.transpose(1, 2, 0)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.dtype != np.uint8:
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo + 1e-12)
    return a


def show_images(
    images: torch.Tensor | Sequence,
    labels: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] | None = None,
    ncols: int = 8,
    *,
    provenance: str | None = None,
    size: float | None = None,
    title: str | None = None,
    fontsize: float = 9,
) -> plt.Figure:
    """Grid of images ((N, C, H, W) uint8 or float tensors), titled with class names.

    The grid is as wide as the content column; ``size`` (inches per image) overrides that.
    ``provenance`` is ignored (it belongs in the caption).
    """
    del provenance
    if fontsize < MIN_FONT_PT:
        raise ValueError(f"fontsize must be at least {MIN_FONT_PT} pt; got {fontsize}")
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    cell = size or figsize()[0] / ncols
    has_titles = labels is not None
    lines = 1
    if has_titles and classes is not None:
        lines = max(str(c).count("\n") + 1 for c in classes)
    title_in = (lines * fontsize * 1.35 / 72) if has_titles else 0.0
    height = nrows * (cell + title_in) + (0.35 if title else 0.0)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(cell * ncols, height),
        squeeze=False,
        layout="constrained",
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = _to_hwc(images[i])
        is_byte = img.dtype == np.uint8
        ax.imshow(
            img,
            cmap="gray" if img.ndim == 2 else None,
            vmin=0 if is_byte else None,
            vmax=255 if is_byte else None,
        )
        if labels is not None:
            lab = int(labels[i])
            ax.set_title(
                classes[lab] if classes is not None else str(lab), fontsize=fontsize
            )
    if title:
        fig.suptitle(title)
    return fig


def plot_confusion(
    confusion: torch.Tensor | np.ndarray,
    classes: Sequence[str] | None = None,
    ax: plt.Axes | None = None,
    *,
    normalize: bool = True,
    title: str | None = None,
    provenance: str | None = None,
    percent: bool = True,
) -> plt.Axes:
    """Confusion matrix (rows: true class, columns: predicted); row-normalised by default.

    Normalised cells are written as whole percentages (``percent=True``), which fit the cells
    at a readable size, and the colour bar runs from 0 to 100 %; cells under 1 % are left
    blank. ``provenance`` is ignored (caption).
    """
    del provenance
    cm = (
        confusion.cpu().numpy()
        if isinstance(confusion, torch.Tensor)
        else np.asarray(confusion)
    )
    cm = cm.astype(float)
    if normalize:
        cm = cm / np.clip(cm.sum(1, keepdims=True), 1, None)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize(6.0), layout="constrained")
    scale = 100.0 if normalize and percent else 1.0  # the colour bar in the cells' unit
    im = ax.imshow(scale * cm, cmap="Blues", vmin=0, vmax=scale if normalize else None)
    k = cm.shape[0]
    names = list(classes) if classes is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    _write_cells(ax, cm, normalize, percent)
    bar = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    if normalize:
        bar.set_label("share of the true class" + (" (%)" if percent else ""))
    if title:
        ax.set_title(title)
    return ax


def _write_cells(ax: plt.Axes, cm: np.ndarray, normalize: bool, percent: bool) -> None:
    """Each cell's value in the cell (blank under 1 % or 1), white on the darker half."""
    dark = 0.5 * (1.0 if normalize else cm.max())
    k = cm.shape[0]
    for i in range(k):
        for j in range(k):
            if cm[i, j] < (0.01 if normalize else 1):
                continue
            if normalize:
                text = f"{100 * cm[i, j]:.0f}" if percent else f"{cm[i, j]:.2f}"
            else:
                text = f"{int(cm[i, j])}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=MIN_FONT_PT + 0.5,
                color="white" if cm[i, j] > dark else "black",
            )


def live_plot() -> LivePlot:
    """A callback for ``fit(..., callbacks=[live_plot()])``: the training and test/val
    error curves, redrawn in the notebook after every epoch."""

    def draw(history):
        ax = plot_history({"training": history}, metric="train_error")
        if any(r.get("val_error") is not None for r in history.epochs):
            plot_history({"test/val": history}, metric="val_error", ax=ax)
        ax.set_ylabel("error (%)")
        ax.legend(frameon=False, fontsize=8)
        return ax.figure

    return LivePlot(draw)
