"""Gradient-norm collection (helpers.analysis.gradients) and the deep stacks of chapter 2."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers.analysis.gradients import (
    activation_stds,
    default_probes,
    gradient_norms,
    plot_gradient_profile,
    train_briefly,
)
from helpers.models.deep_stack import (
    DeepStack,
    DeepStackConfig,
    init_std,
)

torch.set_num_threads(1)


def batch(n=64, d=784, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randint(0, 10, (n,), generator=g)


def stack(**kw):
    torch.manual_seed(0)
    return DeepStack(DeepStackConfig(in_features=784, width=64, **kw))


def test_weight_norms_equal_manual_backward():
    model = stack(depth=4, activation="tanh", init="xavier")
    x, y = batch()
    prof = gradient_norms(model, x, y)
    F.cross_entropy(model(x), y).backward()
    manual = [m.weight.grad.norm().item() for m in default_probes(model).values()]
    assert prof.names == list(default_probes(model))
    assert prof.norms == pytest.approx(manual, rel=1e-5)
    assert len(prof) == 5  # 4 hidden layers + head


def test_model_grads_untouched_and_mode_restored():
    model = stack(depth=3, batch_norm=True).eval()
    gradient_norms(model, batch())
    assert not model.training
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("mode", ["weight", "output"])
def test_a_trained_network_is_not_changed_by_measuring_it(mode):
    """A forward pass in training mode moves batch norm's running statistics; the
    analysis puts them back, so later analyses of the same net see the trained net."""
    from helpers.models import create_model, residual_blocks

    torch.manual_seed(0)
    model = create_model("resnet_cifar", depth=8, width=4, in_channels=1).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1), m.running_var.uniform_(0.5, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    probes = residual_blocks(model) if mode == "output" else None
    gradient_norms(model, x, y, probes=probes, mode=mode)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), [
        k for k in before if not torch.equal(before[k], after[k])
    ]


def test_sigmoid_vanishes_relu_he_does_not():
    x, y = batch()
    sig = gradient_norms(stack(depth=30, activation="sigmoid", init="xavier"), x, y)
    relu = gradient_norms(stack(depth=30, activation="relu", init="he"), x, y)
    assert sig.first_to_last() < 1e-6  # sigmoid' <= 1/4 per layer
    assert 0.05 < relu.first_to_last() < 20


def test_too_large_init_explodes():
    x, y = batch()
    big = gradient_norms(
        stack(depth=20, activation="relu", init="he", gain=1.5), x, y, mode="output"
    )
    assert big.first_to_last() > 1e3


def test_output_mode_on_blocks_and_unused_probe_error():
    model = stack(depth=3)
    x, y = batch()
    prof = gradient_norms(model, x, y, probes=list(model.layers), mode="output")
    assert prof.names == ["layers.0", "layers.1", "layers.2"]
    assert all(v > 0 and math.isfinite(v) for v in prof.norms)
    stray = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="not a submodule"):
        gradient_norms(model, x, y, probes=[stray])
    model.extra = nn.Linear(3, 3)  # registered but never called
    with pytest.raises(ValueError, match="not called"):
        gradient_norms(model, x, y, probes={"extra": model.extra}, mode="output")
    with pytest.raises(ValueError, match="mode must be one of"):
        gradient_norms(model, x, y, mode="grad")


def test_works_on_conv_nets_and_residual_blocks():
    conv = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10)
    )
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,))
    assert len(gradient_norms(conv, (x, y))) == 2
    from helpers.models import create_model, residual_blocks

    net = create_model("resnet_cifar", depth=8, width=4, in_channels=1)
    blocks = residual_blocks(net)
    prof = gradient_norms(
        net,
        torch.randn(4, 1, 28, 28),
        torch.randint(0, 10, (4,)),
        probes=blocks,
        mode="output",
    )
    assert len(prof) == len(blocks) and all(v > 0 for v in prof.norms)


@pytest.mark.parametrize(
    "init,act,lo,hi", [("he", "relu", 0.3, 3.0), ("xavier", "tanh", 0.03, 1.5)]
)
def test_variance_preserving_inits_keep_activations_alive(init, act, lo, hi):
    model = stack(depth=50, activation=act, init=init)
    stds = list(
        activation_stds(model, batch(256)[0], probes=list(model.layers)).values()
    )
    assert lo < stds[-1] < hi
    small = stack(depth=50, activation=act, init="small")
    assert (
        list(activation_stds(small, batch(256)[0], probes=list(small.layers)).values())[
            -1
        ]
        < 1e-6
    )


def test_init_std_formulas_and_errors():
    assert init_std("he", 50, 10) == pytest.approx(0.2)
    assert init_std("xavier", 60, 40) == pytest.approx(math.sqrt(0.02))
    with pytest.raises(ValueError, match="init must be one of"):
        DeepStackConfig(init="kaiming")
    with pytest.raises(ValueError, match="activation must be one of"):
        DeepStackConfig(activation="gelu")


def test_clipping_bounds_update_and_records_raw_norm():
    x, y = batch(256)
    wild = train_briefly(stack(depth=10, gain=2.0), x, y, steps=5, lr=0.1)
    clipped = train_briefly(
        stack(depth=10, gain=2.0), x, y, steps=5, lr=0.1, clip_norm=1.0
    )
    assert clipped["grad_norm"][0] == pytest.approx(wild["grad_norm"][0])  # same start
    assert len(clipped["loss"]) == 5
    assert all(math.isfinite(v) for v in clipped["loss"])


def test_plot_gradient_profile_draws_one_line_per_profile():
    import matplotlib

    matplotlib.use("Agg")
    x, y = batch()
    profs = {
        k: gradient_norms(stack(depth=5, activation=k), x, y) for k in ("relu", "tanh")
    }
    ax = plot_gradient_profile(profs, title="t", provenance="p")
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"


def test_short_runs_plot_and_final_loss() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.analysis.gradients import final_loss, plot_short_runs

    nan = float("nan")
    runs = {
        ("ok", None): {"loss": [2.0, 1.0, 0.5]},
        ("bad", None): {"loss": [2.0, 9.0, nan]},
        ("ok", 1.0): {"loss": [2.0, 1.2, 0.6]},
        ("bad", 1.0): {"loss": [2.0, 1.5, 1.4]},
    }
    assert final_loss(runs["ok", None]) == 0.5 and final_loss(runs["bad", None]) is None
    fig = plot_short_runs(runs, steps=3)
    left, right = fig.axes
    assert [a.get_title() for a in fig.axes] == [
        "no clipping",
        "gradient norm clipped at 1",
    ]
    crosses = [ln for ln in left.get_lines() if ln.get_marker() == "x"]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [2]  # last finite step
    colours = {ln.get_label(): ln.get_color() for ln in right.get_lines()}
    assert colours["ok"] == left.get_lines()[0].get_color()  # one colour per setting
    plt.close(fig)
