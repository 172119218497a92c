"""What a training run produced: per-step and per-epoch metrics, timing, device, config."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """Metrics of one run. ``steps``: dicts (step, epoch, loss, error, lr), window averages every
    ``log_every`` steps; ``epochs``: dicts (epoch, train_loss, train_error, val_loss, val_error,
    lr, time_s). Errors are fractions in [0, 1]."""

    steps: list[dict] = field(default_factory=list)
    epochs: list[dict] = field(default_factory=list)
    wall_time_s: float = 0.0
    images_per_s: float = 0.0
    device: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    diverged: dict | None = (
        None  # {"step": ..., "lr": ...} when on_nan="stop" ended the run
    )
    from_cache: bool = False  # set by helpers.experiments.cache.train_cached
    meta: dict[str, Any] = field(
        default_factory=dict
    )  # free-form: model name, dataset, ...

    def series(
        self, key: str, level: str = "epochs"
    ) -> tuple[list[float], list[float]]:
        """(x, y) for plotting ``key``; x is the epoch number or the step."""
        rows = self.epochs if level == "epochs" else self.steps
        xname = "epoch" if level == "epochs" else "step"
        pts = [(r[xname], r[key]) for r in rows if r.get(key) is not None]
        return [p[0] for p in pts], [p[1] for p in pts]

    def final(self, key: str) -> float | None:
        """Last recorded value of an epoch metric (e.g. "train_error"), or None."""
        for row in reversed(self.epochs):
            if row.get(key) is not None:
                return row[key]
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(**d)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, allow_nan=True))

    @classmethod
    def load(cls, path: str | Path) -> History:
        return cls.from_dict(json.loads(Path(path).read_text()))
