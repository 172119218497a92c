"""Lesion study (Veit et al. 2016): deleting blocks, restoring the model, marking downsampling."""

import pytest
import torch

from helpers.analysis.lesion import lesion_study, plot_lesion
from helpers.models import create_model, residual_blocks

torch.set_num_threads(1)


def _model(name: str, **kw):
    torch.manual_seed(0)
    return create_model(name, depth=14, width=4, in_channels=1, **kw).eval()


@pytest.fixture
def images():
    return torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def _output_change(images):
    def make(reference):
        def evaluate(model):
            with torch.no_grad():
                return float((model(images) - reference).abs().max())

        return evaluate

    return make


def test_zero_init_residual_blocks_can_be_deleted_without_any_change(images):
    model = _model("resnet_cifar", zero_init_residual=True)
    with torch.no_grad():
        reference = model(images)
    study = lesion_study(model, evaluate=_output_change(images)(reference))
    assert study.baseline_error == 0.0
    assert len(study.rows) == 6  # 3 stages x n=2
    assert all(r.deletable and r.error == 0.0 for r in study.rows)


def test_deleting_a_trained_like_block_changes_the_output_and_model_is_restored(images):
    model = _model("resnet_cifar")
    with torch.no_grad():
        reference = model(images)
    study = lesion_study(model, evaluate=_output_change(images)(reference))
    assert all(r.error > 1e-4 for r in study.rows)
    assert not any(b.skip_branch for b in residual_blocks(model))
    with torch.no_grad():
        assert torch.equal(model(images), reference)


def test_downsampling_blocks_and_stages_are_marked(images):
    model = _model("resnet_cifar")
    study = lesion_study(
        model, evaluate=lambda m: float(m(images).detach().sum() * 0) + 0.5
    )
    assert [r.downsampling for r in study.rows] == [
        False,
        False,
        True,
        False,
        True,
        False,
    ]
    assert [r.stage for r in study.rows] == [0, 0, 1, 1, 2, 2]
    assert study.summary()["mean_error_other_blocks"] == 0.5


def test_plain_blocks_that_change_shape_are_not_deleted(images):
    model = _model("plain_cifar")
    with torch.no_grad():
        reference = model(images)
    study = lesion_study(model, evaluate=_output_change(images)(reference))
    deletable = [r.deletable for r in study.rows]
    assert deletable == [True, True, False, True, False, True]
    assert all((r.error is None) == (not r.deletable) for r in study.rows)
    assert all(not r.residual for r in study.rows)


def test_needs_data_or_evaluate():
    with pytest.raises(ValueError, match="evaluate"):
        lesion_study(_model("resnet_cifar"))


def test_plot_lesion_draws_one_line_per_model(images):
    model = _model("resnet_cifar")
    study = lesion_study(
        model, evaluate=lambda m: float(m(images).detach().sum() * 0) + 0.2
    )
    fig = plot_lesion({"ResNet-14": study, "copy": study}, provenance="synthetic")
    assert len(fig.axes[0].lines) >= 4
    assert not any("synthetic" in t.get_text() for t in fig.texts)  # caption, not image
    legend = fig.axes[0].get_legend()
    fig.canvas.draw()
    box, axes_box = legend.get_window_extent(), fig.axes[0].get_window_extent()
    assert box.y1 <= axes_box.y0, "the legend must sit below the axes, over no line"


def test_lesion_study_evaluates_with_the_models_normalisation():
    from dataclasses import replace

    from helpers.data import Dataset, Normalization, set_normalization
    from helpers.train import evaluate

    g = torch.Generator().manual_seed(0)
    ramp = torch.arange(28).mul(8).view(1, 1, 1, 28)
    images = (torch.randint(0, 40, (60, 1, 28, 28), generator=g) + ramp).to(torch.uint8)
    data = Dataset(
        images,
        torch.zeros(60, dtype=torch.long),
        [str(i) for i in range(10)],
        (0.5,),
        (0.3,),
        "tiny",
        "test",
        "memory",
    )
    model = _model("resnet_cifar")
    with torch.no_grad():
        model.fc.weight.mul_(
            1000
        )  # so that small changes of the features change the answer
    pixel = Normalization.of("pixel", data)
    with (
        torch.no_grad()
    ):  # label every image as the model sees it under the per-pixel mean
        data = replace(data, labels=model(pixel(images)).argmax(1))
        channel_error = (
            (model(Normalization.of("channel", data)(images)).argmax(1) != data.labels)
            .float()
            .mean()
        )
    assert (
        channel_error > 0
    )  # feeding it per-channel statistics would change its answers
    set_normalization(model, pixel)
    assert (
        lesion_study(model, data, device="cpu").baseline_error
        == 0.0
        == evaluate(model, data)["error"]
    )
