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
    "provenance_caption",
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


def _sign_note(gaps: list[float]) -> str:
    """ "; the seeds disagree on the sign (+1.9 and -4.0 points)" when they do, else
    ""."""
    if min(gaps) < 0 < max(gaps):
        values = " and ".join(f"{g:+.1f}" for g in gaps)
        return f"; the seeds disagree on the sign ({values} points)"
    return ""


def _pm(mean: float, std: float | None, n: int, unit: str = "points") -> str:
    if std is None:
        return f"{abs(mean):.1f} {unit} (1 seed)"
    return f"{abs(mean):.1f} ± {std:.1f} {unit} (mean ± std over {n} seeds)"


def _depths(doc: Mapping[str, Any], kind: str) -> list[int]:
    return sorted({r["depth"] for r in doc["runs"] if r["kind"] == kind})


def _mean_final(doc: Mapping[str, Any], name: str, field: str, other: str) -> float:
    """Mean of ``field`` (in %) over the seeds that ``name`` and ``other`` share."""
    a, b = seed_values(doc, name, field), seed_values(doc, other, field)
    return 100 * statistics.fmean(a[s] for s in sorted(set(a) & set(b)))


# --------------------------------------------------------------------------------------
# Degradation (Fig. 6, Table 6)
# --------------------------------------------------------------------------------------


def _gap_sentence(doc: Mapping[str, Any], hi: str, lo: str, field: str) -> str:
    """ "(22.5% vs 11.0%)" and the sign note, for the sentences on ``hi`` vs ``lo``."""
    return (
        f"({_mean_final(doc, hi, field, lo):.1f}% vs "
        f"{_mean_final(doc, lo, field, hi):.1f}%)"
        + _sign_note(seed_gaps(doc, hi, lo, field))
    )


def _versus_paper(doc: Mapping[str, Any], res: list[int]) -> str | None:
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
        verdict = "so these seeds do not settle the paper's direction"
    elif (m < 0) == (d < 0):
        verdict = "so the paper's direction is reproduced"
    else:
        verdict = "so the paper's direction is not reproduced"
    return (
        f"He et al. (2016, Table 6) report ResNet-{res[-1]} {abs(d):.2f} points "
        f"{'below' if d < 0 else 'above'} ResNet-{res[0]} on CIFAR-10 "
        f"({paper[res[-1]]:.2f}% vs {paper[res[0]]:.2f}%); in this reference run "
        f"it is {_pm(m, s, n)} {'below' if m < 0 else 'above'}, {verdict}"
    )


def degradation_verdicts(doc: Mapping[str, Any]) -> dict[str, str]:
    """Sentences on the shallowest vs deepest plain net (training error) and ResNet
    (test error).

    Keys: "plain_train_gap", "resnet_test_gap", "resnet_train_gap", and
    "resnet_vs_paper" when both depths are in the paper's Table 6.
    """
    out = {}
    plain, res = _depths(doc, "plain"), _depths(doc, "resnet")
    res = [
        d for d in res if d in plain
    ] or res  # ResNet-110 has no plain twin in Fig. 6
    if len(plain) >= 2:
        lo, hi = f"plain-{plain[0]}", f"plain-{plain[-1]}"
        m, s, n = paired_gap(doc, hi, lo, "final_train_error")
        where = "above" if m > 0 else "below"
        out["plain_train_gap"] = (
            f"{hi} ends {_pm(m, s, n)} {where} {lo} in training error "
            + _gap_sentence(doc, hi, lo, "final_train_error")
        )
    if len(res) >= 2:
        lo, hi = f"resnet-{res[0]}", f"resnet-{res[-1]}"
        for field, key, what in (
            ("final_test_error", "resnet_test_gap", "test error"),
            ("final_train_error", "resnet_train_gap", "training error"),
        ):
            m, s, n = paired_gap(doc, hi, lo, field)
            side = "lower" if m < 0 else "higher"
            out[key] = (
                f"ResNet-{res[-1]}'s {what} is {_pm(m, s, n)} {side} than "
                f"ResNet-{res[0]}'s " + _gap_sentence(doc, hi, lo, field)
            )
        paper = _versus_paper(doc, res)
        if paper is not None:
            out["resnet_vs_paper"] = paper
    return out


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
        where = "1 seed"
    elif ok in (0, len(seeds)):
        where = "in both seeds" if len(seeds) == 2 else f"in all {len(seeds)} seeds"
    else:
        where = f"in {ok} of {len(seeds)} seeds"
    verb = "are smaller than" if ok == len(seeds) else "are not smaller than"
    if 0 < ok < len(seeds):
        verb = "are smaller than"
    sentence = (
        f"{run_label(small)}'s responses {verb} {run_label(large)}'s "
        f"({means[small]:.2f} vs {means[large]:.2f}, {where})"
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
        "Figure 7's ordering holds"
        if holds
        else "Figure 7's ordering does not fully hold"
    )
    ordered = [c for c, ok in checks if not ok] + [c for c, ok in checks if ok]
    text = f"{head} (mean response std over blocks): " + "; ".join(ordered)
    return {"holds": holds, "text": text, "means": means}


def lesion_verdict(doc: Mapping[str, Any]) -> str:
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
                f"{run_label(name)}: {100 * base:.1f}% intact, "
                f"{100 * statistics.fmean(hits):.1f}% "
                "on average with one non-downsampling block deleted"
            )
    return "; ".join(parts)


def lr_sweep_verdict(doc: Mapping[str, Any]) -> str:
    """For each constant learning rate: the iteration where the loss became NaN/inf, or
    the training loss it ended at (first seed)."""
    parts = []
    for run in doc["runs"][0]["runs"]:
        if run["diverged"]:
            parts.append(
                f"lr {run['lr']:g} diverged at iteration {run['diverged']['step']}"
            )
        else:
            parts.append(
                f"lr {run['lr']:g} ends at loss {finite(run['final_loss']):.3g}"
            )
    return "; ".join(parts)


def provenance_caption(results: Mapping[str, Mapping[str, Any]]) -> str:
    """One caption line: dataset and sizes, schedule, width, seeds, device, precision,
    versions, commit, date and wall time of the reference run."""
    doc = results.get("degradation") or next(iter(results.values()))
    prov = doc["provenance"]
    prof, data, dev = prov["profile"], prov["dataset"], prov["device"]
    cfg = prov["train_config"]
    if cfg.get("iterations"):
        sched = f"{cfg['iterations']:,} iterations"
    else:
        sched = f"{cfg['epochs']} epochs"
    seeds = sorted({r["seed"] for r in doc["runs"]})
    wall = sum(r["wall_time_s"] for d in results.values() for r in d["runs"])
    dates = sorted(r["date"][:10] for d in results.values() for r in d["runs"])
    commit = str(prov["helpers"]["commit"])[:7]
    return (
        f"Reference run `{prof['name']}`: {data['title']}, "
        f"{data['train_images']:,} training / {data['test_images']:,} test images, "
        f"width {prof['width']}, {sched} at batch "
        f"{cfg['batch_size']}, seed{'s' if len(seeds) > 1 else ''} "
        f"{', '.join(map(str, seeds))}; {dev['name']}, {dev['precision']}; torch "
        f"{prov['versions']['torch'].split('+')[0]}, helpers {commit}; {dates[-1]}, "
        f"{wall / 60:.0f} min in all."
    )
