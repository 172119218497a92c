"""Reference weights in results/: fp16 copies with checksums, loaded with weights_only=True,
and the analyses of a reference run reload them on a machine without the fp32 copies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from helpers.experiments.profiles import get_profile
from helpers.experiments.reproduce import run_profile
from helpers.experiments.weights import WeightsError, load_weights, store_weights
from helpers.models import create_model


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("resnet_cifar", depth=8, width=4, in_channels=1).eval()


def test_fp16_copy_predicts_like_the_original(tmp_path: Path) -> None:
    model = _net()
    record = store_weights(model, tmp_path, "resnet-8-s0")
    assert record["file"] == "weights/resnet-8-s0.pt" and record["dtype"] == "float16"
    copy = _net()
    for p in copy.parameters():
        p.data.zero_()
    copy.load_state_dict(load_weights(tmp_path, record))
    x = torch.randn(256, 1, 28, 28)
    with torch.no_grad():
        a, b = model(x), copy.eval()(x)
    assert (a.argmax(1) == b.argmax(1)).float().mean() >= 0.98
    assert torch.allclose(a, b, rtol=1e-2, atol=1e-2)


def test_a_changed_or_missing_file_is_refused(tmp_path: Path) -> None:
    record = store_weights(_net(), tmp_path, "n")
    path = tmp_path / record["file"]
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="does not match"):
        load_weights(tmp_path, record)
    path.unlink()
    with pytest.raises(WeightsError, match="missing"):
        load_weights(tmp_path, record)


def test_a_reference_run_keeps_weights_and_reuses_them(
    tmp_path: Path, monkeypatch
) -> None:
    """Degradation stores fp16 weights; the analyses on another machine (no checkpoints
    folder) load them instead of training again."""
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    profile = get_profile("smoke").replace(store_weights=True, depths=(8,))
    out = tmp_path / "results"
    common = dict(out=out, parts=("degradation",), seeds=[0], log=lambda s: None)
    run_profile(profile, checkpoints=tmp_path / "ck1", **common, command="test")
    runs = json.loads((out / "degradation.json").read_text())["runs"]
    assert {r["key"] for r in runs} == {"plain-8/s0", "resnet-8/s0"}
    for run in runs:
        assert (out / run["weights"]["file"]).stat().st_size == run["weights"]["bytes"]
    common["parts"] = ("responses",)
    counts = run_profile(profile, checkpoints=tmp_path / "ck2", **common, command="t")
    assert counts["ran"] >= 1
    again = json.loads((out / "degradation.json").read_text())["runs"]
    assert [r["date"] for r in again] == [r["date"] for r in runs]  # not retrained
