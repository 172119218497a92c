"""The sentences the chapters say about their own runs (helpers.experiments.findings*): each
branch of each verdict, from made-up numbers, so that a page never claims more than its run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch

from helpers.analysis.attribution_plots import object_share, zero_maps
from helpers.experiments import findings as f
from helpers.experiments import findings_training as ft
from helpers.experiments.budget import format_minutes, training_minutes
from helpers.experiments.profiles import get_profile
from helpers.train.config import TrainConfig


def test_ratios_in_words() -> None:
    assert f.describe_ratio(1.3) == "stays near one"
    assert f.describe_ratio(0.23) == "shrinks moderately, by less than a factor of ten"
    assert f.describe_ratio(40.0) == "grows by more than a factor of ten"
    assert f.describe_ratio(1e-6) == "shrinks by orders of magnitude"
    assert f.describe_ratio(0.0) == "underflows to zero"


def test_plain_degradation_both_ways() -> None:
    text, shown = f.plain_degradation({"plain-20": 0.10, "plain-56": 0.15})
    assert shown and text.startswith(
        "In this build's run the deeper plain-56 ends with"
    )
    assert "15.0% against 10.0% for plain-20" in text
    text, shown = f.plain_degradation({"plain-20": 0.15, "plain-56": 0.10})
    assert not shown and "not reproduced" in text


def test_clipping_findings() -> None:
    loss = {
        ("good", None): 0.5,
        ("bad", None): None,
        ("fast", None): None,
        ("good", 1.0): 0.6,
        ("bad", 1.0): 1.9,
        ("fast", 1.0): 0.8,
    }
    said = f.clipping_findings(loss, bad="bad", good="good")
    assert said["verdict"].startswith("Without clipping, bad and fast diverged")
    assert (
        "good trained; with clipping, all three runs kept a finite loss."
        in said["verdict"]
    )
    assert said["bad_init"] == (
        "with clipping, the badly scaled network ends at a loss of 1.90, against 0.60 for "
        "the sensible setting"
    )
    loss["bad", 1.0] = None
    said = f.clipping_findings(loss, bad="bad", good="good")
    assert "good and fast kept a finite loss" in said["verdict"]
    assert "did not keep every setting finite" in said["bad_init"]


@dataclass
class Row:
    index: int
    stage: int
    downsampling: bool
    error: float | None


@dataclass
class Study:
    baseline_error: float
    rows: list = field(default_factory=list)

    def summary(self) -> dict:
        from helpers.analysis.lesion import LesionStudy

        return LesionStudy(self.baseline_error, self.rows).summary()


def test_lesion_findings_follow_the_numbers() -> None:
    res = Study(
        0.10, [Row(0, 0, False, 0.11), Row(1, 1, True, 0.30), Row(2, 1, False, 0.12)]
    )
    plain = Study(
        0.12, [Row(0, 0, False, 0.80), Row(1, 1, True, None), Row(2, 1, False, 0.9)]
    )
    said = f.lesion_findings(res, plain)
    assert said["verdict"].startswith("reproduces their contrast")
    assert said["worst_block"] == "block 2 (a shape-changing block)"
    assert said["res_mean"] == "11.5%" and said["plain_intact"] == "12.0%"
    assert "hurts more on average (30.0%)" in said["downsampling"]
    calm = Study(0.12, [Row(0, 0, False, 0.13), Row(2, 1, False, 0.14)])
    assert f.lesion_findings(res, calm)["verdict"].startswith("cannot show")
    assert "no shape-changing block" in f.lesion_findings(calm, plain)["downsampling"]


def test_figure7_verdict_reads_after_in_this_builds_run() -> None:
    means = {"plain-20": 1.0, "plain-56": 1.0, "ResNet-20": 0.5, "ResNet-56": 0.4}
    said = f.figure7_findings(means, (20, 56))
    assert said["claim1"] == "held at both depths" and said["claim2"] == "held"
    assert said["verdict"] == "both of the paper's Figure 7 claims held"
    means["ResNet-56"] = 0.6
    said = f.figure7_findings(means, (20, 56))
    assert said["verdict"].startswith("not all of the paper's Figure 7 claims held")
    assert "build" not in said["verdict"]  # the summary says "in this build's run, ..."


def test_table1_rounding_names_the_rule_or_its_absence() -> None:
    printed = {"resnet18": 1.8, "resnet34": 3.6, "resnet50": 3.8, "resnet101": 7.6}
    counted = {
        "resnet18": 1.814,
        "resnet34": 3.664,
        "resnet50": 3.858,
        "resnet101": 7.57,
    }
    text = f.table1_rounding(counted, printed)
    assert text.startswith("neither rounding nor cutting off")
    assert (
        "ResNet-34 (3.664, printed 3.6) and ResNet-50 (3.858, printed 3.8) need cutting "
        "off, ResNet-101 (7.570, printed 7.6) needs rounding; so the paper" in text
    )
    assert "0.06 GMACs, for ResNet-34" in text
    assert f.table1_rounding({"a": 1.84}, {"a": 1.8}).startswith("every printed value")


def test_training_findings() -> None:
    final = {"plain-20": 0.10, "plain-56": 0.15, "resnet-20": 0.09, "resnet-56": 0.08}
    assert ft.degradation_verdict(final, 20, 56).startswith("shows the paper's pattern")
    final["resnet-56"] = 0.11
    assert "only part of the cure" in ft.degradation_verdict(final, 20, 56)
    final["plain-56"] = 0.05
    assert ft.degradation_verdict(final, 20, 56).startswith("does not show")
    text = ft.sweep_verdict(
        {"lr = 0.1": 0.5, "lr = 1": 2.5, "lr = 10": None}, {"lr = 10": 7}
    )
    assert text == (
        "the lowest final loss came with lr = 0.1 (0.50); lr = 1 ended near or above "
        "chance level; lr = 10 (iteration 7) diverged"
    )
    assert ft.sanity_verdict({"IG": 0.8, "Grad-CAM": 0.1}).startswith(
        "the maps of Grad-CAM"
    )
    assert ft.sanity_verdict({"IG": 0.5, "Grad-CAM": 0.48}).startswith(
        "the two methods"
    )


def test_schedule_in_words() -> None:
    step = TrainConfig(lr=0.1, schedule="step", milestones=(0.5, 0.75), epochs=1)
    assert ft.schedule_phrase(step, 64_000) == (
        "0.1, divided by 10 at iterations 32,000 and 48,000, over 64,000 iterations"
    )
    quick = get_profile("quick").train_config()
    assert "over 1,000 iterations" in ft.schedule_phrase(quick, 1000)


def test_attribution_findings() -> None:
    maps = torch.zeros(2, 1, 4, 4)
    maps[0, 0, 0, 0] = 1.0
    maps[0, 0, 3, 3] = 3.0
    assert zero_maps(maps) == [False, True]
    objects = torch.zeros(2, 4, 4, dtype=torch.bool)
    objects[:, 3, 3] = True
    assert object_share(maps, objects) == [pytest.approx(0.75), 0.0]
    text = ft.zero_map_sentence(
        {"Grad-CAM, random": [True, False, True], "IG": [False]}
    )
    assert "2 of the 3 maps in the row 'Grad-CAM, random'" in text
    assert "negative at every position" in text
    assert (
        ft.zero_map_sentence({"IG": [False]}) == "none of the maps is zero everywhere"
    )
    text = ft.object_share_sentence({"IG, ResNet-56": [0.8, 0.95]}, "the garment")
    assert (
        text
        == "the share of attribution on the garment ranges from 80–95% for IG, ResNet-56"
    )


def test_t4_estimates_read_as_estimates() -> None:
    assert format_minutes(0.4) == "≈ 24 s" and format_minutes(2.45) == "≈ 2.5 min"
    assert format_minutes(34.3) == "≈ 34 min" and format_minutes(130) == "≈ 2.2 h"
    paper = get_profile("paper")
    assert 30 < training_minutes(paper, 56) < 40  # 64k x 128 images x 6 x 125.5 M MACs


def test_numbers_in_prose_have_no_exponent_notation() -> None:
    from helpers.core.numbers import prose

    assert prose(6.01e7) == "60.1 million" and prose(2.3e9) == "2.30 billion"
    assert prose(0.23) == "0.23" and prose(1.0) == "1" and prose(123456) == "123,456"
    assert prose(0.000123) == "1.23 × 10⁻⁴" and prose(1.5e13) == "1.50 × 10¹³"
    assert prose(9.996e-5) == "1.00 × 10⁻⁴" and prose(0.0) == "0"
    for x in (3e-30, 6.01e7, 0.5, 4e12):
        assert "e+" not in prose(x) and "e-" not in prose(x)


def test_durations_read_as_words_with_the_right_plural() -> None:
    from helpers.core.numbers import duration

    year = 365 * 86400
    assert duration(1.0 * year) == "1 year" and duration(1.5 * year) == "1.5 years"
    assert duration(12.4 * year) == "12 years" and duration(90) == "1.5 minutes"
    assert duration(3600) == "1 hour" and duration(0) == "0 seconds"
    with pytest.raises(ValueError, match="finite"):
        duration(float("nan"))
