"""Attribution maps with Captum, and the sanity check that tells you whether to trust them.

* Integrated Gradients (Sundararajan, Taly, Yan 2017): integrate the input gradient along a straight
  path from a baseline (a black image) to the input; attributions sum to f(x) - f(baseline).
* Grad-CAM (Selvaraju et al. 2017): weight the channels of a late feature map by their average
  gradient, sum, ReLU, and upsample to the input size.
* Sanity check (Adebayo et al. 2018, "Sanity checks for saliency maps"): re-initialise the weights
  of the trained network, from the output layer backwards ("cascading") or all at once, and compare
  the maps with the originals by rank correlation. A map that barely changes when the weights are
  random cannot be explaining what the network learned.

The figures of these maps are in :mod:`helpers.analysis.attribution_plots`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn

__all__ = [
    "black_baseline",
    "integrated_gradients",
    "grad_cam",
    "default_cam_layer",
    "randomization_steps",
    "randomized_copy",
    "rank_correlation",
    "sanity_check",
]


def _module_name(model: nn.Module, module: nn.Module) -> str:
    for name, m in model.named_modules():
        if m is module:
            return name
    raise ValueError("the layer is not a submodule of this model")


def default_cam_layer(model: nn.Module) -> nn.Module:
    """The last block of the last stage (``helpers.models.residual_blocks(model)[-1]``): a late, 8x8 map on CIFAR."""
    from helpers.models import residual_blocks

    blocks = residual_blocks(model)
    if not blocks:
        raise ValueError("model has no blocks; pass `layer=` explicitly")
    return blocks[-1]


def black_baseline(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """An all-black image in ``model``'s input space (its recorded normalisation), shaped like
    ``images``: the usual Integrated Gradients baseline."""
    from helpers.data import normalization_of

    normalization = normalization_of(model)
    if normalization is None:
        raise ValueError(
            "the model carries no input normalisation (it was not trained by helpers.train.fit); "
            "pass the baseline explicitly, e.g. baseline=Normalization.of('channel', data).black(images)"
        )
    return normalization.black(images)


def integrated_gradients(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    *,
    baseline: torch.Tensor | str | None = None,
    n_steps: int = 32,
    internal_batch_size: int | None = 64,
) -> torch.Tensor:
    """Integrated Gradients attributions, same shape as ``images`` (Sundararajan et al. 2017).

    ``baseline``: a tensor like ``images``; "black" for a black image in the model's own input
    normalisation (:func:`black_baseline`); None for all zeros in input space (the mean image,
    whichever mean the model was trained with).
    """
    from captum.attr import IntegratedGradients

    if isinstance(baseline, str):
        if baseline != "black":
            raise ValueError(
                f"baseline must be a tensor, 'black' or None; got {baseline!r}"
            )
        baseline = black_baseline(model, images)
    was_training = model.training
    model.eval()
    try:
        ig = IntegratedGradients(model)
        attributions = ig.attribute(
            images,
            baselines=baseline if baseline is not None else torch.zeros_like(images),
            target=targets,
            n_steps=n_steps,
            internal_batch_size=internal_batch_size,
        )
    finally:
        model.train(was_training)
    return attributions.detach()


def grad_cam(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    *,
    layer: nn.Module | None = None,
) -> torch.Tensor:
    """Grad-CAM heat maps (B, 1, H, W) upsampled to the input size (Selvaraju et al. 2017)."""
    from captum.attr import LayerAttribution, LayerGradCam

    layer = layer if layer is not None else default_cam_layer(model)
    was_training = model.training
    model.eval()
    try:
        cam = LayerGradCam(model, layer).attribute(
            images, target=targets, relu_attributions=True
        )
        cam = LayerAttribution.interpolate(
            cam, tuple(images.shape[-2:]), interpolate_mode="bilinear"
        )
    finally:
        model.train(was_training)
    return cam.detach()


def _reinit(modules: Sequence[nn.Module], seed: int) -> None:
    """Re-draw the parameters of ``modules`` (and their children), deterministically for a seed.

    Convolutions and linear layers get PyTorch's default initialiser; batch-norm layers get random
    affine parameters (as in Adebayo et al.) but keep their running statistics, so the randomised
    net still sees roughly normalised activations.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for top in modules:
            for m in top.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    if m.affine:
                        nn.init.normal_(m.weight, 1.0, 0.5)
                        nn.init.normal_(m.bias, 0.0, 0.5)
                elif hasattr(m, "reset_parameters") and any(
                    True for _ in m.parameters(recurse=False)
                ):
                    m.reset_parameters()


def _top_level_units(model: nn.Module) -> list[tuple[str, list[nn.Module]]]:
    """Units from output to input: the head (parameters after the blocks), each block, the stem."""
    from helpers.models import residual_blocks

    blocks = residual_blocks(model)
    block_ids = {id(b) for b in blocks}
    inside_blocks = {id(p) for b in blocks for p in b.parameters()}
    # Modules with parameters outside the blocks belong to the stem (defined before the first
    # block) or to the head (after it).
    stem: list[nn.Module] = []
    head: list[nn.Module] = []
    seen_block = False
    for _, m in model.named_modules():
        if id(m) in block_ids:
            seen_block = True
            continue
        if any(id(p) not in inside_blocks for p in m.parameters(recurse=False)):
            (head if seen_block else stem).append(m)
    units: list[tuple[str, list[nn.Module]]] = []
    if head:
        units.append(("head", head))
    for i in reversed(range(len(blocks))):
        units.append((f"block {i + 1}", [blocks[i]]))
    if stem:
        units.append(("stem", stem))
    return units


def randomization_steps(
    model: nn.Module, *, seed: int = 0
) -> Iterator[tuple[str, nn.Module]]:
    """Cascading randomisation (Adebayo et al. 2018): yield progressively randomised copies.

    The first copy has its head (fully connected layer) re-initialised, the next also the last
    block, and so on down to the stem, after which every weight is random. The original model is
    not modified. Yields ``(label, model_copy)`` where label names the unit randomised last.
    """
    work = copy.deepcopy(model).eval()
    units = _top_level_units(work)
    for k, (label, unit) in enumerate(units):
        _reinit(unit, seed + k)
        yield f"up to {label}", copy.deepcopy(work)


def randomized_copy(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every parameter re-initialised at once (whole-model randomisation)."""
    work = copy.deepcopy(model).eval()
    _reinit([work], seed)
    return work


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """Ranks 0..n-1 of each row (ties broken by order; continuous maps rarely tie)."""
    order = x.argsort(dim=1)
    ranks = torch.empty_like(order, dtype=torch.float64)
    ranks.scatter_(
        1,
        order,
        torch.arange(x.shape[1], dtype=torch.float64).expand_as(order).contiguous(),
    )
    return ranks


def rank_correlation(
    a: torch.Tensor, b: torch.Tensor, *, absolute: bool = True
) -> torch.Tensor:
    """Spearman rank correlation between two batches of maps, one value per image.

    Maps are summed over channels first (attribution per pixel); ``absolute=True`` compares
    magnitudes, as Adebayo et al. do for their main figures.
    """
    if a.shape != b.shape:
        raise ValueError(
            f"maps must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    a = a.detach().double().sum(dim=1).flatten(1)
    b = b.detach().double().sum(dim=1).flatten(1)
    if absolute:
        a, b = a.abs(), b.abs()
    ra, rb = _ranks(a), _ranks(b)
    ra = ra - ra.mean(dim=1, keepdim=True)
    rb = rb - rb.mean(dim=1, keepdim=True)
    return (ra * rb).sum(1) / (ra.norm(dim=1) * rb.norm(dim=1)).clamp_min(1e-12)


def sanity_check(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    method: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    seed: int = 0,
    max_steps: int | None = None,
) -> list[dict]:
    """Cascading-randomisation sanity check for an attribution ``method(model, images, targets)``.

    Returns one row per step: ``{"step": label, "rank_corr": mean Spearman correlation of |map|
    with the trained model's map, "rank_corr_per_image": tensor}``; the first row is the trained
    model itself (correlation 1). Reuse ``grad_cam`` with a layer on the copy via
    ``lambda m, x, y: grad_cam(m, x, y)`` (the default layer is looked up on each copy).
    """
    reference = method(model, images, targets)
    rows = [
        {
            "step": "trained",
            "rank_corr": 1.0,
            "rank_corr_per_image": torch.ones(images.shape[0]),
        }
    ]
    for k, (label, randomised) in enumerate(randomization_steps(model, seed=seed)):
        if max_steps is not None and k >= max_steps:
            break
        maps = method(randomised, images, targets)
        corr = rank_correlation(reference, maps)
        rows.append(
            {
                "step": label,
                "rank_corr": float(corr.mean()),
                "rank_corr_per_image": corr,
            }
        )
    return rows
