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
    handle = residual_blocks(model)[1].branch_out.register_forward_hook(lambda m, i, o: captured.append(o))
    model.eval()
    with torch.no_grad():
        model(images)
    handle.remove()
    model.train()
    stds = branch_response_std(model, images, batch_size=5)
    assert len(stds) == 3
    assert stds[1] == pytest.approx(float(captured[0].double().std()), rel=1e-6)
    assert stds == pytest.approx(branch_response_std(model, images, batch_size=100), rel=1e-9)
    assert model.training  # training mode restored


def test_zero_init_residual_branches_have_zero_response(images):
    stds = branch_response_std(_model("resnet_cifar", zero_init_residual=True), images)
    assert stds == [0.0, 0.0, 0.0]
    assert all(s > 0 for s in branch_response_std(_model("plain_cifar"), images))


def test_block_without_hook_point_is_rejected(images):
    with pytest.raises(ValueError, match="branch_out"):
        branch_response_std(_model("resnet_cifar"), images, blocks=[nn.Conv2d(1, 1, 1)])


def test_plot_has_two_panels():
    fig = plot_responses({"plain-8": [1.0, 0.5, 0.7], "ResNet-8": [0.3, 0.2, 0.4]}, provenance="p")
    assert len(fig.axes) == 2
    assert list(fig.axes[1].lines[1].get_ydata()) == [0.4, 0.3, 0.2]
