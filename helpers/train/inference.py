"""Using a trained model: ``predict`` and ``evaluate`` feed it inputs normalised as it
was trained.

A model trained by :func:`helpers.train.fit` carries its input normalisation
(:func:`helpers.data.normalization_of`); every function here reads it from the model, so
a net trained with the paper's per-pixel mean is evaluated with that same mean. A model
that carries none (not trained by ``fit``) gets per-channel statistics of the data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.device import resolve_device
from helpers.core.dist import all_reduce_sum
from helpers.core.precision import amp_dtype
from helpers.data import Dataset, DeviceLoader, Normalization, normalization_of
from helpers.data.loader import check_normalize

__all__ = [
    "input_normalization",
    "model_inputs",
    "predict",
    "evaluate",
    "check_model_fits_data",
    "evaluate_stream",
]


def input_normalization(
    model: nn.Module,
    data: Dataset,
    normalize: str | None = None,
    reference: Dataset | None = None,
) -> Normalization:
    """The normalisation that feeds ``data`` to ``model``: the one it was trained with.

    ``normalize`` may name that same kind (a check); naming another is an error, since
    the model would see inputs on a scale it was not trained on. For a model without a
    recorded normalisation, ``normalize`` (default "channel") is computed from
    ``reference`` (the training set) or else from ``data``.
    """
    stored = normalization_of(model)
    if normalize is not None:
        check_normalize(normalize)
        if stored is not None and stored.kind != normalize:
            raise ValueError(
                f"this model was trained with normalize={stored.kind!r}, so its inputs must be "
                f"normalised that way, not with normalize={normalize!r}; leave `normalize` out "
                "to use the model's own normalisation"
            )
    if stored is None:
        return Normalization.of(normalize or "channel", reference or data)
    if stored.channels != data.in_channels:
        raise ValueError(
            f"the model was trained on {stored.channels}-channel images but {data.name} has "
            f"{data.in_channels} channels"
        )
    return stored


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without
    parameters)."""
    p = next(iter(model.parameters()), None)
    return p.device if p is not None else resolve_device("cpu")


def model_inputs(
    model: nn.Module,
    data: Dataset,
    n: int | None = None,
    device: str | torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` images of ``data`` (all when None) as ``model`` expects them:
    normalised with its own statistics, not augmented; and their labels."""
    n = len(data) if n is None else min(n, len(data))
    device = resolve_device(device) if device is not None else model_device(model)
    normalization = input_normalization(model, data)
    x = normalization(data.images[:n].to(device))
    return x, data.labels[:n].to(device)


@torch.no_grad()
def predict(
    model: nn.Module,
    data: Dataset,
    device: str | torch.device | None = None,
    *,
    probs: bool = False,
    batch_size: int = 1000,
    normalize: str | None = None,
    channels_last: bool = False,
    amp: bool = False,
    reference: Dataset | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (logits or softmax probabilities, labels) for every image of ``data``, on
    the CPU.

    Inputs are normalised as the model was trained (see :func:`input_normalization`)."""
    device = resolve_device(device) if device is not None else model_device(model)
    normalization = input_normalization(model, data, normalize, reference)
    was_training = model.training
    model.eval().to(device)
    loader = DeviceLoader(
        data,
        batch_size,
        train=False,
        device=device,
        normalize=normalization,
        channels_last=channels_last,
        drop_last=False,
    )
    dtype = amp_dtype(device, amp)
    outs = []
    for x, _ in loader:
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            out = model(x).float()
        outs.append(out.softmax(1) if probs else out)
    model.train(was_training)
    return torch.cat(outs).cpu(), data.labels.cpu()


def evaluate(
    model: nn.Module,
    data: Dataset,
    device: str | torch.device | None = None,
    *,
    probs: bool = False,
    **kwargs,
) -> dict:
    """Loss, error, per-class error and confusion matrix (rows: true class, columns:
    predicted).

    The loss is the cross-entropy of the logits; ``probs=True`` adds the softmax
    probabilities to the result as "probs". Other keyword arguments go to
    :func:`predict`."""
    logits, labels = predict(model, data, device, **kwargs)
    c = data.num_classes
    if logits.shape[1] != c:
        raise ValueError(
            f"the model outputs {logits.shape[1]} classes but {data.name} has {c}"
        )
    pred = logits.argmax(1)
    confusion = torch.bincount(labels * c + pred, minlength=c * c).reshape(c, c)
    per_class_total = confusion.sum(1).clamp(min=1)
    per_class_error = 1.0 - confusion.diag().float() / per_class_total.float()
    result = {
        "loss": float(F.cross_entropy(logits, labels)),
        "error": float((pred != labels).float().mean()),
        "per_class_error": per_class_error.tolist(),
        "confusion": confusion,
        "n": int(labels.shape[0]),
    }
    if probs:
        result["probs"] = logits.softmax(1)
    return result


@torch.no_grad()
def check_model_fits_data(
    model: nn.Module, data: Dataset, device: str | torch.device | None = None
) -> None:
    """Raise a ValueError unless ``model`` takes ``data``'s images and has one output
    per class.

    One forward pass of two images in eval mode (no state changes, no randomness used).
    """
    shape = getattr(data, "input_shape", None)  # an image folder: the crop's shape
    if not isinstance(data, Dataset) and shape is None:
        raise TypeError(
            f"expected a helpers.data.Dataset (uint8 images (N, C, H, W), int64 labels, class "
            f"names, mean/std), got {type(data).__name__}; load one with "
            "helpers.data.load_dataset(...) or build one with helpers.data.Dataset(...)"
        )
    device = resolve_device(device) if device is not None else model_device(model)
    if isinstance(data, Dataset):
        x, shape = data.images[:2].to(device).float(), tuple(data.images.shape[1:])
    else:
        x = torch.zeros((2, *shape), device=device)
    was_training = model.training
    model.eval()
    try:
        out = model(x)
    except RuntimeError as e:
        raise ValueError(
            f"the model cannot take {data.name} images of shape {shape} "
            f"(create it with in_channels={data.in_channels}): {str(e).splitlines()[0]}"
        ) from e
    finally:
        model.train(was_training)
    if out.ndim != 2 or out.shape[1] != data.num_classes:
        raise ValueError(
            f"the model outputs {tuple(out.shape[1:])} values per image but {data.name} has "
            f"{data.num_classes} classes (create it with num_classes={data.num_classes})"
        )


@torch.no_grad()
def evaluate_stream(model: nn.Module, loader, dtype: torch.dtype | None = None) -> dict:
    """Loss, top-1 and top-5 error of ``model`` over a streaming evaluation loader
    (:class:`helpers.data.streaming.StreamingLoader`), summed over all processes of a
    torchrun job (each evaluates its share). With 10 crops per image the softmax
    probabilities of the crops are averaged ("10-crop testing", He et al. 2016, Table 3)
    and the loss is the cross-entropy of the averaged probabilities."""
    was_training = model.training
    model.eval()
    sums = torch.zeros(4, dtype=torch.float64, device=loader.device)
    for x, y in loader.iter_epoch():
        with torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
            logits = model(x).float()  # (B * crops, classes)
        probs = logits.softmax(1).view(y.shape[0], loader.crops, -1).mean(1)
        nll = -probs.gather(1, y[:, None]).clamp_min(1e-12).log()
        top5 = probs.topk(min(5, probs.shape[1]), dim=1).indices
        hit5 = (top5 == y[:, None]).any(1)
        sums += torch.stack(
            [
                nll.sum().double(),
                (top5[:, 0] != y).sum().double(),
                (~hit5).sum().double(),
                torch.tensor(
                    float(y.shape[0]), device=sums.device, dtype=torch.float64
                ),
            ]
        )
    all_reduce_sum(sums)
    model.train(was_training)
    n = max(float(sums[3]), 1.0)
    return {
        "loss": float(sums[0]) / n,
        "error": float(sums[1]) / n,
        "top5_error": float(sums[2]) / n,
        "n": int(sums[3]),
    }
