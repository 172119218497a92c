"""The sentences on Figure 6 over a run's seeds (helpers.experiments.verdicts) and the
summary page's, which read the same run (helpers.book.nets_text.degradation_sentences)."""

from __future__ import annotations

import pytest
import torch
from test_reference import FINAL, write_results

from helpers.experiments import reference
from helpers.experiments.profiles import get_profile
from helpers.train import History


@pytest.mark.parametrize(
    "resnet56, plain56, verdict",
    [
        (
            ((0.10, 0.11), (0.08, 0.11)),  # deeper ResNet trains worse in seed 0 only
            FINAL["plain-56"],
            "reproduced the degradation of the plain networks in each of its 2 seeds, "
            "but the deeper ResNet trained better than the shallower one in only 1 of 2 "
            "seeds",
        ),
        (
            FINAL["resnet-56"],
            ((0.20, 0.15), (0.11, 0.16)),  # plain-56 below plain-20 in seed 1
            "reproduced the degradation of the plain networks in only 1 of 2 seeds",
        ),
    ],
)
def test_figure6_verdict_counts_the_seeds(tmp_path, resnet56, plain56, verdict) -> None:
    write_results(tmp_path, final={**FINAL, "resnet-56": resnet56, "plain-56": plain56})
    assert reference.verdicts(results_dir=tmp_path)["ref_figure6"] == verdict


def _nets(errors: dict[str, tuple[float, float]], **meta) -> dict:
    """Fake trained nets: name -> (module, History with final training/test error)."""
    nets = {}
    for name, (train, test) in errors.items():
        history = History(
            epochs=[{"epoch": 1, "train_error": train, "val_error": test}]
        )
        history.meta.update(meta)
        nets[name] = (torch.nn.Identity(), history)
    return nets


def test_summary_sentences_use_every_seed_of_a_reference_run(tmp_path) -> None:
    from helpers.book.nets_text import degradation_sentences

    folder = write_results(tmp_path)
    profile = get_profile("quick").replace(depths=(20, 56))
    seed0 = {name.replace("resnet", "ResNet"): v[0] for name, v in FINAL.items()}
    said = degradation_sentences(
        _nets(seed0, source="reference run", folder=str(folder)), profile
    )
    v = reference.verdicts(results_dir=tmp_path)  # what chapter 4 says: both seeds
    assert said["verdict"] == v["ref_figure6"]
    assert said["plain"] == v["ref_plain_train_gap"]
    assert said["res"] == v["ref_resnet_train_gap"]
    assert said["res_test"] == v["ref_resnet_test_gap"]
    own = degradation_sentences(_nets(seed0, profile="quick"), profile)
    assert own["verdict"] == "reproduced both halves of the paper's Figure 6"
    assert own["plain"] == (
        "plain-56 ended with a higher training error than plain-20 (20.0% against 10.0%)"
    )
    assert own["res_test"] == (
        "ResNet-56's test error ended at 10.5% against ResNet-20's 11.0%"
    )
