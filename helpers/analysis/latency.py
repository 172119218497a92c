"""Inference latency, measured honestly: warm-up runs first, then the median of timed repeats.

A latency number means little without the machine, the thread count and the batch size, so every
measurement returns them alongside the times. Used by the "ResNet on ImageNet" and "Related work"
chapters for their live compute tables.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn

from helpers.core.device import resolve_device


@dataclass(frozen=True)
class LatencyResult:
    """Wall-clock time of one forward pass (``torch.inference_mode``, model in eval mode)."""

    median_ms: float  # median over the timed repeats, milliseconds
    min_ms: float
    max_ms: float
    repeats: int  # timed forward passes actually run (may be < requested under a time budget)
    warmup: int  # untimed forward passes before timing
    batch_size: int
    input_size: tuple[int, ...]
    threads: int  # torch intra-op threads used (CPU)
    device: str

    def as_dict(self) -> dict:
        return asdict(self)


@contextlib.contextmanager
def num_threads(threads: int | None) -> Iterator[int]:
    """Temporarily set ``torch.set_num_threads``; yields the count in effect, restores it after."""
    before = torch.get_num_threads()
    if threads is not None:
        if threads < 1:
            raise ValueError(
                f"threads must be >= 1 (or None to keep {before}); got {threads}"
            )
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_latency(
    model: nn.Module,
    input_size: Sequence[int] = (1, 3, 224, 224),
    *,
    repeats: int = 5,
    warmup: int = 1,
    threads: int | None = None,
    device: torch.device | str | None = None,
    max_seconds: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> LatencyResult:
    """Time ``model`` on a random input of shape ``input_size``; report the median.

    ``max_seconds`` caps the timed phase: once it is exceeded, no further repeats start (at least
    one always runs), and ``LatencyResult.repeats`` says how many did. The model is put in eval
    mode and moved to ``device`` (default: where its parameters already are).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0; got {warmup}")
    if len(input_size) < 2:
        raise ValueError(
            f"input_size needs a batch dimension, e.g. (1, 3, 224, 224); got {input_size}"
        )
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else "cpu"
    device = resolve_device(device)
    model = model.to(device).eval()
    x = torch.randn(*input_size, device=device)
    times: list[float] = []
    with num_threads(threads) as used, torch.inference_mode():
        for _ in range(warmup):
            model(x)
        _synchronize(device)
        budget_start = clock()
        for _ in range(repeats):
            start = clock()
            model(x)
            _synchronize(device)
            times.append((clock() - start) * 1000.0)
            if max_seconds is not None and clock() - budget_start > max_seconds:
                break
    return LatencyResult(
        median_ms=statistics.median(times),
        min_ms=min(times),
        max_ms=max(times),
        repeats=len(times),
        warmup=warmup,
        batch_size=int(input_size[0]),
        input_size=tuple(int(s) for s in input_size),
        threads=used,
        device=str(device),
    )


def model_cost_table(
    names: Sequence[str],
    *,
    input_size: Sequence[int] = (1, 3, 224, 224),
    latency: bool = True,
    repeats: int = 3,
    warmup: int = 1,
    threads: int | None = None,
    max_seconds_per_model: float | None = 5.0,
    model_kwargs: dict[str, dict] | None = None,
) -> list[dict]:
    """Parameters, multiply-adds and (optionally) CPU latency for registry models, one row each.

    Rows: ``name``, ``params``, ``gmacs`` (10^9 multiply-adds per image), and when ``latency`` is
    set, ``latency_ms`` (median), ``repeats`` and ``threads``. Models are built with random weights
    (latency and cost do not depend on the values) and freed before the next is built; without
    ``latency`` they are built on the ``meta`` device (shapes only), which takes no time or memory.
    """
    from helpers.analysis.complexity import count_macs, count_parameters
    from helpers.models import create_model

    model_kwargs = model_kwargs or {}
    batch = int(input_size[0])
    rows = []
    for name in names:
        torch.manual_seed(0)
        with torch.device("cpu" if latency else "meta"):
            model = create_model(name, **model_kwargs.get(name, {})).eval()
        row = {
            "name": name,
            "params": count_parameters(model),
            "gmacs": count_macs(model, input_size=tuple(input_size)) / batch / 1e9,
        }
        if latency:
            result = measure_latency(
                model,
                input_size,
                repeats=repeats,
                warmup=warmup,
                threads=threads,
                max_seconds=max_seconds_per_model,
            )
            row.update(
                latency_ms=result.median_ms,
                repeats=result.repeats,
                threads=result.threads,
            )
        rows.append(row)
        del model
    return rows
