"""The sentences a chapter says about a reference run, computed from its results files.

Each function takes a results document (see :mod:`helpers.experiments.results`) and
returns sentences in percent: the degradation gaps of He et al. (2016, Fig. 6 and
Table 6), whether Fig. 7's ordering of the residual responses holds, the lesion study
(Veit et al. 2016) and the learning-rate sweep. Gaps between nets are taken seed by seed
and reported as mean ± sample std over seeds, with a note when the seeds disagree on the
sign. :func:`helpers.experiments.reference.verdicts` gathers them for a chapter.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from helpers.core.text import T, Text, join
from helpers.experiments.paper_results import CIFAR10_TABLE6
from helpers.experiments.results import finite, run_label

__all__ = [
    "seed_values",
    "seed_gaps",
    "paired_gap",
    "degradation_verdicts",
    "figure7_verdict",
    "lesion_verdict",
    "lr_sweep_verdict",
]


# --------------------------------------------------------------------------------------
# Numbers over seeds
# --------------------------------------------------------------------------------------


def seed_values(doc: Mapping[str, Any], name: str, field: str) -> dict[int, Any]:
    """``{seed: run[field]}`` for the runs called ``name`` (e.g. "plain-56")."""
    return {r["seed"]: r[field] for r in doc["runs"] if r["name"] == name}


def paired_gap(
    doc: Mapping[str, Any], deep: str, shallow: str, field: str
) -> tuple[float, float | None, int]:
    """Mean and sample std over seeds of ``deep - shallow`` in percentage points, seed
    by seed. Returns (mean, std or None for one seed, number of seeds).
    """
    gaps = seed_gaps(doc, deep, shallow, field)
    std = statistics.stdev(gaps) if len(gaps) > 1 else None
    return statistics.fmean(gaps), std, len(gaps)


def seed_gaps(
    doc: Mapping[str, Any], deep: str, shallow: str, field: str
) -> list[float]:
    """``deep - shallow`` in percentage points for every seed that has both runs."""
    a, b = seed_values(doc, deep, field), seed_values(doc, shallow, field)
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise KeyError(f"no seed has both {deep} and {shallow} in the results")
    return [100 * (a[s] - b[s]) for s in seeds]


def _sign_note(gaps: list[float]) -> Text | str:
    """ "; the seeds disagree on the sign (+1.9 and -4.0 points)" when they do, else
    ""."""
    if min(gaps) < 0 < max(gaps):
        values = join(T(" and "), (f"{g:+.1f}" for g in gaps))
        return T("; the seeds disagree on the sign ({values} points)", values=values)
    return ""


def _pm(mean: float, std: float | None, n: int) -> Text:
    if std is None:
        return T("{gap:.1f} points (1 seed)", gap=abs(mean))
    return T(
        "{gap:.1f} ± {std:.1f} points (mean ± std over {n} seeds)",
        gap=abs(mean),
        std=std,
        n=n,
    )


def _depths(doc: Mapping[str, Any], kind: str) -> list[int]:
    return sorted({r["depth"] for r in doc["runs"] if r["kind"] == kind})


def _mean_final(doc: Mapping[str, Any], name: str, field: str, other: str) -> float:
    """Mean of ``field`` (in %) over the seeds that ``name`` and ``other`` share."""
    a, b = seed_values(doc, name, field), seed_values(doc, other, field)
    return 100 * statistics.fmean(a[s] for s in sorted(set(a) & set(b)))


# --------------------------------------------------------------------------------------
# Degradation (Fig. 6, Table 6)
# --------------------------------------------------------------------------------------


def _gap_sentence(doc: Mapping[str, Any], hi: str, lo: str, field: str) -> Text:
    """ "(22.5% vs 11.0%)" and the sign note, for the sentences on ``hi`` vs ``lo``."""
    return T(
        "({hi:.1f}% vs {lo:.1f}%)",
        hi=_mean_final(doc, hi, field, lo),
        lo=_mean_final(doc, lo, field, hi),
    ) + _sign_note(seed_gaps(doc, hi, lo, field))


def _versus_paper(doc: Mapping[str, Any], res: list[int]) -> Text | None:
    """The shallowest vs deepest ResNet's test-error gap beside Table 6's, or None when
    a depth is not in the table."""
    paper = {r.depth: r.error for r in CIFAR10_TABLE6}
    if res[0] not in paper or res[-1] not in paper:
        return None
    lo, hi = f"resnet-{res[0]}", f"resnet-{res[-1]}"
    m, s, n = paired_gap(doc, hi, lo, "final_test_error")
    gaps = seed_gaps(doc, hi, lo, "final_test_error")
    d = paper[res[-1]] - paper[res[0]]
    if min(gaps) < 0 < max(gaps):
        verdict = T("so these seeds do not settle the paper's direction")
    elif (m < 0) == (d < 0):
        verdict = T("so the paper's direction is reproduced")
    else:
        verdict = T("so the paper's direction is not reproduced")
    return T(
        "He et al. (2016, Table 6) report ResNet-{deep} {paper_gap:.2f} points {paper_side} "
        "ResNet-{shallow} on CIFAR-10 ({paper_deep:.2f}% vs {paper_shallow:.2f}%); in this "
        "reference run it is {ours} {our_side}, {verdict}",
        deep=res[-1],
        shallow=res[0],
        paper_gap=abs(d),
        paper_side=T("below") if d < 0 else T("above"),
        paper_deep=paper[res[-1]],
        paper_shallow=paper[res[0]],
        ours=_pm(m, s, n),
        our_side=T("below") if m < 0 else T("above"),
        verdict=verdict,
    )


def degradation_verdicts(doc: Mapping[str, Any]) -> dict[str, Text]:
    """Sentences on the shallowest vs deepest plain net (training error) and ResNet
    (test error).

    Keys: "plain_train_gap", "resnet_test_gap", "resnet_train_gap", "figure6" (both
    halves of Fig. 6, seed by seed), and "resnet_vs_paper" when both depths are in the
    paper's Table 6.
    """
    out = {}
    plain, res = _depths(doc, "plain"), _depths(doc, "resnet")
    res = [
        d for d in res if d in plain
    ] or res  # ResNet-110 has no plain twin in Fig. 6
    if len(plain) >= 2:
        lo, hi = f"plain-{plain[0]}", f"plain-{plain[-1]}"
        m, s, n = paired_gap(doc, hi, lo, "final_train_error")
        out["plain_train_gap"] = T(
            "{hi} ends {gap} {side} {lo} in training error {numbers}",
            hi=hi,
            lo=lo,
            gap=_pm(m, s, n),
            side=T("above") if m > 0 else T("below"),
            numbers=_gap_sentence(doc, hi, lo, "final_train_error"),
        )
    if len(res) >= 2:
        lo, hi = f"resnet-{res[0]}", f"resnet-{res[-1]}"
        for field, key, what in (
            ("final_test_error", "resnet_test_gap", T("test error")),
            ("final_train_error", "resnet_train_gap", T("training error")),
        ):
            m, s, n = paired_gap(doc, hi, lo, field)
            out[key] = T(
                "ResNet-{deep}'s {what} is {gap} {side} than ResNet-{shallow}'s {numbers}",
                deep=res[-1],
                shallow=res[0],
                what=what,
                gap=_pm(m, s, n),
                side=T("lower") if m < 0 else T("higher"),
                numbers=_gap_sentence(doc, hi, lo, field),
            )
        paper = _versus_paper(doc, res)
        if paper is not None:
            out["resnet_vs_paper"] = paper
    if len(plain) >= 2 and len(res) >= 2:
        out["figure6"] = _figure6(doc, plain, res)
    return out


def _figure6(doc: Mapping[str, Any], plain: list[int], res: list[int]) -> Text:
    """Fig. 6's two halves in final training error, seed by seed (a clause after "the
    reference run"): the deepest plain net above the shallowest, the deepest ResNet not
    above the shallowest."""
    p = _train_gaps(doc, f"plain-{plain[-1]}", f"plain-{plain[0]}")
    r = _train_gaps(doc, f"resnet-{res[-1]}", f"resnet-{res[0]}")
    seeds = sorted(set(p) & set(r))
    n, degraded = len(seeds), sum(p[s] > 0 for s in seeds)
    both = sum(p[s] > 0 and r[s] <= 0 for s in seeds)
    every = T("in its one seed") if n == 1 else T("in each of its {n} seeds", n=n)
    if both == n:
        return T(
            "reproduced both halves of the paper's Figure 6 in training error, {every}",
            every=every,
        )
    if degraded == n:
        return T(
            "reproduced the degradation of the plain networks {every}, but the deeper "
            "ResNet trained better than the shallower one in only {k} of {n} seeds",
            every=every,
            n=n,
            k=both,
        )
    return T(
        "reproduced the degradation of the plain networks in only {k} of {n} seeds",
        n=n,
        k=degraded,
    )


def _train_gaps(doc: Mapping[str, Any], deep: str, shallow: str) -> dict[int, float]:
    """``{seed: deep - shallow}`` in final training error, for the seeds with both."""
    a = seed_values(doc, deep, "final_train_error")
    b = seed_values(doc, shallow, "final_train_error")
    return {s: a[s] - b[s] for s in sorted(set(a) & set(b))}


# --------------------------------------------------------------------------------------
# Figure 7, lesion, learning-rate sweep
# --------------------------------------------------------------------------------------


def _mean_std(doc: Mapping[str, Any], name: str) -> dict[int, float]:
    return {s: statistics.fmean(v) for s, v in seed_values(doc, name, "stds").items()}


def _smaller_check(
    per_seed: dict[str, dict[int, float]],
    means: dict[str, float],
    small: str,
    large: str,
) -> tuple[str, bool]:
    """Whether ``small``'s mean response is below ``large``'s in every seed, in words."""
    a, b = per_seed[small], per_seed[large]
    seeds = sorted(set(a) & set(b))
    ok = sum(a[s] < b[s] for s in seeds)
    if len(seeds) == 1:
        where = T("1 seed")
    elif ok in (0, len(seeds)):
        where = (
            T("in both seeds")
            if len(seeds) == 2
            else T("in all {n} seeds", n=len(seeds))
        )
    else:
        where = T("in {ok} of {n} seeds", ok=ok, n=len(seeds))
    values = {
        "small": run_label(small),
        "large": run_label(large),
        "a": means[small],
        "b": means[large],
        "where": where,
    }
    if ok == 0:
        sentence = T(
            "{small}'s responses are not smaller than {large}'s ({a:.2f} vs {b:.2f}, "
            "{where})",
            **values,
        )
    else:
        sentence = T(
            "{small}'s responses are smaller than {large}'s ({a:.2f} vs {b:.2f}, {where})",
            **values,
        )
    return sentence, ok == len(seeds)


def figure7_verdict(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Does Figure 7's ordering hold? (1) at each depth, the ResNet's residual responses
    are smaller than the plain net's; (2) the deeper ResNet's are smaller than the
    shallower one's. Compared seed by seed on the mean over blocks of each block's
    response std.

    Returns {"holds": bool, "text": sentence, "means": {name: mean over seeds}}.
    """
    names = sorted({r["name"] for r in doc["runs"]})
    per_seed = {n: _mean_std(doc, n) for n in names}
    means = {n: statistics.fmean(v.values()) for n, v in per_seed.items()}
    pairs = [(f"resnet-{d}", f"plain-{d}") for d in _depths(doc, "plain")]
    res = _depths(doc, "resnet")
    pairs += [
        (f"resnet-{hi}", f"resnet-{lo}") for lo, hi in zip(res, res[1:], strict=False)
    ]
    checks = [  # (sentence, holds in every seed)
        _smaller_check(per_seed, means, small, large)
        for small, large in pairs
        if small in per_seed and large in per_seed
    ]
    if not checks:
        raise KeyError(
            "the responses file has no plain/ResNet pair and no two ResNet depths"
        )
    holds = all(ok for _, ok in checks)
    head = (
        T("Figure 7's ordering holds")
        if holds
        else T("Figure 7's ordering does not fully hold")
    )
    ordered = [c for c, ok in checks if not ok] + [c for c, ok in checks if ok]
    text = T(
        "{head} (mean response std over blocks): {checks}",
        head=head,
        checks=join(T("; "), ordered),
    )
    return {"holds": holds, "text": text, "means": means}


def lesion_verdict(doc: Mapping[str, Any]) -> Text:
    """Test error with one non-downsampling block deleted, deepest ResNet and plain."""
    parts = []
    for kind in ("resnet", "plain"):
        depths = _depths(doc, kind)
        if not depths:
            continue
        name = f"{kind}-{depths[-1]}"
        runs = [r for r in doc["runs"] if r["name"] == name]
        base = statistics.fmean(r["baseline_error"] for r in runs)
        hits = [
            row["error"]
            for r in runs
            for row in r["rows"]
            if row["error"] is not None and not row["downsampling"]
        ]
        if hits:
            parts.append(
                T(
                    "{name}: {base:.1f}% intact, {hit:.1f}% on average with one "
                    "non-downsampling block deleted",
                    name=run_label(name),
                    base=100 * base,
                    hit=100 * statistics.fmean(hits),
                )
            )
    if not parts:
        return join(T("; "), parts)
    return T(
        "{parts} (test errors on {images} test images)",
        parts=join(T("; "), parts),
        images=doc["runs"][0]["images"],
    )


def lr_sweep_verdict(doc: Mapping[str, Any]) -> Text:
    """For each constant learning rate: the iteration where the loss became NaN/inf, or
    the training loss it ended at (first seed)."""
    parts = []
    for run in doc["runs"][0]["runs"]:
        if run["diverged"]:
            parts.append(
                T(
                    "lr {lr:g} diverged at iteration {step}",
                    lr=run["lr"],
                    step=run["diverged"]["step"],
                )
            )
        else:
            parts.append(
                T(
                    "lr {lr:g} ends at loss {loss:.3g}",
                    lr=run["lr"],
                    loss=finite(run["final_loss"]),
                )
            )
    return join(T("; "), parts)
