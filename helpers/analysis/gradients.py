"""Per-layer and per-block gradient norms, and activation statistics, for any ``nn.Module``.

Used in chapter 2 (vanishing/exploding gradients in deep plain stacks) and chapter 3 (plain vs
residual networks, with ``probes=helpers.models.residual_blocks(model)``).

Three things can be measured at each probed module:

* ``"weight"``: L2 norm of the gradient of the loss w.r.t. the module's weight tensors
  (parameters with 2 or more dimensions: Linear and Conv weights, not biases or BN scales);
* ``"params"``: the same over all of its parameters;
* ``"output"``: L2 norm of the gradient w.r.t. the module's OUTPUT, ``dL/dx_l`` -- the quantity
  in the chain rule (Bengio et al. 1994) and in He et al. (2016b, eq. 5) for residual units.

Gradients are taken with ``torch.autograd.grad``, so ``.grad`` fields of the model are untouched.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    "train_briefly",
    "MODES",
    "GradientProfile",
    "default_probes",
    "resolve_probes",
    "gradient_norms",
    "kept_buffers",
    "activation_stds",
    "plot_gradient_profile",
    "plot_short_runs",
    "final_loss",
]

MODES = ("weight", "params", "output")
Probes = Sequence[nn.Module] | Mapping[str, nn.Module] | None


@dataclass
class GradientProfile:
    """Gradient norms at the probed modules, ordered input -> output."""

    names: list[str]
    norms: list[float]
    mode: str
    loss: float

    def __len__(self) -> int:
        return len(self.norms)

    def first_to_last(self) -> float:
        """Ratio of the first probe's norm to the last one's (<< 1: vanishing, >> 1: exploding)."""
        return self.norms[0] / self.norms[-1] if self.norms[-1] else math.inf


def default_probes(model: nn.Module) -> dict[str, nn.Module]:
    """Every Linear and Conv layer of ``model`` in registration order, by qualified name."""
    kinds = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    return {name: m for name, m in model.named_modules() if isinstance(m, kinds)}


def resolve_probes(model: nn.Module, probes: Probes = None) -> dict[str, nn.Module]:
    """Turn ``None`` | a list of modules | a name->module mapping into an ordered name->module dict."""
    if probes is None:
        found = default_probes(model)
    elif isinstance(probes, Mapping):
        found = dict(probes)
    else:
        names = {id(m): n for n, m in model.named_modules()}
        found = {}
        for i, m in enumerate(probes):
            if id(m) not in names:
                raise ValueError(
                    f"probe #{i} ({type(m).__name__}) is not a submodule of the model"
                )
            found[names[id(m)] or "<model>"] = m
    if not found:
        raise ValueError(
            "no modules to probe: pass probes=[...] (e.g. residual_blocks(model))"
        )
    return found


def _split_batch(batch) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def gradient_norms(
    model: nn.Module,
    inputs: torch.Tensor | tuple[torch.Tensor, torch.Tensor],
    targets: torch.Tensor | None = None,
    *,
    probes: Probes = None,
    mode: str = "weight",
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    train_mode: bool = True,
) -> GradientProfile:
    """Norm of the loss gradient at each probe for one batch.

    ``inputs`` may be a tensor (then pass ``targets``) or an ``(x, y)`` pair. ``loss_fn`` defaults
    to cross-entropy. ``train_mode=True`` runs the forward pass in training mode (batch
    statistics in BN, as during training) and restores the model's mode afterwards.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    x, y = _split_batch(inputs)
    y = targets if targets is not None else y
    if y is None:
        raise ValueError(
            "gradient_norms needs targets: pass targets=... or inputs=(x, y)"
        )
    found = resolve_probes(model, probes)
    with kept_buffers(model):
        loss, outputs = _forward(
            model, x, y, found, mode, loss_fn or F.cross_entropy, train_mode
        )
        groups = _gradient_targets(found, outputs, mode)
        norms = _group_norms(loss, groups)
    return GradientProfile(list(found), norms, mode, loss.item())


@contextlib.contextmanager
def kept_buffers(model: nn.Module) -> Iterator[None]:
    """Put the model's buffers back as they were on leaving: a forward pass in training
    mode moves batch norm's running statistics, which would change the trained network
    that later analyses of the same model measure."""
    saved = {name: b.detach().clone() for name, b in model.named_buffers()}
    try:
        yield
    finally:
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(saved[name])


def _forward(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    found: dict[str, nn.Module],
    mode: str,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    train_mode: bool,
) -> tuple[torch.Tensor, dict[str, list[torch.Tensor]]]:
    """The loss of one forward pass in ``train_mode``, and (for ``mode="output"``) every
    output of each probe; the model's mode is restored."""
    outputs: dict[str, list[torch.Tensor]] = {n: [] for n in found}
    handles = []
    if mode == "output":
        for name, m in found.items():
            handles.append(
                m.register_forward_hook(
                    lambda _m, _i, out, n=name: outputs[n].append(out)
                )
            )
    was_training = model.training
    model.train(train_mode)
    try:
        loss = loss_fn(model(x), y)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return loss, outputs


def _gradient_targets(
    found: dict[str, nn.Module], outputs: dict[str, list[torch.Tensor]], mode: str
) -> list[list[torch.Tensor]]:
    """Per probe, the tensors whose loss gradient is measured: its outputs, its weights
    (2 or more dimensions) or all its parameters."""
    if mode == "output":
        groups = []
        for n in found:
            if not outputs[n]:
                raise ValueError(f"probe {n!r} was not called in the forward pass")
            groups.append([t for t in outputs[n] if t.requires_grad])
        return groups
    return [
        [
            p
            for p in m.parameters()
            if p.requires_grad and (mode == "params" or p.dim() >= 2)
        ]
        for m in found.values()
    ]


def _group_norms(loss: torch.Tensor, groups: list[list[torch.Tensor]]) -> list[float]:
    """L2 norm of the gradient of ``loss`` over each group of tensors, in float64 (NaN for
    an empty group)."""
    flat = [t for g in groups for t in g]
    grads = torch.autograd.grad(loss, flat, allow_unused=True) if flat else []
    norms, k = [], 0
    for g in groups:
        sq = 0.0
        for grad in grads[k : k + len(g)]:
            if grad is not None:
                sq += grad.detach().double().pow(2).sum().item()
        k += len(g)
        norms.append(math.sqrt(sq) if g else float("nan"))
    return norms


@torch.no_grad()
def activation_stds(
    model: nn.Module, x: torch.Tensor, *, probes: Probes = None, train_mode: bool = True
) -> dict[str, float]:
    """Standard deviation of each probe's output over a batch (forward signal propagation)."""
    found = resolve_probes(model, probes)
    stds: dict[str, float] = {}
    handles = [
        m.register_forward_hook(
            lambda _m, _i, out, n=name: stds.__setitem__(n, out.float().std().item())
        )
        for name, m in found.items()
    ]
    was_training = model.training
    model.train(train_mode)
    try:
        with kept_buffers(model):
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return {n: stds.get(n, float("nan")) for n in found}


def plot_gradient_profile(
    profiles: Mapping[str, GradientProfile],
    ax=None,
    *,
    title: str | None = None,
    provenance: str | None = None,
    logy: bool = True,
    xlabel: str = "layer (input → output)",
    styles: Mapping[str, dict] | None = None,
):
    """Plot norm vs probe index for several profiles; returns the axes.

    ``styles`` maps a label to extra ``ax.plot`` keyword arguments (colour, line style); a
    label that names a network ("plain-20", "ResNet-56") gets that network's colour in every
    figure of the book (:func:`helpers.core.figstyle.network_style`) unless ``styles`` says
    otherwise. A non-finite or zero norm is left out of a log plot rather than failing.
    """
    import matplotlib.pyplot as plt

    from helpers.core.figstyle import figsize, network_style

    if ax is None:
        _, ax = plt.subplots(figsize=figsize(3.8), layout="constrained")
    ylabel = {
        "weight": r"$\|\partial\mathcal{L}/\partial W\|$",
        "params": r"$\|\partial\mathcal{L}/\partial \theta\|$",
        "output": r"$\|\partial\mathcal{L}/\partial x\|$",
    }
    for label, prof in profiles.items():
        xs = range(1, len(prof) + 1)
        ys = [
            v if math.isfinite(v) and (v > 0 or not logy) else float("nan")
            for v in prof.norms
        ]
        style = {**network_style(label), **(styles or {}).get(label, {})}
        ax.plot(xs, ys, label=label, **style)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(
        ylabel[next(iter(profiles.values())).mode] if profiles else "gradient norm"
    )
    if title:
        ax.set_title(title)
    if profiles:
        ax.legend()
    ax.grid(True, which="major", alpha=0.3)
    del provenance  # it belongs in the figure's caption
    return ax


def plot_short_runs(
    runs: Mapping[tuple[str, float | None], Mapping[str, list[float]]], steps: int
):
    """Training loss of :func:`train_briefly` runs, keyed (setting, clip threshold or None):
    one panel without clipping and one per threshold, the same colour for a setting in
    both, and × at the last finite loss of a run that diverged. Returns the figure."""
    import matplotlib.pyplot as plt

    from helpers.core.figstyle import figsize

    clips = list(dict.fromkeys(clip for _, clip in runs))
    settings = list(dict.fromkeys(name for name, _ in runs))
    fig, axes = plt.subplots(1, len(clips), figsize=figsize(3.3), sharey=True)
    for ax, clip in zip(axes, clips, strict=True):
        for k, name in enumerate(settings):
            loss = runs[name, clip]["loss"]
            ax.plot(range(1, steps + 1), loss, color=f"C{k}", label=name)
            finite = [i for i, v in enumerate(loss) if math.isfinite(v)]
            if finite and len(finite) < steps:  # diverged: mark the last finite step
                last = finite[-1]
                ax.plot(last + 1, loss[last], "x", ms=9, mew=2, color=f"C{k}")
        ax.set_yscale("log")
        ax.set_xlabel("SGD step")
        ax.grid(alpha=0.3)
        ax.set_title(
            "no clipping" if clip is None else f"gradient norm clipped at {clip:g}"
        )
    axes[0].set_ylabel("training loss (cross-entropy)")
    axes[0].legend()
    return fig


def final_loss(run: Mapping[str, list[float]]) -> float | None:
    """The last loss of a :func:`train_briefly` run, or None if it diverged (NaN or inf)."""
    loss = run["loss"]
    return loss[-1] if loss and all(math.isfinite(v) for v in loss) else None


def train_briefly(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    steps: int = 100,
    lr: float = 0.1,
    momentum: float = 0.9,
    batch_size: int = 128,
    clip_norm: float | None = None,
    seed: int = 0,
) -> dict[str, list[float]]:
    """A few SGD steps on in-memory tensors, recording the loss and the gradient norm per step.

    ``clip_norm`` rescales the whole gradient to at most that L2 norm before each update
    (``torch.nn.utils.clip_grad_norm_``; Pascanu et al. 2013). The recorded ``grad_norm`` is the
    norm BEFORE clipping. A loss that becomes inf/NaN ends the run; the rest is filled with NaN.
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses: list[float] = []
    norms: list[float] = []
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (batch_size,), generator=gen)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        if not torch.isfinite(loss):
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        total = nn.utils.clip_grad_norm_(
            model.parameters(), clip_norm if clip_norm else float("inf")
        )
        losses.append(loss.item())
        norms.append(total.item())
        opt.step()
    pad = [float("nan")] * (steps - len(losses))
    return {"loss": losses + pad, "grad_norm": norms + pad}
