"""The demo cohort's baseline variables reproduce Table 1, 2 and 3 exactly (published.json)."""

from __future__ import annotations

import math
from collections import Counter
from functools import cache
from typing import Any

import pytest

from hcctrial.clinical.scores import bclc_stage
from hcctrial.demo.cohort import (
    AE_TERMS,
    DATA_CUTOFF,
    ENROLMENT_START,
    DemoCohort,
    build_cohort,
)
from tests.support import published_figures


@cache
def published() -> dict[str, Any]:
    return published_figures()


@cache
def cohort() -> DemoCohort:
    return build_cohort()


def _n(path: str) -> int:
    node: Any = published()["table1"]["categorical"]
    for key in path.split("/"):
        node = node[key]
    return int(node["n"])


def _count(pred: Any) -> int:
    return sum(1 for p in cohort().patients if pred(p))


# Table 1 categorical rows: (published path, predicate on a demo patient)
TABLE1 = [
    ("sex/male", lambda p: p.sex == "male"),
    ("sex/female", lambda p: p.sex == "female"),
    ("max_tumor_diameter_cm/<=5", lambda p: p.largest_cm <= 5),
    ("max_tumor_diameter_cm/5-10", lambda p: 5 < p.largest_cm <= 10),
    ("max_tumor_diameter_cm/>10", lambda p: p.largest_cm > 10),
    ("child_pugh/A", lambda p: p.child_pugh.startswith("A")),
    ("child_pugh/B7", lambda p: p.child_pugh == "B7"),
    ("bclc/B", lambda p: p.bclc == "B"),
    ("bclc/C", lambda p: p.bclc == "C"),
    ("ecog_ps/0", lambda p: p.ecog == 0),
    ("ecog_ps/1", lambda p: p.ecog == 1),
    ("ecog_ps/2", lambda p: p.ecog == 2),
    ("vascular_invasion/present", lambda p: p.vascular_invasion),
    ("portal_vein_invasion/present", lambda p: p.portal_vein_invasion),
    ("extrahepatic_metastasis/present", lambda p: p.extrahepatic_spread),
    ("hbv/positive", lambda p: p.hbv),
    ("hbv_dna_copies_ml/>2e3", lambda p: p.hbv_dna_high),
    ("cirrhosis/present", lambda p: p.cirrhosis),
    ("afp_ng_ml/>100", lambda p: p.afp_high),
]


@pytest.mark.parametrize(("path", "pred"), TABLE1, ids=[t[0] for t in TABLE1])
def test_table1_count_is_exact(path: str, pred: Any) -> None:
    assert _count(pred) == _n(path)


def test_imaging_modality_matches_published_counts() -> None:
    mod = published()["table1"]["response_imaging_modality"]
    assert _count(lambda p: p.imaging == "MRI") == mod["MRI"]["n"]
    assert _count(lambda p: p.imaging == "CT") == mod["CT"]["n"]


def _mean_sd(xs: list[float]) -> tuple[float, float]:
    m = sum(xs) / len(xs)
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def test_age_mean_and_sd_round_to_the_published_53_3_and_11_7() -> None:
    ages = [p.age_years for p in cohort().patients]
    m, s = _mean_sd([float(a) for a in ages])
    text = published()["table1"]["age_mean_sd"]["text"]["value"]
    assert round(m + 1e-12, 1) == text["mean"] and round(s + 1e-12, 1) == text["sd"]
    assert all(isinstance(a, int) and 18 <= a <= 75 for a in ages)


def test_tumour_size_mean_and_sd_round_to_the_published_6_7_and_4_3() -> None:
    m, s = _mean_sd([p.largest_cm for p in cohort().patients])
    value = published()["table1"]["tumor_size_mean_sd"]["value"]
    assert round(m + 1e-12, 1) == value["mean"] and round(s + 1e-12, 1) == value["sd"]


def test_portal_vein_invasion_is_a_subset_of_vascular_invasion() -> None:
    assert all(p.vascular_invasion for p in cohort().patients if p.portal_vein_invasion)
    assert all(p.hbv for p in cohort().patients if p.hbv_dna_high)


def test_bclc_engine_gives_the_intended_stage_for_every_patient() -> None:
    for p in cohort().patients:
        stage = bclc_stage(
            p.n_nodules,
            p.largest_cm,
            p.ecog,
            p.child_pugh,
            p.vascular_invasion,
            p.extrahepatic_spread,
        ).stage.value
        assert stage == p.bclc, p.study_id


def test_best_responses_are_table2_and_pd_is_pd_at_first_scan() -> None:
    t2 = published()["table2"]
    counts = Counter(p.best_response for p in cohort().patients)
    assert {k: counts[k] for k in ("CR", "PR", "SD", "PD")} == {
        k: t2[k]["n"] for k in ("CR", "PR", "SD", "PD")
    }
    assert all((p.best_response == "PD") == p.pd_at_first_scan for p in cohort().patients)


@pytest.mark.parametrize("term", AE_TERMS)
def test_worst_grade_counts_are_table3(term: str) -> None:
    row = published()["table3"]["rows"][term]
    counts = Counter(p.worst_grades[term] for p in cohort().patients)
    assert [counts[g] for g in (1, 2, 3, 4)] == [row[f"G{g}"]["n"] for g in (1, 2, 3, 4)]


def test_survivors_are_censored_at_the_cutoff_and_deaths_precede_it() -> None:
    from datetime import timedelta

    for p in cohort().patients:
        end = p.start_date + timedelta(days=p.os_days)
        assert end == DATA_CUTOFF if not p.died else end < DATA_CUTOFF


def test_only_the_77_month_survivor_is_enrolled_before_february_2012_and_flagged() -> None:
    early = [p for p in cohort().patients if p.start_date < ENROLMENT_START]
    assert [p.os_days for p in early] == [max(q.os_days for q in cohort().patients)]
    assert any(
        early[0].study_id.split("-")[1].lstrip("0") in note.split(":")[0]
        for note in cohort().data_notes
    )


def test_the_cohort_is_deterministic() -> None:
    assert build_cohort() == cohort()
