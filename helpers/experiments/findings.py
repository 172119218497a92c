"""What this build's own runs showed, as sentences for the chapters' prose.

A chapter glues these (``helpers.book.paste.glue``) and its text pastes them, so that every
claim about a run is computed from that run's numbers, and the Colab edition says the same
sentence with the reader's numbers. The papers' findings stay the papers': He et al. (2016,
Fig. 6 and 7) for the degradation problem and the response sizes, Veit et al. (2016) for the
lesion study. Errors come in as fractions and go out in percent. The chapter-4 sentences
(training recipe, sweep, attributions) are in :mod:`helpers.experiments.findings_training`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from helpers.core.text import T, Text, join

__all__ = [
    "describe_ratio",
    "plain_degradation",
    "clipping_findings",
    "lesion_findings",
    "figure7_findings",
    "table1_rounding",
]

# A one-block lesion that raises the error by less than this (a fraction) "barely" hurts.
HARMLESS_RISE = 0.05


def describe_ratio(ratio: float) -> Text:
    """How a first-to-last gradient-norm ratio compares with one, in words."""
    if ratio == 0:
        return T("underflows to zero")
    factor = max(ratio, 1 / ratio)
    shrinks = ratio < 1
    if factor <= 2:
        return T("stays near one")
    if factor <= 10:
        if shrinks:
            return T("shrinks moderately, by less than a factor of ten")
        return T("grows moderately, by less than a factor of ten")
    if factor < 100:
        if shrinks:
            return T("shrinks by more than a factor of ten")
        return T("grows by more than a factor of ten")
    return (
        T("shrinks by orders of magnitude")
        if shrinks
        else T("grows by orders of magnitude")
    )


def plain_degradation(final_train: Mapping[str, float]) -> tuple[Text, bool]:
    """Sentence on the degradation problem in this build's plain networks, and whether it
    showed: ``final_train`` maps names (shallow first, deep last) to final training errors."""
    (shallow, err_s), (deep, err_d) = (
        list(final_train.items())[0],
        list(final_train.items())[-1],
    )
    numbers = T(
        "{deep_err:.1f}% against {shallow_err:.1f}% for {shallow}",
        deep_err=100 * err_d,
        shallow_err=100 * err_s,
        shallow=shallow,
    )
    if err_d > err_s:
        return (
            T(
                "In this build's run the deeper {deep} ends with the higher training error "
                "({numbers}): the degradation problem, reproduced at this budget.",
                deep=deep,
                numbers=numbers,
            ),
            True,
        )
    return (
        T(
            "In this build's run the deeper {deep} does not end with a higher training "
            "error ({numbers}): the paper's effect is not reproduced at this budget.",
            deep=deep,
            numbers=numbers,
        ),
        False,
    )


def _listing(names: Sequence[str]) -> Text:
    return join(T(" and "), names) if names else T("none of the settings")


def clipping_findings(
    final_loss: Mapping[tuple[str, float | None], float | None],
    *,
    bad: str,
    good: str,
) -> dict[str, Text]:
    """Sentences on the clipping experiment. ``final_loss[(setting, clip)]`` is the final
    loss, or None where the run diverged; ``clip`` is None (no clipping) or the threshold.
    ``bad`` and ``good`` name the badly scaled and the sensible setting."""
    settings = list(dict.fromkeys(name for name, _ in final_loss))
    clip = next(c for _, c in final_loss if c is not None)
    diverged = [s for s in settings if final_loss[s, None] is None]
    trained = [s for s in settings if s not in diverged]
    kept = [s for s in settings if final_loss[s, clip] is not None]
    clipped = (
        T("all three runs kept a finite loss.")
        if len(kept) == len(settings)
        else T("{kept} kept a finite loss.", kept=_listing(kept))
    )
    verdict = T(
        "Without clipping, {diverged} diverged (NaN or infinite loss, marked ×) and "
        "{trained} trained; with clipping, {clipped}",
        diverged=_listing(diverged),
        trained=_listing(trained),
        clipped=clipped,
    )
    b, g = final_loss[bad, clip], final_loss[good, clip]
    bad_init = (
        T(
            "with clipping, the badly scaled network ends at a loss of {bad:.2f}, against "
            "{good:.2f} for the sensible setting",
            bad=b,
            good=g,
        )
        if b is not None and g is not None
        else T("in this run clipping did not keep every setting finite")
    )
    return {"verdict": verdict, "bad_init": bad_init}


def _lesion_verdict(rise: float, plain_rise: float) -> Text:
    """How this build's one-block lesions compare with Veit et al.'s contrast (a clause)."""
    if plain_rise < HARMLESS_RISE:
        return T(
            "cannot show their contrast: deleting one block barely changes the error of our "
            "plain network either"
        )
    if rise < HARMLESS_RISE and plain_rise > 3 * max(rise, 0.01):
        return T(
            "reproduces their contrast: deleting one block of our ResNet raises the error "
            "little, while the plain network suffers much more"
        )
    if rise < plain_rise:
        return T(
            "shows the contrast only in part: deleting one block hurts our ResNet less than "
            "the plain network, but it is not harmless"
        )
    return T(
        "does not reproduce their contrast: deleting one block hurts our ResNet as much as "
        "the plain network, or more"
    )


def _downsampling(rs: Mapping[str, Any]) -> Text:
    down = rs.get("mean_error_downsampling_blocks")
    if down is None:
        return T("no shape-changing block could be compared")
    if down > rs["mean_error_other_blocks"]:
        return T(
            "deleting a shape-changing block hurts more on average ({error:.1f}%) than "
            "deleting another block, as Veit et al. found",
            error=100 * down,
        )
    return T(
        "deleting a shape-changing block hurts less on average ({error:.1f}%) than "
        "deleting another block, unlike in Veit et al.'s networks",
        error=100 * down,
    )


def lesion_findings(resnet: Any, plain: Any) -> dict[str, str]:
    """Sentences on a lesion study (``helpers.analysis.lesion.LesionStudy`` of the deeper
    ResNet and plain network): intact and lesioned errors, the worst block, the
    shape-changing blocks and the verdict against Veit et al. (2016)."""
    rs, ps = resnet.summary(), plain.summary()
    worst = max((r for r in resnet.rows if r.error is not None), key=lambda r: r.error)
    worst_block = (
        T("block {n} (a shape-changing block)", n=worst.index + 1)
        if worst.downsampling
        else T("block {n} (stage {stage})", n=worst.index + 1, stage=worst.stage + 1)
    )
    rise = rs["mean_error_other_blocks"] - rs["baseline_error"]
    plain_rise = ps["mean_error_other_blocks"] - ps["baseline_error"]
    return {
        "res_intact": f"{100 * rs['baseline_error']:.1f}%",
        "res_mean": f"{100 * rs['mean_error_other_blocks']:.1f}%",
        "res_worst": f"{100 * rs['max_error_other_blocks']:.1f}%",
        "plain_intact": f"{100 * ps['baseline_error']:.1f}%",
        "plain_mean": f"{100 * ps['mean_error_other_blocks']:.1f}%",
        "worst_block": worst_block,
        "downsampling": _downsampling(rs),
        "verdict": _lesion_verdict(rise, plain_rise),
    }


def _claim1(held: list[int], depths: Sequence[int]) -> Text:
    if len(held) == len(depths):
        return (
            T("held at both depths") if len(depths) == 2 else T("held at every depth")
        )
    if not held:
        return T("did not hold at any depth")
    return T("held at depth {depths} only", depths=" and ".join(map(str, held)))


def figure7_findings(
    mean_std: Mapping[str, float], depths: Sequence[int]
) -> dict[str, str]:
    """The paper's two Figure 7 claims, checked on this build's networks: ResNet responses
    smaller than their plain twins' (claim 1), and smaller in the deeper ResNet (claim 2).
    ``mean_std`` maps "plain-20", "ResNet-20", ... to the mean std of the responses."""
    shallow, deep = depths[0], depths[-1]
    held = [d for d in depths if mean_std[f"ResNet-{d}"] < mean_std[f"plain-{d}"]]
    claim2 = mean_std[f"ResNet-{deep}"] < mean_std[f"ResNet-{shallow}"]
    if len(held) == len(depths) and claim2:
        verdict = T("both of the paper's Figure 7 claims held")
    else:
        verdict = T(
            "not all of the paper's Figure 7 claims held (ResNets smaller than plain nets: "
            "{first}; deeper ResNet smaller: {second})",
            first=T("yes") if len(held) == len(depths) else T("not everywhere"),
            second=T("yes") if claim2 else T("no"),
        )
    return {
        "claim1": _claim1(held, depths),
        "claim2": T("held") if claim2 else T("did not hold"),
        "means": ", ".join(f"{k} {v:.3f}" for k, v in mean_std.items()),
        "verdict": verdict,
    }


def _model(name: str) -> str:
    """ "resnet34" -> "ResNet-34"."""
    return name.replace("resnet", "ResNet-") if name.startswith("resnet") else name


def table1_rounding(counted: Mapping[str, float], printed: Mapping[str, float]) -> Text:
    """Whether the paper's one-decimal GMACs (Table 1) are our counts rounded or cut off.

    ``counted`` and ``printed`` map model names to GMACs. The answer is a sentence."""

    def same(a: float, b: float) -> bool:
        return abs(a - b) < 1e-9

    def listed(models: list[str]) -> Text:
        return join(
            T(" and "),
            (
                T(
                    "{model} ({ours:.3f}, printed {paper:g})",
                    model=_model(m),
                    ours=counted[m],
                    paper=printed[m],
                )
                for m in models
            ),
        )

    def needs(models: list[str], cutting: bool) -> Text:
        one, names = len(models) == 1, listed(models)
        if cutting:
            return (
                T("{models} needs cutting off", models=names)
                if one
                else T("{models} need cutting off", models=names)
            )
        return (
            T("{models} needs rounding", models=names)
            if one
            else T("{models} need rounding", models=names)
        )

    rounded = [m for m in printed if same(round(counted[m], 1), printed[m])]
    cut = [m for m in printed if same(math.floor(counted[m] * 10) / 10, printed[m])]
    gap, worst = max((abs(counted[m] - printed[m]), m) for m in printed)
    if len(rounded) == len(printed):
        rule = T("every printed value is our count rounded to one decimal")
    elif len(cut) == len(printed):
        rule = T("every printed value is our count cut off after one decimal")
    else:
        only_cut = [m for m in cut if m not in rounded]
        only_round = [m for m in rounded if m not in cut]
        rule = T(
            "neither rounding nor cutting off our counts gives all {n} printed values: "
            "{cut}, {rounded}; so the paper must have counted slightly differently from us",
            n=len(printed),
            cut=needs(only_cut, cutting=True),
            rounded=needs(only_round, cutting=False),
        )
    return T(
        "{rule} (the largest gap is {gap:.2f} GMACs, for {model})",
        rule=rule,
        gap=gap,
        model=_model(worst),
    )
