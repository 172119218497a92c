"""Branch response magnitudes (paper Fig. 7)."""

import pytest
import torch
from torch import nn

from helpers.analysis.responses import branch_response_std, plot_responses
from helpers.models import create_model, residual_blocks

torch.set_num_threads(1)


@pytest.fixture
def images():
    return torch.randn(12, 1, 28, 28, generator=torch.Generator().manual_seed(1))


def _model(name, **kw):
    torch.manual_seed(0)
    return create_model(name, depth=8, width=4, in_channels=1, **kw)


def test_matches_a_direct_std_and_is_independent_of_batch_size(images):
    model = _model("resnet_cifar")
    captured = []
    handle = residual_blocks(model)[1].branch_out.register_forward_hook(
        lambda m, i, o: captured.append(o)
    )
    model.eval()
    with torch.no_grad():
        model(images)
    handle.remove()
    model.train()
    stds = branch_response_std(model, images, batch_size=5)
    assert len(stds) == 3
    assert stds[1] == pytest.approx(float(captured[0].double().std()), rel=1e-6)
    assert stds == pytest.approx(
        branch_response_std(model, images, batch_size=100), rel=1e-9
    )
    assert model.training  # training mode restored


def test_zero_init_residual_branches_have_zero_response(images):
    stds = branch_response_std(_model("resnet_cifar", zero_init_residual=True), images)
    assert stds == [0.0, 0.0, 0.0]
    assert all(s > 0 for s in branch_response_std(_model("plain_cifar"), images))


def test_block_without_hook_point_is_rejected(images):
    with pytest.raises(ValueError, match="branch_out"):
        branch_response_std(_model("resnet_cifar"), images, blocks=[nn.Conv2d(1, 1, 1)])


def test_plot_has_two_panels():
    fig = plot_responses(
        {"plain-8": [1.0, 0.5, 0.7], "ResNet-8": [0.3, 0.2, 0.4]}, provenance="p"
    )
    assert len(fig.axes) == 2
    assert list(fig.axes[1].lines[1].get_ydata()) == [0.4, 0.3, 0.2]


def _pixel_trained(in_channels=1):
    """A tiny model and data, with the paper's per-pixel-mean normalisation recorded on it."""
    from helpers.data import Dataset, Normalization, set_normalization

    g = torch.Generator().manual_seed(0)
    images = torch.randint(
        0, 256, (40, in_channels, 28, 28), dtype=torch.uint8, generator=g
    )
    data = Dataset(
        images,
        torch.arange(40) % 10,
        [str(i) for i in range(10)],
        (0.5,),
        (0.25,),
        "tiny",
        "test",
        "memory",
    )
    model = _model("resnet_cifar")
    set_normalization(model, Normalization.of("pixel", data))
    return model, data


def test_first_batch_uses_the_models_normalisation():
    from helpers.analysis.responses import first_batch

    model, data = _pixel_trained()
    x, y = first_batch(data, 8, model=model)
    assert torch.allclose(
        x, data.images[:8].float() / 255 - data.images.float().mean(0) / 255, atol=1e-6
    )
    assert torch.equal(y, data.labels[:8])
    x_channel, _ = first_batch(data, 8)
    assert torch.allclose(
        x_channel, (data.images[:8].float() / 255 - 0.5) / 0.25, atol=1e-5
    )
    with pytest.raises(ValueError, match="not both"):
        first_batch(data, 8, model=model, normalize="channel")
