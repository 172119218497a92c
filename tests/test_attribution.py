"""Integrated Gradients, Grad-CAM and the randomisation sanity check."""

import pytest
import torch

from helpers.analysis.attribution import (
    grad_cam,
    integrated_gradients,
    randomization_steps,
    randomized_copy,
    rank_correlation,
    sanity_check,
)
from helpers.models import create_model, residual_blocks

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return create_model("resnet_cifar", depth=8, width=4, in_channels=1).eval()


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(3, 1, 28, 28, generator=g), torch.tensor([0, 3, 7])


def test_integrated_gradients_is_complete(model, batch):
    x, y = batch
    attr = integrated_gradients(model, x, y, n_steps=64)
    assert attr.shape == x.shape
    with torch.no_grad():
        gap = model(x)[range(3), y] - model(torch.zeros_like(x))[range(3), y]
    assert torch.allclose(
        attr.sum(dim=(1, 2, 3)), gap, atol=0.05 * gap.abs().max().item() + 1e-3
    )


def test_grad_cam_is_nonnegative_and_input_sized(model, batch):
    x, y = batch
    cam = grad_cam(model, x, y)
    assert cam.shape == (3, 1, 28, 28)
    assert (cam >= 0).all() and torch.isfinite(cam).all()


def test_rank_correlation():
    a = torch.rand(2, 1, 5, 5)
    assert torch.allclose(rank_correlation(a, a), torch.ones(2, dtype=torch.float64))
    assert torch.allclose(
        rank_correlation(a, a**3 + 1), torch.ones(2, dtype=torch.float64)
    )
    assert torch.allclose(
        rank_correlation(a, -a, absolute=False), -torch.ones(2, dtype=torch.float64)
    )
    with pytest.raises(ValueError, match="same shape"):
        rank_correlation(a, a[:1])


def test_cascading_randomisation_goes_from_head_to_stem(model):
    before = {k: v.clone() for k, v in model.state_dict().items()}
    steps = list(randomization_steps(model))
    blocks = residual_blocks(model)
    assert [label for label, _ in steps] == [
        "up to head",
        *[f"up to block {i}" for i in (3, 2, 1)],
        "up to stem",
    ]
    first = steps[0][1]
    assert not torch.equal(first.fc.weight, model.fc.weight)
    assert torch.equal(first.conv1.weight, model.conv1.weight)
    assert torch.equal(residual_blocks(first)[-1].conv2.weight, blocks[-1].conv2.weight)
    second = steps[1][1]
    assert not torch.equal(
        residual_blocks(second)[-1].conv2.weight, blocks[-1].conv2.weight
    )
    assert torch.equal(residual_blocks(second)[0].conv1.weight, blocks[0].conv1.weight)
    last = steps[-1][1]
    assert not torch.equal(last.conv1.weight, model.conv1.weight)
    for k, v in model.state_dict().items():  # original untouched
        assert torch.equal(v, before[k]), k


def test_whole_model_randomisation_changes_every_conv(model):
    rnd = randomized_copy(model, seed=1)
    for (name, p), (_, q) in zip(
        model.named_parameters(), rnd.named_parameters(), strict=False
    ):
        if p.dim() > 1:
            assert not torch.equal(p, q), name


def test_sanity_check_rows(model, batch):
    x, y = batch
    rows = sanity_check(model, x, y, lambda m, a, b: grad_cam(m, a, b), max_steps=2)
    assert [r["step"] for r in rows] == ["trained", "up to head", "up to block 3"]
    assert rows[0]["rank_corr"] == 1.0
    assert all(-1.0 <= r["rank_corr"] <= 1.0 for r in rows)


def test_black_baseline_follows_the_models_normalisation(model):
    from helpers.analysis.attribution import black_baseline
    from helpers.data import Dataset, Normalization, set_normalization

    images = torch.randint(
        0,
        256,
        (4, 1, 28, 28),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(0),
    )
    data = Dataset(
        images,
        torch.arange(4),
        [str(i) for i in range(10)],
        (0.3,),
        (0.2,),
        "t",
        "test",
        "m",
    )
    x = torch.randn(2, 1, 28, 28)
    with pytest.raises(ValueError, match="carries no input normalisation"):
        black_baseline(create_model("resnet_cifar", depth=8, width=4, in_channels=1), x)
    set_normalization(model, Normalization.of("channel", data))
    assert torch.allclose(black_baseline(model, x), torch.full_like(x, -0.3 / 0.2))
    set_normalization(model, Normalization.of("pixel", data))
    assert torch.allclose(
        black_baseline(model, x), (-images.float().mean(0) / 255).expand_as(x)
    )
    del model.input_normalization


def test_a_map_that_is_zero_everywhere_says_so() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.analysis.attribution_plots import plot_attributions

    images = torch.rand(2, 1, 8, 8)
    maps = {
        "Grad-CAM, random weights": torch.zeros(2, 1, 8, 8),
        "IG": torch.rand(2, 1, 8, 8),
    }
    fig = plot_attributions(images, maps)
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert labels.count("zero\neverywhere") == 2  # the two black maps, not the others
    plt.close(fig)
