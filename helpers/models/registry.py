"""The model registry: every architecture is a config dataclass + a model class + fixed values.

Variants are data: ``resnet56`` is the entry ``CifarResNet`` with ``depth=56`` fixed. The keyword
arguments a model accepts are exactly the fields of its config dataclass that are not fixed.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

FAMILIES = (
    "small",
    "imagenet",
)  # small: 28x28 / 32x32 inputs; imagenet: 224x224 inputs


@dataclass(frozen=True)
class ModelEntry:
    """One registered name: how to build it and what it is."""

    name: str
    model_cls: Callable[[Any], nn.Module]  # called with one config instance
    config_cls: type
    fixed: Mapping[str, Any] = field(default_factory=dict)  # values the name pins down
    family: str = "small"
    summary: str = ""

    @property
    def kwargs(self) -> list[str]:
        """Keyword arguments ``create_model(self.name, ...)`` accepts."""
        return [
            f.name
            for f in dataclasses.fields(self.config_cls)
            if f.name not in self.fixed
        ]

    @property
    def default_input_size(self) -> tuple[int, int, int, int]:
        return (1, 3, 224, 224) if self.family == "imagenet" else (1, 3, 32, 32)


_REGISTRY: dict[str, ModelEntry] = {}


def register(
    name: str,
    model_cls: Callable[[Any], nn.Module],
    config_cls: type,
    *,
    family: str,
    summary: str = "",
    **fixed: Any,
) -> None:
    """Add ``name`` to the registry (called at import time by each family's module)."""
    if name in _REGISTRY:
        raise ValueError(f"model name {name!r} is registered twice")
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = set(fixed) - names
    if unknown:
        raise ValueError(
            f"{name}: fixed values {sorted(unknown)} are not fields of {config_cls.__name__}"
        )
    _REGISTRY[name] = ModelEntry(
        name, model_cls, config_cls, dict(fixed), family, summary
    )


def list_models(family: str | None = None) -> list[str]:
    """All registered model names in registration order (optionally one family)."""
    return [n for n, e in _REGISTRY.items() if family is None or e.family == family]


def get_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``, or a ValueError suggesting the closest names."""
    if not isinstance(name, str) or name not in _REGISTRY:
        close = difflib.get_close_matches(
            str(name).lower(), list(_REGISTRY), n=4, cutoff=0.5
        )
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"unknown model {name!r}.{hint} Known models: {', '.join(_REGISTRY)} "
            "(see helpers.models.list_models())."
        )
    return _REGISTRY[name]


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered model, e.g. ``create_model("resnet_cifar", depth=56, width=16)``.

    Common kwargs: ``num_classes`` and ``in_channels`` (1 for Fashion-MNIST, 3 for RGB).
    The returned model has ``forward_features``/``forward_head``, a ``config`` attribute (the
    dataclass it was built from) and ``registry_name``.
    """
    entry = get_entry(name)
    pinned = sorted(set(kwargs) & set(entry.fixed))
    if pinned:
        fixed = ", ".join(f"{k}={entry.fixed[k]!r}" for k in pinned)
        raise ValueError(
            f"{name} does not take {', '.join(pinned)} (the name fixes {fixed}); it takes only "
            f"{', '.join(entry.kwargs)}. Use a generic name (e.g. 'resnet_cifar' with depth=...) "
            "to choose these freely."
        )
    unexpected = sorted(set(kwargs) - set(entry.kwargs))
    if unexpected:
        raise ValueError(
            f"{name} got unexpected keyword argument(s) {', '.join(unexpected)}; "
            f"it takes {', '.join(entry.kwargs)}."
        )
    config = entry.config_cls(**{**entry.fixed, **kwargs})
    model = entry.model_cls(config)
    model.registry_name = name
    return model
