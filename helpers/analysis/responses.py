"""Response magnitudes of residual functions (He et al. 2016, Sec. 4.2, Figure 7).

The paper measures the standard deviation of each layer's response (the output of a 3x3 layer
after batch normalisation, before the addition and the ReLU) on the CIFAR-10 test set. For a ResNet
this is the size of the residual function F(x): the paper finds it smaller than the corresponding
responses of a plain net, and smaller still in deeper ResNets — the residual functions stay close
to zero, i.e. each block only nudges its input.

We read the response of every block at its ``branch_out`` hook (an ``nn.Identity`` that every block
of ``helpers.models`` applies to F(x) right before the add; a plain block applies it to its stacked
output before the final ReLU), so there is one number per block (the paper plots both 3x3 layers).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from torch import nn

__all__ = ["branch_response_std", "first_batch", "plot_responses"]


def first_batch(
    data,
    n: int = 500,
    device: str | torch.device | None = None,
    *,
    model: nn.Module | None = None,
    normalize: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` images and labels of a ``helpers.data.Dataset``, normalised, not augmented.

    With ``model``, the images are normalised as that model was trained (its recorded
    normalisation, e.g. the paper's per-pixel mean); otherwise with ``normalize`` ("channel"
    when None) and the statistics of ``data``.
    """
    from helpers.core.device import resolve_device
    from helpers.data import Normalization
    from helpers.train import model_inputs

    if model is not None:
        if normalize is not None:
            raise ValueError(
                "give `model` (its own normalisation is used) or `normalize`, not both"
            )
        return model_inputs(model, data, n, device)
    n = min(n, len(data))
    device = resolve_device("cpu" if device is None else device)
    x = Normalization.of(normalize or "channel", data)(data.images[:n].to(device))
    return x, data.labels[:n].to(device)


@torch.no_grad()
def branch_response_std(
    model: nn.Module,
    images: torch.Tensor,
    *,
    blocks: Sequence[nn.Module] | None = None,
    batch_size: int = 250,
) -> list[float]:
    """Standard deviation of each block's branch output over a batch of images.

    Args:
        model: a network from ``helpers.models`` (residual or plain); evaluated in eval mode.
        images: normalised float images (N, C, H, W) on the model's device.
        blocks: blocks to probe (default ``helpers.models.residual_blocks(model)``); each needs a
            ``branch_out`` submodule.
        batch_size: images per forward pass (memory only; the result does not depend on it).

    Returns:
        One std per block, input to output: the std over all N x C x H x W response values,
        computed from running sums so it is exact for any batch size.
    """
    blocks = _checked_blocks(model, blocks)
    sums = [torch.zeros((), dtype=torch.float64) for _ in blocks]
    squares = [torch.zeros((), dtype=torch.float64) for _ in blocks]
    counts = [0 for _ in blocks]

    def make_hook(i: int):
        def hook(module, inputs, output):
            values = output.detach().double()
            sums[i] += values.sum().cpu()
            squares[i] += (values * values).sum().cpu()
            counts[i] += values.numel()

        return hook

    handles = [
        block.branch_out.register_forward_hook(make_hook(i))
        for i, block in enumerate(blocks)
    ]
    was_training = model.training
    model.eval()
    try:
        for start in range(0, images.shape[0], batch_size):
            model(images[start : start + batch_size])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return [_std(s, q, n) for s, q, n in zip(sums, squares, counts, strict=False)]


def _checked_blocks(
    model: nn.Module, blocks: Sequence[nn.Module] | None
) -> list[nn.Module]:
    """``blocks`` (default ``helpers.models.residual_blocks(model)``), each with a
    ``branch_out`` hook point."""
    if blocks is None:
        from helpers.models import residual_blocks

        blocks = residual_blocks(model)
    blocks = list(blocks)
    for block in blocks:
        if not hasattr(block, "branch_out"):
            raise ValueError(
                f"block {type(block).__name__} has no `branch_out` hook point; use blocks from helpers.models.residual_blocks"
            )
    return blocks


def _std(total: torch.Tensor, squares: torch.Tensor, n: int) -> float:
    """Sample standard deviation from the running sums of ``n`` values and their squares."""
    if n < 2:
        raise ValueError(
            "a block's branch_out was never called; are the blocks part of this model?"
        )
    mean = total / n
    var = (squares / n - mean * mean) * n / (n - 1)
    return float(var.clamp_min(0).sqrt())


def plot_responses(
    responses: dict[str, Sequence[float]],
    *,
    title: str | None = "Std of residual-branch responses (cf. paper Fig. 7)",
    provenance: str | None = None,
) -> plt.Figure:
    """Two panels like the paper's Figure 7: std by block index, and sorted by magnitude.

    ``provenance`` is ignored: it belongs in the figure's caption.
    """
    from helpers.core.figstyle import figsize, network_style, plain_log_ticks

    del provenance
    fig, (ax_idx, ax_sorted) = plt.subplots(
        1, 2, figsize=figsize(3.6), sharey=True, layout="constrained"
    )
    markers = "osD^v<>"  # curves that lie on top of each other stay distinguishable
    for k, (name, stds) in enumerate(responses.items()):
        style = {
            "color": f"C{k}",
            "ls": "--" if name.lower().startswith("plain") else "-",
            **network_style(name),
            "marker": markers[k % len(markers)],
            "ms": 3.5,
            "lw": 1.4,
            "label": name,
        }
        xs = range(1, len(stds) + 1)
        ax_idx.plot(xs, stds, **style)
        ax_sorted.plot(xs, sorted(stds, reverse=True), **style)
    ax_idx.set_xlabel("block (input to output)")
    ax_sorted.set_xlabel("block, sorted by std")
    ax_idx.set_ylabel("std of branch output (log scale)")
    for ax in (ax_idx, ax_sorted):
        # log scale: plain nets sit near 1, ResNets spread below it; ratios matter
        ax.set_yscale("log")
        plain_log_ticks(ax)
        ax.grid(alpha=0.3, which="both")
    ax_sorted.legend()
    if title:
        fig.suptitle(title)
    return fig
