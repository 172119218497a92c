"""helpers.train, the defects of issue 12: the normalisation a model is trained with travels
with it; bad input is an error at the call, before any step; a diverged run leaves usable
weights; fit leaves the caller's RNG alone."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from _train_toys import cfg, make_net, shifted_data, toy_data

from helpers.data import Dataset
from helpers.train import TrainConfig, TrainingDiverged, evaluate, fit, lr_at, predict

torch.set_num_threads(1)


def test_pixel_normalised_model_evaluates_as_trained() -> None:
    """Defect 1: a plain evaluate() must feed the model the statistics it was trained with."""
    train, test = shifted_data(), shifted_data(128, seed=1, split="test")
    model = make_net()
    h = fit(model, train, cfg(epochs=2, normalize="pixel", amp=False), val=test)
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
