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
from helpers.experiments.trained import (
    from_reference,
    nets_caption,
    nets_errors,
    nets_scale,
)
from helpers.train import History

__all__ = ["nets_text"]


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
