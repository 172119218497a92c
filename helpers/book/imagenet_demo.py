"""Classify real photos with OUR ResNet carrying torchvision's ImageNet weights.

The pieces: ImageNet preprocessing (resize the short side to 256, centre-crop 224, normalise with
the ImageNet channel statistics), a quick check whether the weights can be fetched at all (the book
is also built offline), loading them into ``helpers.models`` via
``helpers.models.pretrained.load_torchvision_weights``, and top-k readout with class names.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
import torchvision.transforms.functional as TF
from torch import nn

from helpers.core.network import reachable
from helpers.core.text import T, Text

#: ImageNet channel statistics (RGB, images scaled to [0, 1]) used by torchvision's weights.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: scikit-image's bundled sample photos (no download needed) and what they show.
SAMPLE_PHOTOS = {
    "chelsea": "a tabby cat",
    "coffee": "a cup of coffee",
    "astronaut": "astronaut Eileen Collins",
    "rocket": "a rocket on its launch pad",
}


def sample_photos(
    names: tuple[str, ...] = tuple(SAMPLE_PHOTOS),
) -> dict[str, np.ndarray]:
    """scikit-image sample photos as (H, W, 3) uint8 arrays, keyed by name."""
    import skimage.data

    unknown = [n for n in names if n not in SAMPLE_PHOTOS]
    if unknown:
        raise ValueError(
            f"unknown photo(s) {unknown}; choose from {list(SAMPLE_PHOTOS)}"
        )
    return {name: getattr(skimage.data, name)() for name in names}


def preprocess(
    image: np.ndarray | torch.Tensor, size: int = 224, resize: int = 256
) -> torch.Tensor:
    """(H, W, 3) uint8 array or (3, H, W) uint8 tensor -> normalised (1, 3, size, size) float batch.

    The evaluation transform of torchvision's ImageNet weights: resize the shorter side to
    ``resize`` (bilinear, antialiased), crop the central ``size`` x ``size`` square, scale to [0, 1]
    and normalise with :data:`IMAGENET_MEAN` / :data:`IMAGENET_STD`.
    """
    x = (
        torch.as_tensor(np.asarray(image))
        if not isinstance(image, torch.Tensor)
        else image
    )
    if x.ndim == 3 and x.shape[-1] == 3 and x.shape[0] != 3:
        x = x.permute(2, 0, 1)  # (H, W, 3) -> (3, H, W)
    if x.ndim != 3 or x.shape[0] != 3:
        raise ValueError(
            f"expected an RGB image (H, W, 3) or (3, H, W); got shape {tuple(x.shape)}"
        )
    x = TF.resize(x, [resize], antialias=True)
    x = TF.center_crop(x, [size, size])
    x = x.float() / 255.0
    x = TF.normalize(x, IMAGENET_MEAN, IMAGENET_STD)
    return x.unsqueeze(0)


def to_display(batch: torch.Tensor) -> np.ndarray:
    """Undo :func:`preprocess`'s normalisation: (B, 3, H, W) -> (B, H, W, 3) floats in [0, 1]."""
    mean = torch.tensor(IMAGENET_MEAN, device=batch.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=batch.device).view(1, 3, 1, 1)
    return (batch * std + mean).clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()


def class_names() -> list[str]:
    """The 1000 ImageNet class names in label order (bundled with torchvision, no download)."""
    from helpers.models.pretrained import imagenet_classes

    return list(imagenet_classes())


def top_k(
    logits: torch.Tensor, k: int = 5, classes: list[str] | None = None
) -> list[list[tuple[str, float]]]:
    """Per image, the ``k`` most probable classes as ``(name, probability)``, best first."""
    if logits.ndim != 2:
        raise ValueError(
            f"expected logits of shape (batch, classes); got {tuple(logits.shape)}"
        )
    classes = classes if classes is not None else class_names()
    if len(classes) != logits.shape[1]:
        raise ValueError(f"{len(classes)} class names for {logits.shape[1]} logits")
    probs = logits.detach().float().softmax(dim=1)
    values, indices = probs.topk(k, dim=1)
    return [
        [(classes[i], float(p)) for p, i in zip(vs.tolist(), ix.tolist(), strict=False)]
        for vs, ix in zip(values, indices, strict=False)
    ]


def _weights(name: str, weights: str):
    from torchvision.models import get_model_weights

    try:
        enum = get_model_weights(name)
    except (KeyError, ValueError) as err:
        raise ValueError(f"torchvision has no weights for {name!r}") from err
    try:
        return enum[weights]
    except KeyError:
        raise ValueError(
            f"{name} has weights {[w.name for w in enum]}; got {weights!r}"
        ) from None


def cached_weights_path(name: str = "resnet50", weights: str = "IMAGENET1K_V1") -> Path:
    """Where ``torch.hub`` keeps (or would keep) the checkpoint file for these weights."""
    url = _weights(name, weights).url
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def weights_available(
    name: str = "resnet50", weights: str = "IMAGENET1K_V1", timeout: float = 2.0
) -> bool:
    """True if the checkpoint is cached locally or its server answers within ``timeout`` seconds.

    Never hangs: name resolution and the TCP connection run in a daemon thread that is abandoned
    after ``timeout``. Setting the environment variable ``RESNET_BOOK_OFFLINE=1`` forces False
    (unless the file is already cached).
    """
    if cached_weights_path(name, weights).exists():
        return True
    return reachable(_weights(name, weights).url, timeout)


def load_pretrained(
    name: str = "resnet50",
    weights: str = "IMAGENET1K_V1",
    state_dict: dict | str | Path | None = None,
) -> nn.Module:
    """Our ``helpers.models`` ResNet with torchvision's ImageNet weights, in eval mode.

    torchvision's ResNet-50/101/152 checkpoints are the "v1.5" variant (stride 2 on the 3x3
    convolution), so the model is built with ``stride_at="3x3"``. ``weights`` (e.g.
    ``"IMAGENET1K_V1"``) is downloaded by torchvision; pass ``state_dict`` (a dict or a file saved
    with ``torch.save``) instead to skip the download, e.g. in tests.
    """
    from helpers.models import create_model
    from helpers.models.pretrained import load_torchvision_weights

    model = create_model(name, num_classes=1000, stride_at="3x3")
    load_torchvision_weights(model, weights if state_dict is None else state_dict)
    return model.eval()


def demo_sentences(ran: bool) -> dict[str, Text]:
    """What the chapter can say about its photo demo, given whether it ran (the weights
    could be fetched on the machine that executed the page) or was skipped (offline)."""
    if ran:
        return {
            "status": T(
                "On the machine that executed this page the weights could be downloaded: "
                "the figures below are the demo's own output."
            ),
            "read_bars": T("Read the bars"),
            "maps": T(
                "Look at where the attribution concentrates in the maps above; with trained "
                "weights it usually sits on the object (the cat's face, the cup)"
            ),
        }
    return {
        "status": T(
            "On this page the cells below therefore have no output (see the note above); in "
            "Colab they show the photos, the predictions and the attribution maps."
        ),
        "read_bars": T("When you run the demo, read its bars"),
        "maps": T(
            "When you run the demo, look where the attribution concentrates; with trained "
            "weights it usually sits on the object (the cat's face, the cup)"
        ),
    }
