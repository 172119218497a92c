"""Reproducibility card: our results over seeds beside the paper's, with everything needed to rerun.

A number without its conditions is not a result. The card puts, for every trained model, our test
error as mean ± standard deviation over seeds next to the error the paper reports (labelled as
quoted), together with the dataset, budget profile, device, wall time and library versions.
"""

from __future__ import annotations

import math
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from helpers.book.outputs import markdown
from helpers.book.provenance import device_text
from helpers.core.text import T, Text, join
from helpers.core.versions import library_versions

__all__ = ["ReproEntry", "ReproCard", "entry_from_histories", "repro_card"]


@dataclass
class ReproEntry:
    """One model's results. Errors are percentages; one value per seed."""

    model: str  # e.g. "ResNet-20"
    errors: list[float]  # our test errors, %, one per seed
    seeds: list[int]
    wall_times_s: list[float] = field(default_factory=list)  # training time per seed
    paper_error: float | None = None  # the paper's test error, %, QUOTED (not ours)
    paper_source: str = (
        ""  # where the paper number comes from, e.g. "He et al. 2016, Table 6"
    )
    train_errors: list[float] = field(
        default_factory=list
    )  # our final training errors, %
    params: int | None = None

    def __post_init__(self) -> None:
        if len(self.errors) != len(self.seeds):
            raise ValueError(
                f"{self.model}: {len(self.errors)} errors for {len(self.seeds)} seeds; give one error per seed"
            )
        if not self.errors:
            raise ValueError(
                f"{self.model}: no results; give at least one seed's error"
            )

    @property
    def mean(self) -> float:
        return statistics.fmean(self.errors)

    @property
    def std(self) -> float | None:
        """Sample standard deviation over seeds (None for a single seed)."""
        return statistics.stdev(self.errors) if len(self.errors) > 1 else None

    def ours_text(self) -> Text:
        """ "8.41 ± 0.20 (3 seeds)" or "8.41 (1 seed)"."""
        if self.std is None:
            return T("{mean:.2f} (1 seed)", mean=self.mean)
        return T(
            "{mean:.2f} ± {std:.2f} ({n} seeds)",
            mean=self.mean,
            std=self.std,
            n=len(self.errors),
        )


def _final_error(history, key: str) -> float:
    value = history.final(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError(
            f"history has no final {key!r}; was it trained with a validation/test set?"
        )
    return 100.0 * float(value)


def entry_from_histories(
    model: str,
    histories: Sequence,
    *,
    seeds: Sequence[int] | None = None,
    paper_error: float | None = None,
    paper_source: str = "",
    params: int | None = None,
    error_key: str = "val_error",
) -> ReproEntry:
    """Build an entry from ``helpers.train.History`` objects (one per seed).

    ``error_key`` is the epoch metric holding the held-out error (``helpers.experiments.cache`` evaluates
    on the test set; check what your runs used). Seeds default to ``history.config["seed"]``.
    """
    if not histories:
        raise ValueError(f"{model}: no histories given")
    if seeds is None:
        seeds = [int(h.config.get("seed", i)) for i, h in enumerate(histories)]
    return ReproEntry(
        model=model,
        errors=[_final_error(h, error_key) for h in histories],
        seeds=list(seeds),
        wall_times_s=[float(h.wall_time_s) for h in histories],
        paper_error=paper_error,
        paper_source=paper_source,
        train_errors=[
            _final_error(h, "train_error")
            for h in histories
            if h.final("train_error") is not None
        ],
        params=params,
    )


def _versions() -> dict[str, str]:
    """The versions the card lists: Python and the libraries that produce its numbers."""
    libraries = library_versions(("torch", "torchvision", "numpy", "matplotlib"))
    versions = {"python": platform.python_version(), **libraries}
    return {k: v for k, v in versions.items() if v is not None}


@dataclass
class ReproCard:
    """A table of entries plus the run conditions; renders as Markdown in a notebook."""

    entries: list[ReproEntry]
    dataset: str
    profile: str
    device: str
    versions: dict[str, str] = field(default_factory=_versions)
    paper_dataset: str = "CIFAR-10"
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict]:
        """Plain data, one dict per entry (for tests and custom tables)."""
        return [
            {
                "model": e.model,
                "ours_mean": e.mean,
                "ours_std": e.std,
                "seeds": list(e.seeds),
                "train_error_mean": statistics.fmean(e.train_errors)
                if e.train_errors
                else None,
                "paper": e.paper_error,
                "paper_source": e.paper_source,
                "wall_time_s_mean": statistics.fmean(e.wall_times_s)
                if e.wall_times_s
                else None,
                "params": e.params,
            }
            for e in self.entries
        ]

    def to_markdown(self) -> Text:
        """The table and its conditions, in both languages (a :class:`Text`)."""
        header = T(
            "| model | params | our test error % ({dataset}) | our final training error % "
            "| paper's test error % ({paper_dataset}, quoted) | training time / run |",
            dataset=self.dataset,
            paper_dataset=self.paper_dataset,
        )
        lines = [header, "|---|---:|---|---:|---|---:|"]
        for e, r in zip(self.entries, self.rows(), strict=False):
            lines.append(join(" | ", ["| " + e.model, *self._cells(e, r)]) + " |")
        footer = [self._conditions()]
        if self.dataset.lower().replace("-", "") != self.paper_dataset.lower().replace(
            "-", ""
        ):
            footer.append(
                T(
                    "Our dataset ({dataset}) differs from the paper's ({paper_dataset}), so "
                    "the two error columns are not comparable number for number: compare "
                    "the trends (deeper vs shallower, plain vs residual), not the values.",
                    dataset=self.dataset,
                    paper_dataset=self.paper_dataset,
                )
            )
        footer.extend(self.notes)
        return join("\n", lines) + "\n\n" + join("\n\n", footer) + "\n"

    @staticmethod
    def _cells(e: ReproEntry, r: dict) -> list[str | Text]:
        params = f"{e.params:,}" if e.params is not None else "–"
        train = r["train_error_mean"]
        paper = (
            T("{error:.2f} ({source})", error=e.paper_error, source=e.paper_source)
            if e.paper_error is not None
            else T("not reported")
        )
        wall = r["wall_time_s_mean"]
        return [
            params,
            e.ours_text(),
            "–" if train is None else f"{train:.2f}",
            paper,
            "–" if wall is None else T("{seconds:.0f} s", seconds=wall),
        ]

    def _conditions(self) -> Text:
        versions = ", ".join(f"{k} {v}" for k, v in self.versions.items())
        seeds = sorted({s for e in self.entries for s in e.seeds})
        return T(
            "**Conditions.** Our runs: {dataset} · profile `{profile}` · {device} · seeds "
            "{seeds} · {versions}. Mean ± sample standard deviation over seeds.",
            dataset=self.dataset,
            profile=self.profile,
            device=device_text(self.device),
            seeds=", ".join(map(str, seeds)),
            versions=versions,
        )

    def _repr_markdown_(self) -> tuple[str, dict] | str | None:
        return markdown(self.to_markdown())._repr_markdown_()


def repro_card(
    entries: Sequence[ReproEntry],
    *,
    dataset: str,
    profile: str,
    device: str,
    paper_dataset: str = "CIFAR-10",
    notes: Sequence[str] = (),
) -> ReproCard:
    """Assemble a :class:`ReproCard`; display it in a notebook to get the Markdown table."""
    if not entries:
        raise ValueError("repro_card needs at least one ReproEntry")
    return ReproCard(
        list(entries),
        dataset,
        profile,
        device,
        paper_dataset=paper_dataset,
        notes=list(notes),
    )
