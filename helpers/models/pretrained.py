"""Loading torchvision's ImageNet checkpoints into the book's models.

Our ImageNet models use torchvision's module names, so a torchvision ``state_dict`` loads with
``strict=True``. One architectural difference matters: torchvision's ResNet-50/101/152 put the
bottleneck's stride on the 3x3 convolution ("v1.5"); the paper (and our default) puts it on the
first 1x1. The tensors have the same shapes, so the weights would load silently into the wrong
network: we refuse and ask for ``stride_at="3x3"``.

torchvision's GoogLeNet checkpoint was trained with ``transform_input=True``, which re-normalises
ImageNet-normalised images to mean 0.5 / std 0.5 inside the model; our GoogLeNet has no such
step, so feed it images normalised with mean 0.5 and std 0.5 per channel when using those weights.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

Source = Mapping[str, torch.Tensor] | str | os.PathLike

# registry name -> name of torchvision's weights enum
TORCHVISION_WEIGHTS = {
    "resnet18": "ResNet18_Weights",
    "resnet34": "ResNet34_Weights",
    "resnet50": "ResNet50_Weights",
    "resnet101": "ResNet101_Weights",
    "resnet152": "ResNet152_Weights",
    "alexnet": "AlexNet_Weights",
    "vgg11": "VGG11_Weights",
    "vgg13": "VGG13_Weights",
    "vgg16": "VGG16_Weights",
    "vgg19": "VGG19_Weights",
    "vgg11_bn": "VGG11_BN_Weights",
    "vgg13_bn": "VGG13_BN_Weights",
    "vgg16_bn": "VGG16_BN_Weights",
    "vgg19_bn": "VGG19_BN_Weights",
    "googlenet": "GoogLeNet_Weights",
    "densenet121": "DenseNet121_Weights",
}


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet class names, in output order (from torchvision's weights metadata)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def _model_name(model: nn.Module) -> str | None:
    return getattr(model, "registry_name", None)


def _check_model(model: nn.Module) -> None:
    from helpers.models.registry import get_entry

    name = _model_name(model)
    if name is None or get_entry(name).family != "imagenet":
        raise ValueError(
            f"torchvision ImageNet weights only fit the ImageNet-form models built with "
            f"create_model({', '.join(repr(n) for n in TORCHVISION_WEIGHTS)}); got "
            f"{name or type(model).__name__!r}. Small-image models (CIFAR forms) have no "
            "torchvision checkpoints: train them with helpers.train.fit."
        )
    if name not in TORCHVISION_WEIGHTS:
        raise ValueError(
            f"torchvision publishes no ImageNet weights for {name!r}; "
            f"models with weights: {', '.join(TORCHVISION_WEIGHTS)}"
        )
    config = getattr(model, "config", None)
    if (
        getattr(config, "bottleneck", False)
        and getattr(config, "stride_at", None) != "3x3"
    ):
        raise ValueError(
            f"torchvision's {name} puts the bottleneck stride on the 3x3 convolution (ResNet v1.5) "
            f"but this model has stride_at={config.stride_at!r} (the paper's layout). The weights "
            "would load but compute something else; build the model with "
            f"create_model({name!r}, stride_at='3x3')."
        )


def _download(name: str, enum_member: str) -> Mapping[str, torch.Tensor]:
    import torchvision.models as tvm

    weights_enum = getattr(tvm, TORCHVISION_WEIGHTS[name])
    try:
        weights = weights_enum[enum_member]
    except KeyError:
        options = [w.name for w in weights_enum] + ["DEFAULT"]
        raise ValueError(
            f"{enum_member!r} is not a weights name of {name}; choose from "
            f"{', '.join(options)}, or pass a state_dict or a file path"
        ) from None
    try:
        return weights.get_state_dict(progress=False, check_hash=True)
    except Exception as err:  # offline, proxy, hash mismatch ...
        file_name = weights.url.rsplit("/", 1)[-1]
        raise RuntimeError(
            f"could not download {name} {enum_member} weights ({type(err).__name__}: {err}). "
            f"On a machine with internet, download {weights.url} (or run "
            f"torchvision.models.{TORCHVISION_WEIGHTS[name]}.{enum_member}.get_state_dict()), "
            f"copy the file {file_name!r} here and call "
            f"load_torchvision_weights(model, '/path/to/{file_name}')."
        ) from err


def _read_file(path: Path) -> Mapping[str, torch.Tensor]:
    if not path.is_file():
        raise FileNotFoundError(
            f"no weights file at {str(path)!r}; pass a path to a saved "
            "state_dict (torch.save(model.state_dict(), path)) or a state_dict"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(
            f"could not read {str(path)!r} as a PyTorch state_dict ({type(err).__name__}): the file "
            "is corrupt, truncated or not a checkpoint. Download it again and check its size/hash."
        ) from err
    if (
        isinstance(state, Mapping)
        and "state_dict" in state
        and isinstance(state["state_dict"], Mapping)
    ):
        state = state["state_dict"]  # a training checkpoint wrapping the weights
    if not isinstance(state, Mapping):
        raise ValueError(
            f"{str(path)!r} holds a {type(state).__name__}, not a state_dict (a dict "
            "of parameter name -> tensor)"
        )
    return state


def _mismatch_message(
    model: nn.Module, state: Mapping[str, torch.Tensor]
) -> str | None:
    """Describe missing/unexpected/mis-shaped keys, with a hint about the architecture."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if not (missing or unexpected or shapes):
        return None
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:4])})")
    if unexpected:
        parts.append(
            f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:4])})"
        )
    if shapes:
        parts.append(f"{len(shapes)} shape mismatches (e.g. {'; '.join(shapes[:3])})")
    hints = _mismatch_hints(own, state, missing, unexpected, shapes)
    hint = (" Hint: " + "; ".join(hints) + ".") if hints else ""
    return "checkpoint does not match the model: " + "; ".join(parts) + "." + hint


def _mismatch_hints(
    own: Mapping[str, torch.Tensor],
    state: Mapping[str, torch.Tensor],
    missing: list[str],
    unexpected: list[str],
    shapes: list[str],
) -> list[str]:
    """What probably differs between the architectures, read off the key names."""
    hints = []
    mis_shaped = [s.split(":")[0] for s in shapes]
    if any(k.startswith("fc.") or k.startswith("classifier") for k in mis_shaped):
        hints.append(
            "the classifier size differs: build the model with num_classes=1000, load, "
            "then replace the last layer"
        )
    if any(k.startswith("conv1.") or k.startswith("features.0") for k in mis_shaped):
        hints.append(
            "the first convolution differs: build the model with in_channels=3"
        )
    if missing or unexpected:
        state_blocks = {
            ".".join(k.split(".")[:2]) for k in state if k.startswith("layer")
        }
        own_blocks = {".".join(k.split(".")[:2]) for k in own if k.startswith("layer")}
        if state_blocks != own_blocks:
            hints.append(
                f"the checkpoint has {len(state_blocks)} blocks, the model "
                f"{len(own_blocks)}: choose the matching depth (resnet18/34/50/101/152)"
            )
        elif any("conv3" in k for k in state) != any("conv3" in k for k in own):
            hints.append(
                "one side uses bottleneck blocks: ResNet-50/101/152 vs ResNet-18/34"
            )
        close = (
            difflib.get_close_matches(unexpected[0], missing, n=1)
            if unexpected and missing
            else []
        )
        if close:
            hints.append(
                f"names differ, e.g. checkpoint {unexpected[0]!r} vs model {close[0]!r}"
            )
    return hints


def load_torchvision_weights(model: nn.Module, source: Source) -> nn.Module:
    """Load torchvision ImageNet weights into ``model`` (strictly) and return it.

    ``source`` is a state_dict, a path to a file saved with ``torch.save(state_dict, path)``
    (read with ``weights_only=True``), or a torchvision weights name such as
    ``"IMAGENET1K_V1"`` (downloaded by torchvision; needs the internet).
    Bottleneck ResNets must be built with ``stride_at="3x3"`` (torchvision's layout).
    """
    _check_model(model)
    if isinstance(source, Mapping):
        state = source
    elif isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        is_enum_name = (
            isinstance(source, str)
            and (text.isupper() or text == "DEFAULT")
            and not os.path.exists(text)
        )
        state = (
            _download(_model_name(model), text)
            if is_enum_name
            else _read_file(Path(text))
        )
    else:
        raise TypeError(
            f"source must be a state_dict, a file path or a weights name like "
            f"'IMAGENET1K_V1'; got {type(source).__name__}"
        )
    message = _mismatch_message(model, state)
    if message:
        raise ValueError(message)
    model.load_state_dict(state, strict=True)
    return model
