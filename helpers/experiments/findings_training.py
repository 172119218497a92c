"""What this build's training and testing runs showed (chapter 4), as sentences.

The degradation experiment against the paper's Figure 6 (He et al. 2016), the learning-rate
milestone, the learning-rate sweep, the schedule a profile trains with, and what the
attribution maps show (Adebayo et al. 2018's sanity check, maps that are zero everywhere, how
much of a map falls on the object). As in :mod:`helpers.experiments.findings`, errors come in
as fractions; every function returns text for the chapter to glue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "degradation_verdict",
    "milestone_drop",
    "sweep_verdict",
    "schedule_phrase",
    "sanity_verdict",
    "zero_map_sentence",
    "object_share_sentence",
]

CHANCE_LOSS = math.log(10)  # cross-entropy of a uniform guess over 10 classes


def degradation_verdict(
    final_train: Mapping[str, float], shallow: int, deep: int
) -> str:
    """What this run shows of the paper's Figure 6, as a clause after "This run": from the
    final training errors of "plain-<depth>" and "resnet-<depth>"."""

    def gap(kind: str) -> float:
        return 100 * (final_train[f"{kind}-{deep}"] - final_train[f"{kind}-{shallow}"])

    gap_plain, gap_res = gap("plain"), gap("resnet")
    if gap_plain > 0 and gap_res <= 0:
        return (
            f"shows the paper's pattern: plain-{deep} ends {gap_plain:.1f} points above "
            f"plain-{shallow} in training error, while ResNet-{deep} ends "
            f"{-gap_res:.1f} points below ResNet-{shallow}"
        )
    if gap_plain > 0 and gap_res < gap_plain:
        return (
            f"shows the degradation of the plain networks (plain-{deep} ends "
            f"{gap_plain:.1f} points above plain-{shallow} in training error) but only part "
            f"of the cure: ResNet-{deep} also ends above ResNet-{shallow}, by "
            f"{gap_res:.1f} points, where the paper's deeper ResNet is below"
        )
    return (
        f"does not show the degradation effect: plain-{deep} ends {gap_plain:+.1f} "
        f"points from plain-{shallow} in training error, ResNet-{deep} {gap_res:+.1f} "
        f"points from ResNet-{shallow}"
    )


def _mean_error(history: Any, lo: int, hi: int) -> float:
    values = [
        s["error"]
        for s in history.steps
        if lo <= s["step"] < hi and s.get("error") is not None
    ]
    return sum(values) / len(values) if values else float("nan")


def milestone_drop(runs: Mapping[str, Any], milestone: int, window: int) -> str:
    """For how many runs the mean training error of the ``window`` steps after the
    learning-rate ``milestone`` is lower than that of the ``window`` steps before it."""
    dropped = [
        name
        for name, h in runs.items()
        if _mean_error(h, milestone, milestone + window)
        < _mean_error(h, milestone - window, milestone)
    ]
    which = f" ({', '.join(dropped)})" if 0 < len(dropped) < len(runs) else ""
    return f"{len(dropped)} of the {len(runs)} networks{which}"


def sweep_verdict(
    final_loss: Mapping[str, float | None], diverged_at: Mapping[str, int]
) -> str:
    """The learning-rate sweep in one sentence: ``final_loss[name]`` is the mean loss of the
    last logged steps, None for a run stopped at iteration ``diverged_at[name]``."""
    finite = {k: v for k, v in final_loss.items() if v is not None}
    parts = []
    if finite:
        best = min(finite, key=finite.get)
        parts.append(f"the lowest final loss came with {best} ({finite[best]:.2f})")
    stuck = [k for k, v in finite.items() if v > CHANCE_LOSS * 0.95]
    if stuck:
        parts.append(f"{' and '.join(stuck)} ended near or above chance level")
    gone = [f"{k} (iteration {diverged_at[k]})" for k in final_loss if k in diverged_at]
    parts.append(f"{' and '.join(gone)} diverged" if gone else "no run diverged")
    return "; ".join(parts)


def schedule_phrase(config: Any, total_steps: int) -> str:
    """A training config's learning-rate schedule over ``total_steps``, in words (a
    :class:`helpers.train.TrainConfig`; milestones as fractions or iteration numbers)."""
    from helpers.train.schedule import milestone_steps

    warm = (
        f"{config.warmup_iters:,} warm-up iterations, then "
        if config.warmup_iters
        else ""
    )
    if config.schedule == "constant":
        rule = f"{config.lr:g} throughout"
    elif config.schedule == "cosine":
        rule = f"{config.lr:g}, decayed to 0 along a cosine"
    else:
        steps = milestone_steps(config, total_steps)
        at = " and ".join(f"{s:,}" for s in steps)
        rule = (
            f"{config.lr:g}, divided by {1 / config.gamma:g} at iteration"
            f"{'s' if len(steps) > 1 else ''} {at}"
        )
    return f"{warm}{rule}, over {total_steps:,} iterations"


def sanity_verdict(final_corr: Mapping[str, float]) -> str:
    """Which method's maps changed more when every layer was randomised (lower rank
    correlation with the trained network's maps = more change)."""
    more, less = sorted(final_corr, key=final_corr.get)[:2]
    if final_corr[more] < final_corr[less] - 0.05:
        return f"the maps of {more} changed more than those of {less}"
    return "the two methods changed about equally"


def zero_map_sentence(zero: Mapping[str, Sequence[bool]]) -> str:
    """Which rows of an attribution figure hold maps that are zero everywhere, and why."""
    rows = [
        (name, sum(flags), len(flags)) for name, flags in zero.items() if any(flags)
    ]
    if not rows:
        return "none of the maps is zero everywhere"
    listed = "; ".join(
        f"{n} of the {t} maps in the row {name!r}" for name, n, t in rows
    )
    return (
        f"some maps are zero everywhere and therefore black ({listed}): Grad-CAM keeps only "
        "the positive part of its weighted sum of feature maps, and with random weights that "
        "sum can be negative at every position"
    )


def object_share_sentence(shares: Mapping[str, Sequence[float]], what: str) -> str:
    """How much of each map's attribution falls on the object (``what``, e.g. "the
    garment") rather than the background: per row, the range over its images."""

    def span(v: Sequence[float]) -> str:
        lo, hi = f"{min(v) * 100:.0f}", f"{max(v) * 100:.0f}"
        return f"{lo}%" if lo == hi else f"{lo}–{hi}%"

    parts = [f"{span(v)} for {name}" for name, v in shares.items() if len(v)]
    return f"the share of attribution on {what} ranges from " + "; ".join(parts)
