"""helpers.train: schedules, fit, evaluate, History, checkpoints/resume, divergence handling."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
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


# ----------------------------------------------------------------------------- fixtures
def toy_data(n: int = 256, seed: int = 0, split: str = "train") -> Dataset:
    """Two classes: dark vs bright 8x8 images (plus noise) — linearly separable."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    base = torch.where(labels[:, None, None, None] == 1, 170, 60).expand(n, 1, 8, 8)
    images = (
        (base + torch.randint(-40, 41, (n, 1, 8, 8), generator=g))
        .clamp(0, 255)
        .to(torch.uint8)
    )
    return Dataset(
        images, labels, ["dark", "bright"], (0.45,), (0.25,), "toy", split, "memory"
    )


class TinyNet(nn.Module):
    """Conv-BN-ReLU-pool-linear; ``interrupt_at``/``nan_at`` count training forward calls."""

    def __init__(
        self, interrupt_at: int | None = None, nan_at: int | None = None
    ) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4, 2),
        )
        self.calls, self.interrupt_at, self.nan_at = 0, interrupt_at, nan_at

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.calls += 1
            if self.calls == self.interrupt_at:
                raise KeyboardInterrupt
        out = self.net(x)
        if self.training and self.nan_at is not None and self.calls >= self.nan_at:
            out = out * float("nan")
        return out


def make_net(**kw) -> TinyNet:
    torch.manual_seed(0)
    return TinyNet(**kw)


def cfg(**kw) -> TrainConfig:
    base = dict(
        epochs=3,
        batch_size=32,
        lr=0.05,
        augment=False,
        progress=False,
        device="cpu",
        log_every=3,
    )
    base.update(kw)
    return TrainConfig(**base)


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


# ----------------------------------------------------------------------------- issue 12 defects
def shifted_data(n: int = 256, seed: int = 0, split: str = "train") -> Dataset:
    """Like toy_data, but with a position-dependent background: the per-pixel mean differs
    from the per-channel one, so a model is sensitive to which normalisation feeds it."""
    data = toy_data(n, seed, split)
    ramp = torch.arange(8, dtype=torch.int16).mul(12).view(1, 1, 1, 8)
    images = (data.images.to(torch.int16) + ramp).clamp(0, 255).to(torch.uint8)
    return Dataset(
        images, data.labels, data.classes, (0.55,), (0.25,), "toy", split, "memory"
    )


def test_pixel_normalised_model_evaluates_as_trained() -> None:
    """Defect 1: a plain evaluate() must feed the model the statistics it was trained with."""
    train, test = shifted_data(), shifted_data(128, seed=1, split="test")
    model = make_net()
    h = fit(model, train, cfg(epochs=2, normalize="pixel"), val=test)
    assert evaluate(model, test)["error"] == pytest.approx(h.final("val_error"))
    assert evaluate(model, test)["loss"] == pytest.approx(
        h.epochs[-1]["val_loss"], rel=1e-5
    )


def test_normalisation_travels_and_conflicts_are_errors(tmp_path: Path) -> None:
    from helpers.data import normalization_of
    from helpers.train import model_inputs

    train, test = shifted_data(), shifted_data(64, seed=1, split="test")
    model = make_net()
    fit(
        model,
        train,
        cfg(epochs=1, normalize="pixel", checkpoint_path=str(tmp_path / "ck.pt")),
    )
    norm = normalization_of(model)
    assert norm.kind == "pixel" and norm.mean.shape == (1, 8, 8)
    assert torch.allclose(norm.mean, train.images.float().mean(0) / 255)
    saved = torch.load(tmp_path / "ck.pt", weights_only=True)["normalization"]
    assert saved["kind"] == "pixel" and torch.equal(saved["mean"], norm.mean)
    x, y = model_inputs(model, test, 5)
    assert torch.allclose(x, test.images[:5].float() / 255 - norm.mean) and torch.equal(
        y, test.labels[:5]
    )
    with pytest.raises(ValueError, match="trained with normalize='pixel'"):
        evaluate(model, test, normalize="channel")
    assert (
        evaluate(model, test, normalize="pixel")["error"]
        == evaluate(model, test)["error"]
    )


def test_resume_without_checkpoint_path_is_an_error() -> None:
    """Defect 3: resume=True with nowhere to resume from used to train from scratch silently."""
    model = make_net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="checkpoint_path"):
        fit(model, toy_data(64), cfg(epochs=1), resume=True)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_milestones_fractions_and_iterations_are_unambiguous() -> None:
    """Defect 4: 1.0 is the end of training (a fraction), not iteration 1."""
    one = TrainConfig(epochs=1, milestones=(1.0,), lr=0.1)
    assert lr_at(1, one, 100) == 0.1 and lr_at(99, one, 100) == 0.1
    mixed = TrainConfig(epochs=1, milestones=(0.5, 80), lr=0.1)
    assert math.isclose(lr_at(50, mixed, 100), 0.01) and math.isclose(
        lr_at(80, mixed, 100), 0.001
    )
    for bad in (1.5, 0.0, -0.5, 32_000.0, True):
        with pytest.raises(ValueError, match="milestone"):
            TrainConfig(epochs=1, milestones=(bad,))
    with pytest.raises(ValueError, match="past the end"):
        TrainConfig(iterations=100, milestones=(50, 120))
    TrainConfig(
        iterations=100, milestones=(50, 120), schedule="constant"
    )  # unused: fine


def test_milestone_past_the_end_fails_before_training() -> None:
    model = make_net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="past the end"):
        fit(model, toy_data(64), cfg(epochs=1, milestones=(30,)))  # 2 steps
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_evaluate_loss_is_cross_entropy_of_logits_even_with_probs() -> None:
    """Defect 5: probs=True used to compute the cross-entropy of probabilities."""
    model, test = make_net(), toy_data(64, seed=1, split="test")
    logits, labels = predict(model, test)
    expected = float(torch.nn.functional.cross_entropy(logits, labels))
    assert evaluate(model, test)["loss"] == pytest.approx(expected)
    assert evaluate(model, test, probs=True)["loss"] == pytest.approx(expected)


@pytest.mark.parametrize(
    "case, error, match",
    [
        ("tensor_dataset", TypeError, "helpers.data.Dataset"),
        ("channels", ValueError, r"shape \(3, 8, 8\).*in_channels=3"),
        ("classes", ValueError, "has 3 classes.*num_classes=3"),
        ("warmup", ValueError, "warmup_iters"),
        ("normalize", ValueError, "normalize must be one of"),
        ("batch", ValueError, "larger than the training set"),
    ],
)
def test_bad_input_is_an_error_at_the_call(case: str, error: type, match: str) -> None:
    """Defect 6 (training side): each raises before any step, naming the fix."""
    model, data = make_net(), toy_data(64)
    if case == "tensor_dataset":
        data = torch.utils.data.TensorDataset(data.images.float(), data.labels)
    elif case == "channels":
        data = Dataset(
            data.images.expand(64, 3, 8, 8).contiguous(),
            data.labels,
            data.classes,
            (0.45,) * 3,
            (0.25,) * 3,
            "toy-rgb",
            "train",
            "memory",
        )
    elif case == "classes":
        data = Dataset(
            data.images,
            data.labels,
            ["a", "b", "c"],
            (0.45,),
            (0.25,),
            "toy3",
            "train",
            "memory",
        )
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(error, match=match):
        overrides = {
            "warmup": dict(warmup_iters=-5),
            "normalize": dict(normalize="global"),
            "batch": dict(batch_size=100),
        }.get(case, {})
        fit(model, data, cfg(epochs=1, **overrides))
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_nan_stop_restores_the_last_good_weights() -> None:
    """Defect 7: on_nan='stop' used to leave NaN weights in the model."""
    model = make_net(
        nan_at=5
    )  # steps 1-4 finite; the check after step 3 is the last good one
    h = fit(model, toy_data(), cfg(schedule="constant"), on_nan="stop")
    assert h.diverged["step"] == 5 and h.diverged["weights_from_step"] == 3
    reference = make_net()
    fit(reference, toy_data(), cfg(iterations=3, schedule="constant"))
    for (k, a), b in zip(
        model.state_dict().items(), reference.state_dict().values(), strict=False
    ):
        assert torch.equal(a, b), k


def test_nan_raise_also_leaves_usable_weights() -> None:
    model = make_net(nan_at=2)
    with pytest.raises(TrainingDiverged, match="weights after step 0"):
        fit(model, toy_data(), cfg())
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())


def test_fit_leaves_the_callers_rng_alone() -> None:
    """Defect 7: fit used to reseed the global RNG with config.seed."""
    model, data = make_net(), toy_data(64)
    torch.manual_seed(1234)
    state = torch.get_rng_state()
    fit(model, data, cfg(epochs=1, seed=7))
    assert torch.equal(torch.get_rng_state(), state)


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
    import helpers.train.loop as loop

    seen = []
    monkeypatch.setattr(
        loop, "amp_dtype", lambda device, amp: seen.append((device.type, amp)) or None
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
    h_eager = fit(eager, toy_data(64), cfg(iterations=4, log_every=1))
    h_comp = fit(compiled, toy_data(64), cfg(iterations=4, log_every=1, compile=True))
    assert [s["loss"] for s in h_comp.steps] == pytest.approx(
        [s["loss"] for s in h_eager.steps], rel=1e-4
    )
    for a, b in zip(
        eager.state_dict().values(), compiled.state_dict().values(), strict=False
    ):
        assert torch.allclose(a.float(), b.float(), atol=1e-5)
