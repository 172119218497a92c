"""Small, consistent matplotlib plots of training histories, images and confusion matrices.

Every function takes ``provenance=`` (a line from helpers.provenance.provenance_text) and writes
it as a small grey caption under the axes, so a figure always says where its numbers came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["plot_history", "show_images", "plot_confusion", "add_provenance", "METRICS"]

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
    """Write ``text`` as a small grey caption at the bottom of the figure."""
    if not text:
        return
    fig = fig_or_ax.figure if hasattr(fig_or_ax, "figure") and not isinstance(fig_or_ax, plt.Figure) else fig_or_ax
    fig.text(0.01, 0.005, text, fontsize=7, color="0.45", ha="left", va="bottom")
    fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, 0.18))


def plot_history(
    histories: dict[str, Any],
    metric: str = "train_error",
    ax: plt.Axes | None = None,
    title: str | None = None,
    provenance: str | None = None,
    *,
    styles: dict[str, dict] | None = None,
    logy: bool = False,
) -> plt.Axes:
    """Plot one metric for several runs, e.g. ``{"plain-20": h1, "plain-56": h2}``.

    Epoch metrics: train_error, val_error, train_loss, val_loss, lr (x = epoch).
    Step metrics: error, loss, step_lr (x = iteration). Errors are shown in percent.
    A diverged run (``history.diverged``) gets an x marker where it stopped.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid: {sorted(METRICS)}")
    level, label, scale = METRICS[metric]
    key = "lr" if metric == "step_lr" else metric
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for name, h in histories.items():
        x, y = h.series(key, level)
        style = (styles or {}).get(name, {})
        (line,) = ax.plot(x, [v * scale for v in y], label=name, **style)
        if h.diverged and x:
            ax.plot(x[-1], y[-1] * scale if np.isfinite(y[-1]) else ax.get_ylim()[1], "x", color=line.get_color())
    ax.set_xlabel("epoch" if level == "epochs" else "iteration")
    ax.set_ylabel(label)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(histories) > 1 or ax.get_legend() is not None:
        ax.legend(frameon=False, fontsize=8)
    add_provenance(ax, provenance)
    return ax


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
    size: float = 1.2,
    title: str | None = None,
) -> plt.Figure:
    """Grid of images ((N, C, H, W) uint8 or float tensors), titled with class names."""
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = _to_hwc(images[i])
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0 if img.dtype == np.uint8 else None,
                  vmax=255 if img.dtype == np.uint8 else None)
        if labels is not None:
            lab = int(labels[i])
            ax.set_title(classes[lab] if classes is not None else str(lab), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    add_provenance(fig, provenance)
    return fig


def plot_confusion(
    confusion: torch.Tensor | np.ndarray,
    classes: Sequence[str] | None = None,
    ax: plt.Axes | None = None,
    *,
    normalize: bool = True,
    title: str | None = None,
    provenance: str | None = None,
) -> plt.Axes:
    """Confusion matrix (rows: true class, columns: predicted); row-normalised by default."""
    cm = confusion.cpu().numpy() if isinstance(confusion, torch.Tensor) else np.asarray(confusion)
    cm = cm.astype(float)
    if normalize:
        cm = cm / np.clip(cm.sum(1, keepdims=True), 1, None)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.6))
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    k = cm.shape[0]
    names = list(classes) if classes is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(k), names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            if cm[i, j] >= (0.01 if normalize else 1):
                ax.text(j, i, f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}", ha="center", va="center",
                        fontsize=6, color="white" if cm[i, j] > 0.5 * cm.max() else "black")
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    add_provenance(ax, provenance)
    return ax
