"""helpers.train: schedules, fit, evaluate, History, checkpoints/resume, divergence handling,
precision and the optimizer. Bad input and normalisation: test_train_inputs.py."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from _train_toys import TinyNet, cfg, make_net, toy_data
from torch import nn

from helpers.data import Dataset
from helpers.train import (
    CheckpointError,
    History,
    TrainConfig,
    TrainingDiverged,
    evaluate,
    fit,
    lr_at,
    predict,
)

torch.set_num_threads(1)


# ----------------------------------------------------------------------------- schedules
def test_paper_step_schedule() -> None:
    c = TrainConfig(iterations=64_000, milestones=(32_000, 48_000), lr=0.1)
    assert lr_at(0, c, 64_000) == 0.1
    assert lr_at(31_999, c, 64_000) == 0.1
    assert math.isclose(lr_at(32_000, c, 64_000), 0.01)
    assert math.isclose(lr_at(47_999, c, 64_000), 0.01)
    assert math.isclose(lr_at(48_000, c, 64_000), 0.001)


def test_fractional_milestones_and_warmup() -> None:
    c = TrainConfig(epochs=10, milestones=(0.5, 0.75), warmup_iters=400, warmup_lr=0.01)
    assert (
        lr_at(0, c, 1000) == 0.01 and lr_at(399, c, 1000) == 0.01
    )  # paper's ResNet-110 warm-up
    assert lr_at(400, c, 1000) == 0.1
    assert math.isclose(lr_at(500, c, 1000), 0.01) and math.isclose(
        lr_at(750, c, 1000), 0.001
    )
    lin = TrainConfig(epochs=1, warmup_iters=10)
    assert math.isclose(lr_at(0, lin, 100), 0.01) and math.isclose(
        lr_at(9, lin, 100), 0.1
    )


def test_cosine_schedule() -> None:
    c = TrainConfig(epochs=1, schedule="cosine", lr=0.2)
    assert lr_at(0, c, 100) == 0.2
    assert math.isclose(lr_at(50, c, 100), 0.1)
    assert lr_at(100, c, 100) < 1e-12
    with pytest.raises(ValueError, match="cosine"):
        TrainConfig(schedule="exp")
    with pytest.raises(ValueError, match="iterations"):
        TrainConfig(epochs=None)


# ----------------------------------------------------------------------------- fit / evaluate
def test_fit_learns_separable_problem() -> None:
    model, train, test = make_net(), toy_data(), toy_data(128, seed=1, split="test")
    before = evaluate(model, test)
    h = fit(model, train, cfg(epochs=4), val=test)
    after = evaluate(model, test)
    assert after["loss"] < before["loss"] and after["error"] < 0.05
    assert h.epochs[-1]["train_loss"] < h.epochs[0]["train_loss"]
    assert [e["epoch"] for e in h.epochs] == [1, 2, 3, 4]
    assert h.epochs[-1]["val_error"] == pytest.approx(after["error"])
    assert (
        h.steps
        and h.steps[-1]["step"] == 4 * 8
        and {"loss", "error", "lr", "epoch"} <= set(h.steps[0])
    )
    assert h.images_per_s > 0 and h.wall_time_s > 0 and h.device.startswith("cpu")
    assert h.config["batch_size"] == 32


def test_iterations_override_epochs_and_grad_clip() -> None:
    h = fit(make_net(), toy_data(), cfg(iterations=10, grad_clip=0.5, log_every=4))
    assert [s["step"] for s in h.steps] == [4, 8, 10]
    assert len(h.epochs) == 2  # 8 steps per epoch


def test_evaluate_confusion_known_case() -> None:
    class Fixed(nn.Module):
        """Predicts class 1 for every image except the first pixel's brightest ones."""

        def __init__(self) -> None:
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(()))

        def forward(self, x):
            first = x[:, 0, 0, 0]
            return torch.stack([first, -first], 1) + 0 * self.dummy

    labels = torch.tensor([0, 0, 0, 1, 1])
    pix = torch.tensor(
        [200, 200, 10, 10, 200], dtype=torch.uint8
    )  # 200 -> class 0, 10 -> class 1
    images = pix[:, None, None, None].expand(5, 1, 2, 2).contiguous()
    data = Dataset(images, labels, ["a", "b"], (0.5,), (0.5,), "toy", "test", "memory")
    r = evaluate(Fixed(), data)
    assert r["confusion"].tolist() == [[2, 1], [1, 1]]
    assert r["error"] == pytest.approx(2 / 5)
    assert r["per_class_error"] == pytest.approx([1 / 3, 1 / 2])
    probs, y = predict(Fixed(), data, probs=True)
    assert torch.allclose(probs.sum(1), torch.ones(5)) and torch.equal(y, labels)


def test_history_json_round_trip(tmp_path: Path) -> None:
    h = fit(make_net(), toy_data(64), cfg(epochs=1))
    h.diverged = {"step": 3, "lr": 0.1, "loss": float("nan")}
    h.save(tmp_path / "h.json")
    back = History.load(tmp_path / "h.json")
    assert back.steps == h.steps and back.epochs == h.epochs and back.config == h.config
    assert math.isnan(back.diverged["loss"]) and back.series("train_error")[0] == [1]


# ----------------------------------------------------------------------------- checkpoints
@pytest.mark.parametrize(
    "interrupt_at", [5, 17]
)  # mid-epoch 1; first step of epoch 3 (8 steps/epoch)
def test_resume_is_bitwise_identical(tmp_path: Path, interrupt_at: int) -> None:
    train, val = toy_data(), toy_data(64, seed=2, split="val")
    config = cfg(augment=True, checkpoint_path=str(tmp_path / "ck.pt"))
    reference = make_net()
    h_ref = fit(reference, train, cfg(augment=True), val=val)

    interrupted = make_net(interrupt_at=interrupt_at)
    with pytest.raises(KeyboardInterrupt):
        fit(interrupted, train, config, val=val)
    assert (tmp_path / "ck.pt").exists()
    resumed = make_net()
    torch.manual_seed(123)  # global RNG state must not matter: it is restored
    h = fit(resumed, train, config, val=val, resume=True)
    for (k, a), b in zip(
        reference.state_dict().items(), resumed.state_dict().values(), strict=False
    ):
        assert torch.equal(a, b), k
    assert [s["loss"] for s in h.steps] == [s["loss"] for s in h_ref.steps]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "time_s"} for r in rows]  # noqa: E731
    assert strip(h.epochs) == strip(h_ref.epochs)


def test_checkpoint_loads_weights_only(tmp_path: Path) -> None:
    fit(
        make_net(), toy_data(64), cfg(epochs=1, checkpoint_path=str(tmp_path / "ck.pt"))
    )
    state = torch.load(tmp_path / "ck.pt", weights_only=True)
    assert state["step"] == 2 and state["epoch"] == 1


def test_corrupt_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="corrupt.*resume=False"):
        fit(make_net(), toy_data(64), cfg(checkpoint_path=str(path)), resume=True)


def test_mismatched_checkpoint_says_what_differs(tmp_path: Path) -> None:
    path = str(tmp_path / "ck.pt")
    fit(make_net(), toy_data(64), cfg(epochs=1, checkpoint_path=path))
    with pytest.raises(
        CheckpointError, match=r"config\.lr: checkpoint 0\.05 vs now 0\.1"
    ):
        fit(
            make_net(),
            toy_data(64),
            cfg(epochs=1, lr=0.1, checkpoint_path=path),
            resume=True,
        )

    class Wider(TinyNet):
        def __init__(self):
            super().__init__()
            self.net[0], self.net[1], self.net[5] = (
                nn.Conv2d(1, 8, 3, padding=1),
                nn.BatchNorm2d(8),
                nn.Linear(8, 2),
            )

    with pytest.raises(CheckpointError, match="model differs"):
        fit(Wider(), toy_data(64), cfg(epochs=1, checkpoint_path=path), resume=True)


# ----------------------------------------------------------------------------- divergence
def test_nan_raises_with_step_and_lr_and_keeps_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    model = make_net(nan_at=11)  # epoch 2, step 11
    with pytest.raises(
        TrainingDiverged, match=r"step 11 \(learning rate 0\.05\)"
    ) as info:
        fit(model, toy_data(), cfg(checkpoint_path=str(path)))
    assert isinstance(info.value, RuntimeError) and info.value.step == 11
    state = torch.load(path, weights_only=True)
    assert state["step"] == 8 and all(
        torch.isfinite(v).all() for v in state["model"].values()
    )


def test_nan_stop_returns_history() -> None:
    h = fit(make_net(nan_at=4), toy_data(), cfg(lr=0.05), on_nan="stop")
    assert h.diverged["step"] == 4 and h.diverged["lr"] == 0.05
    assert (
        len(h.epochs) == 0 and h.steps[-1]["step"] == 3
    )  # history up to the last good window
    with pytest.raises(ValueError, match="on_nan"):
        fit(make_net(), toy_data(), cfg(), on_nan="ignore")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_amp_fit() -> None:
    h = fit(
        make_net(),
        toy_data(),
        cfg(device="cuda", amp=True, channels_last=True),
        val=toy_data(64, 1),
    )
    assert (
        h.device.startswith("cuda")
        and h.epochs[-1]["train_loss"] < h.epochs[0]["train_loss"]
    )


# ----------------------------------------------------------------------------- precision
def test_precision_by_compute_capability(monkeypatch) -> None:
    """bf16 on sm80+ (A100); fp16 + an enabled GradScaler below (T4, sm75), where
    torch.cuda.is_bf16_supported() also answers True."""
    from helpers.core.precision import amp_dtype, grad_scaler

    cuda = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))
    assert amp_dtype(cuda) is torch.float16
    assert grad_scaler(cuda, amp_dtype(cuda)).is_enabled()
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (8, 0))
    assert amp_dtype(cuda) is torch.bfloat16
    assert not grad_scaler(cuda, amp_dtype(cuda)).is_enabled()
    assert amp_dtype(cuda, amp=False) is None
    monkeypatch.setattr("helpers.core.precision.cpu_has_fast_bf16", lambda: False)
    assert amp_dtype("cpu") is None and not grad_scaler("cpu", None).is_enabled()


def test_fit_uses_the_precision_module(monkeypatch) -> None:
    """The loop asks helpers.core.precision (no second copy of the rule in the loop)."""
    import helpers.train.state as state

    seen = []
    monkeypatch.setattr(
        state, "amp_dtype", lambda device, amp: seen.append((device.type, amp)) or None
    )
    h = fit(make_net(), toy_data(64), cfg(epochs=1, amp=True))
    assert seen == [("cpu", True)] and "autocast" not in h.device


# ----------------------------------------------------------------------------- optimizer, compile
def test_fit_passes_momentum_weight_decay_and_nesterov(monkeypatch) -> None:
    made = []
    real_sgd = torch.optim.SGD

    def spy(params, **kwargs):
        made.append(kwargs)
        return real_sgd(params, **kwargs)

    monkeypatch.setattr(torch.optim, "SGD", spy)
    fit(
        make_net(),
        toy_data(64),
        cfg(epochs=1, momentum=0.8, weight_decay=5e-4, nesterov=True),
    )
    assert made == [dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=5e-4)]


def test_compile_on_cpu_trains_like_eager() -> None:
    """config.compile=True runs torch.compile (inductor) on the CPU; kept to 4 tiny steps."""
    eager, compiled = make_net(), make_net()
    fp32 = dict(
        iterations=4, log_every=1, amp=False
    )  # bf16 rounding differs per kernel
    h_eager = fit(eager, toy_data(64), cfg(**fp32))
    h_comp = fit(compiled, toy_data(64), cfg(**fp32, compile=True))
    assert [s["loss"] for s in h_comp.steps] == pytest.approx(
        [s["loss"] for s in h_eager.steps], rel=1e-4
    )
    for a, b in zip(
        eager.state_dict().values(), compiled.state_dict().values(), strict=False
    ):
        assert torch.allclose(a.float(), b.float(), atol=1e-5)
