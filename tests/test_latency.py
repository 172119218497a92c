"""helpers.analysis.latency: warm-up, median of repeats, thread count recorded and restored."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.analysis.latency import measure_latency, model_cost_table, num_threads


class CountingNet(nn.Module):
    """Counts forward calls and records whether they ran without autograd."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.calls = 0
        self.grad_enabled: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.fc(x)


def fake_clock(durations_s):
    """A clock where timed forward pass i takes durations_s[i] seconds."""
    state = {"t": 0.0, "ticks": 0}
    steps = iter(durations_s)

    def clock() -> float:
        # measure_latency reads the clock: once to start the budget, then start/end per repeat
        # plus once more for the budget check. Advance time only between start and end.
        state["ticks"] += 1
        return state["t"]

    def advance() -> None:
        state["t"] += next(steps)

    return clock, advance


def test_median_of_repeats_after_warmup():
    net = CountingNet()
    durations = [0.010, 0.030, 0.020, 0.100, 0.015]
    clock, advance = fake_clock(durations)
    net.register_forward_hook(lambda *_: advance() if net.calls > 2 else None)
    result = measure_latency(net, (3, 4), repeats=5, warmup=2, clock=clock)
    assert net.calls == 7  # 2 warm-up + 5 timed
    assert result.repeats == 5 and result.warmup == 2
    assert result.median_ms == pytest.approx(20.0)
    assert result.min_ms == pytest.approx(10.0) and result.max_ms == pytest.approx(
        100.0
    )
    assert result.batch_size == 3 and result.input_size == (3, 4)
    assert not any(net.grad_enabled), "latency is measured in inference mode"
    assert not net.training


def test_time_budget_stops_early_but_runs_at_least_once():
    net = CountingNet()
    clock, advance = fake_clock([2.0] * 10)
    net.register_forward_hook(lambda *_: advance())
    result = measure_latency(
        net, (1, 4), repeats=10, warmup=0, max_seconds=3.0, clock=clock
    )
    assert result.repeats == 2  # 2 s + 2 s exceeds 3 s after the second repeat
    clock, advance = fake_clock([5.0] * 10)
    net2 = CountingNet()
    net2.register_forward_hook(lambda *_: advance())
    assert (
        measure_latency(
            net2, (1, 4), repeats=10, warmup=0, max_seconds=1.0, clock=clock
        ).repeats
        == 1
    )


def test_threads_are_recorded_and_restored():
    before = torch.get_num_threads()
    result = measure_latency(CountingNet(), (1, 4), repeats=2, threads=1)
    assert result.threads == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with num_threads(1):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_real_timing_is_positive_and_ordered():
    result = measure_latency(
        nn.Sequential(nn.Linear(64, 64), nn.ReLU()), (8, 64), repeats=3
    )
    assert 0 < result.min_ms <= result.median_ms <= result.max_ms
    assert result.device == "cpu"


@pytest.mark.parametrize("kwargs", [{"repeats": 0}, {"warmup": -1}, {"threads": 0}])
def test_invalid_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        measure_latency(CountingNet(), (1, 4), **kwargs)


def test_bad_input_size_message():
    with pytest.raises(ValueError, match="batch dimension"):
        measure_latency(CountingNet(), (4,))


def test_model_cost_table_rows():
    rows = model_cost_table(
        ["resnet18"], input_size=(1, 3, 64, 64), repeats=1, threads=1
    )
    (row,) = rows
    assert row["name"] == "resnet18"
    assert row["params"] == 11_689_512  # torchvision's resnet18 count
    # MACs scale with pixels: 1.81 GMACs at 224x224 -> about 1.81 * (64/224)^2 at 64x64
    assert row["gmacs"] == pytest.approx(1.81 * (64 / 224) ** 2, rel=0.08)
    assert row["latency_ms"] > 0 and row["repeats"] == 1 and row["threads"] == 1
    no_lat = model_cost_table(["resnet18"], input_size=(1, 3, 64, 64), latency=False)
    assert "latency_ms" not in no_lat[0]
    assert no_lat[0]["params"] == row["params"] and no_lat[0]["gmacs"] == row["gmacs"]
