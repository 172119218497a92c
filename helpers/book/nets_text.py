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
from helpers.experiments.profiles import Profile
from helpers.experiments.trained import (
    from_reference,
    nets_caption,
    nets_errors,
    nets_scale,
)
from helpers.train import History

__all__ = ["nets_text"]

LONGER_RUN = "a longer run (the reference run below, or the `gpu` profile on Colab)"


def nets_text(
    trained: dict[str, tuple[nn.Module, History]], profile: Profile
) -> dict[str, str]:
    """Sentences about the nets in ``trained``, keyed for glue: "caption" (which nets:
    profile, seed, final test errors), "scale", "subject" ("This build" or "The reference
    run", to start a sentence), "whose", "side_label" (a figure legend), "lesion_caveat" and
    "fig7_caveat" (Markdown)."""
    scale = nets_scale(trained, profile)
    meta = next(iter(trained.values()))[1].meta
    if from_reference(trained):
        return {
            "caption": nets_caption(trained),
            "scale": scale,
            "subject": "The reference run",
            "whose": "the reference run's",
            "side_label": f"reference run, seed {meta['seed']}",
            "lesion_caveat": (
                f"These are {scale}: smaller than Veit et al.'s 110-layer network and "
                f"trained on {meta['dataset']}, not CIFAR-10, so compare the shape of the "
                "result with theirs, not the numbers."
            ),
            "fig7_caveat": (
                f"These are {scale}; the paper's trained for 64k iterations on CIFAR-10, "
                "so compare the orderings, not the values."
            ),
        }
    seed = meta.get("seed", 0)
    return {
        "caption": f"{provenance_text(profile, seed=seed)}; {nets_errors(trained)}",
        "scale": scale,
        "subject": "This build",
        "whose": "this build's",
        "side_label": BUILD_LABEL,
        "lesion_caveat": (
            f"These are {scale}, small and briefly trained, so the paper-scale result is "
            f"a question for {LONGER_RUN}, not something this page can settle."
        ),
        "fig7_caveat": (
            "Keep the scale in mind: the paper's networks trained for 64k iterations on "
            f"CIFAR-10, these are {scale}, and the batch-norm scales γ that set "
            "these magnitudes start at 1 and move slowly, so their responses are still "
            f"close to their initial values; {LONGER_RUN} is the fairer test."
        ),
    }
