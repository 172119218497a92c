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

from helpers.core.text import T, Text, join

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
) -> Text:
    """What this run shows of the paper's Figure 6, as a clause after "This run": from the
    final training errors of "plain-<depth>" and "resnet-<depth>"."""

    def gap(kind: str) -> float:
        return 100 * (final_train[f"{kind}-{deep}"] - final_train[f"{kind}-{shallow}"])

    gap_plain, gap_res = gap("plain"), gap("resnet")
    values = {"deep": deep, "shallow": shallow, "plain": gap_plain, "res": gap_res}
    if gap_plain > 0 and gap_res <= 0:
        return T(
            "shows the paper's pattern: plain-{deep} ends {plain:.1f} points above "
            "plain-{shallow} in training error, while ResNet-{deep} ends {below:.1f} points "
            "below ResNet-{shallow}",
            below=-gap_res,
            **values,
        )
    if gap_plain > 0 and gap_res < gap_plain:
        return T(
            "shows the degradation of the plain networks (plain-{deep} ends {plain:.1f} "
            "points above plain-{shallow} in training error) but only part of the cure: "
            "ResNet-{deep} also ends above ResNet-{shallow}, by {res:.1f} points, where the "
            "paper's deeper ResNet is below",
            **values,
        )
    return T(
        "does not show the degradation effect: plain-{deep} ends {plain:+.1f} points from "
        "plain-{shallow} in training error, ResNet-{deep} {res:+.1f} points from "
        "ResNet-{shallow}",
        **values,
    )


def _mean_error(history: Any, lo: int, hi: int) -> float:
    values = [
        s["error"]
        for s in history.steps
        if lo <= s["step"] < hi and s.get("error") is not None
    ]
    return sum(values) / len(values) if values else float("nan")


def milestone_drop(runs: Mapping[str, Any], milestone: int, window: int) -> Text:
    """For how many runs the mean training error of the ``window`` steps after the
    learning-rate ``milestone`` is lower than that of the ``window`` steps before it."""
    dropped = [
        name
        for name, h in runs.items()
        if _mean_error(h, milestone, milestone + window)
        < _mean_error(h, milestone - window, milestone)
    ]
    which = f" ({', '.join(dropped)})" if 0 < len(dropped) < len(runs) else ""
    return T(
        "{n} of the {total} networks{which}",
        n=len(dropped),
        total=len(runs),
        which=which,
    )


def sweep_verdict(
    final_loss: Mapping[str, float | None], diverged_at: Mapping[str, int]
) -> str:
    """The learning-rate sweep in one sentence: ``final_loss[name]`` is the mean loss of the
    last logged steps, None for a run stopped at iteration ``diverged_at[name]``."""
    finite = {k: v for k, v in final_loss.items() if v is not None}
    parts = []
    if finite:
        best = min(finite, key=finite.get)
        parts.append(
            T(
                "the lowest final loss came with {best} ({loss:.2f})",
                best=best,
                loss=finite[best],
            )
        )
    stuck = [k for k, v in finite.items() if v > CHANCE_LOSS * 0.95]
    if stuck:
        parts.append(
            T("{runs} ended near or above chance level", runs=join(T(" and "), stuck))
        )
    gone = [
        T("{run} (iteration {step})", run=k, step=diverged_at[k])
        for k in final_loss
        if k in diverged_at
    ]
    parts.append(
        T("{runs} diverged", runs=join(T(" and "), gone))
        if gone
        else T("no run diverged")
    )
    return join(T("; "), parts)


def schedule_phrase(config: Any, total_steps: int) -> str:
    """A training config's learning-rate schedule over ``total_steps``, in words (a
    :class:`helpers.train.TrainConfig`; milestones as fractions or iteration numbers)."""
    from helpers.train.schedule import milestone_steps

    warm = (
        T("{n:,} warm-up iterations, then ", n=config.warmup_iters)
        if config.warmup_iters
        else ""
    )
    if config.schedule == "constant":
        rule = T("{lr:g} throughout", lr=config.lr)
    elif config.schedule == "cosine":
        rule = T("{lr:g}, decayed to 0 along a cosine", lr=config.lr)
    else:
        steps = milestone_steps(config, total_steps)
        at = join(T(" and "), (f"{s:,}" for s in steps))
        values = {"lr": config.lr, "factor": 1 / config.gamma, "at": at}
        rule = (
            T("{lr:g}, divided by {factor:g} at iterations {at}", **values)
            if len(steps) > 1
            else T("{lr:g}, divided by {factor:g} at iteration {at}", **values)
        )
    return T(
        "{warm}{rule}, over {total:,} iterations",
        warm=warm,
        rule=rule,
        total=total_steps,
    )


def sanity_verdict(final_corr: Mapping[str, float]) -> Text:
    """Which method's maps changed more when every layer was randomised (lower rank
    correlation with the trained network's maps = more change)."""
    more, less = sorted(final_corr, key=final_corr.get)[:2]
    if final_corr[more] < final_corr[less] - 0.05:
        return T(
            "the maps of {more} changed more than those of {less}", more=more, less=less
        )
    return T("the two methods changed about equally")


def zero_map_sentence(zero: Mapping[str, Sequence[bool]]) -> Text:
    """Which rows of an attribution figure hold maps that are zero everywhere, and why."""
    rows = [
        (name, sum(flags), len(flags)) for name, flags in zero.items() if any(flags)
    ]
    if not rows:
        return T("none of the maps is zero everywhere")
    listed = join(
        T("; "),
        (
            T("{n} of the {t} maps in the row '{name}'", n=n, t=t, name=name)
            for name, n, t in rows
        ),
    )
    return T(
        "some maps are zero everywhere and therefore black ({listed}): Grad-CAM keeps only "
        "the positive part of its weighted sum of feature maps, and with random weights that "
        "sum can be negative at every position",
        listed=listed,
    )


def object_share_sentence(shares: Mapping[str, Sequence[float]], what: str) -> Text:
    """How much of each map's attribution falls on the object (``what``, e.g. "the
    garment") rather than the background: per row, the range over its images."""

    def span(v: Sequence[float]) -> str:
        lo, hi = f"{min(v) * 100:.0f}", f"{max(v) * 100:.0f}"
        return f"{lo}%" if lo == hi else f"{lo}–{hi}%"

    parts = [
        T("{span} for {name}", span=span(v), name=name)
        for name, v in shares.items()
        if len(v)
    ]
    return T(
        "the share of attribution on {what} ranges from {parts}",
        what=what,
        parts=join(T("; "), parts),
    )
