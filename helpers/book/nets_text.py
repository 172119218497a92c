"""Which trained networks a page's analyses ran on, in words.

Chapter 3 and the summary analyse the nets that
:func:`helpers.experiments.trained.trained_nets` returns: a stored reference run's converged
ones, or this build's briefly trained ones. :func:`nets_text` words their captions and the
sentences that set their scale beside the papers' (He et al. 2016, Fig. 7: 64k iterations on
CIFAR-10; Veit et al. 2016: a 110-layer ResNet on CIFAR-10) from the nets themselves, so the
text is right for either.
"""

from __future__ import annotations

from torch import nn

from helpers.book.provenance import provenance_text
from helpers.book.reference_panels import BUILD_LABEL
from helpers.core.text import T, Text
from helpers.experiments.profiles import Profile
from helpers.experiments.reference import load_results
from helpers.experiments.trained import (
    from_reference,
    nets_caption,
    nets_errors,
    nets_scale,
)
from helpers.experiments.verdicts import degradation_verdicts
from helpers.train import History

__all__ = ["nets_text", "degradation_sentences"]


def longer_run() -> Text:
    return T("a longer run (the reference run below, or the `gpu` profile on Colab)")


def nets_text(
    trained: dict[str, tuple[nn.Module, History]], profile: Profile
) -> dict[str, Text]:
    """Sentences about the nets in ``trained``, keyed for glue: "caption" (which nets:
    profile, seed, final test errors), "scale", "subject" ("This build" or "The reference
    run", to start a sentence), "whose", "side_label" (a figure legend), "lesion_caveat" and
    "fig7_caveat" (Markdown). Each is a :class:`~helpers.core.text.Text` (also Chinese)."""
    scale = nets_scale(trained, profile)
    meta = next(iter(trained.values()))[1].meta
    if from_reference(trained):
        return {
            "caption": nets_caption(trained),
            "scale": scale,
            "subject": T("The reference run"),
            "whose": T("the reference run's"),
            "side_label": f"reference run, seed {meta['seed']}",
            "lesion_caveat": T(
                "These are {scale}: smaller than Veit et al.'s 110-layer network and "
                "trained on {dataset}, not CIFAR-10, so compare the shape of the result "
                "with theirs, not the numbers.",
                scale=scale,
                dataset=meta["dataset"],
            ),
            "fig7_caveat": T(
                "These are {scale}; the paper's trained for 64k iterations on CIFAR-10, "
                "so compare the orderings, not the values.",
                scale=scale,
            ),
        }
    seed = meta.get("seed", 0)
    return {
        "caption": provenance_text(profile, seed=seed) + "; " + nets_errors(trained),
        "scale": scale,
        "subject": T("This build"),
        "whose": T("this build's"),
        "side_label": BUILD_LABEL,
        "lesion_caveat": T(
            "These are {scale}, small and briefly trained, so the paper-scale result is "
            "a question for {longer}, not something this page can settle.",
            scale=scale,
            longer=longer_run(),
        ),
        "fig7_caveat": T(
            "Keep the scale in mind: the paper's networks trained for 64k iterations on "
            "CIFAR-10, these are {scale}, and the batch-norm scales γ that set these "
            "magnitudes start at 1 and move slowly, so their responses are still close to "
            "their initial values; {longer} is the fairer test.",
            scale=scale,
            longer=longer_run(),
        ),
    }


def degradation_sentences(
    trained: dict[str, tuple[nn.Module, History]], profile: Profile
) -> dict[str, Text]:
    """What the runs show of He et al.'s Figure 6, keyed for glue: "verdict" (a clause
    after "Our runs"), "plain" and "res" (final training error, deep against shallow) and
    "res_test" (a sentence). For a reference run's nets: every seed of that run, as
    chapter 4 reports it; for this build's: its nets (one seed)."""
    if from_reference(trained):
        folder = next(iter(trained.values()))[1].meta["folder"]
        says = degradation_verdicts(load_results(folder)["degradation"])
        return {
            "verdict": says["figure6"],
            "plain": says["plain_train_gap"],
            "res": says["resnet_train_gap"],
            "res_test": says["resnet_test_gap"],
        }
    return _own_degradation(trained, profile)


def _own_degradation(
    trained: dict[str, tuple[nn.Module, History]], profile: Profile
) -> dict[str, Text]:
    """:func:`degradation_sentences` for this build's nets."""
    shallow, deep = profile.depths[0], profile.depths[-1]
    final = {  # in %
        (name, field): 100 * history.final(field)
        for name, (_, history) in trained.items()
        for field in ("train_error", "val_error")
    }
    err = {"deep": deep, "shallow": shallow}
    gap_plain = (
        final[f"plain-{deep}", "train_error"] - final[f"plain-{shallow}", "train_error"]
    )
    gap_res = (
        final[f"ResNet-{deep}", "train_error"]
        - final[f"ResNet-{shallow}", "train_error"]
    )
    if gap_plain > 0 and gap_res <= 0:
        verdict = T("reproduced both halves of the paper's Figure 6")
    elif gap_plain > 0 and gap_res < gap_plain:
        verdict = T(
            "reproduced the degradation of the plain networks but only part of the cure: "
            "the deeper ResNet did not train better than the shallower one, as it does in "
            "the paper, although it lost far less than the deeper plain network"
        )
    else:
        verdict = T(
            "did not reproduce the degradation of the plain networks at this small scale"
        )
    return {
        "verdict": verdict,
        "plain": T(
            "plain-{deep} ended with a {which} training error than plain-{shallow} "
            "({deep_err:.1f}% against {shallow_err:.1f}%)",
            which=T("higher") if gap_plain > 0 else T("lower"),
            deep_err=final[f"plain-{deep}", "train_error"],
            shallow_err=final[f"plain-{shallow}", "train_error"],
            **err,
        ),
        "res": T(
            "ResNet-{deep} ended at {deep_err:.1f}% against ResNet-{shallow}'s "
            "{shallow_err:.1f}%",
            deep_err=final[f"ResNet-{deep}", "train_error"],
            shallow_err=final[f"ResNet-{shallow}", "train_error"],
            **err,
        ),
        "res_test": T(
            "ResNet-{deep}'s test error ended at {deep_err:.1f}% against "
            "ResNet-{shallow}'s {shallow_err:.1f}%",
            deep_err=final[f"ResNet-{deep}", "val_error"],
            shallow_err=final[f"ResNet-{shallow}", "val_error"],
            **err,
        ),
    }
