"""Child-Pugh, ALBI / modified ALBI, BCLC 2022 and ECOG against the shared peer vectors and hand
calculations.

Expected values come from ``tests/reference/clinical/scores_cases.jsonl`` (peer tests and
published tables, see STANDARDS.md §3) or from the arithmetic written next to each hand case.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hcctrial.clinical.scores import (
    AlbiResult,
    Ascites,
    BclcStage,
    ChildPughClass,
    Encephalopathy,
    albi,
    albumin_points,
    bclc_stage,
    bilirubin_points,
    child_pugh,
    child_pugh_class,
    ecog_status,
    inr_points,
    parse_child_pugh_label,
    pt_prolongation_points,
)
from hcctrial.clinical.units import canonical_value
from hcctrial.errors import DataValidationError
from tests.support import REFERENCE, read_jsonl

CASES = read_jsonl(REFERENCE / "clinical" / "scores_cases.jsonl")

#: kinds of vector in scores_cases.jsonl and where they are tested
KINDS_HERE = {"child_pugh_component_points", "child_pugh_class_from_total", "child_pugh", "albi"}
KINDS_ELSEWHERE = {
    "bsa": "tests/clinical/test_body.py",
    "bsa_all_formulas": "tests/clinical/test_body.py",
    "haic_folfox_dose": "the dosing tests (regimen file arithmetic)",
    "meld_original_x10": "not implemented: MELD is optional in STANDARDS.md §3",
    "meld_x10_SI": "not implemented: MELD is optional in STANDARDS.md §3",
}


def _cases(*kinds: str) -> list[Any]:
    return [pytest.param(c, id=c["id"]) for c in CASES if c["score"] in kinds]


def test_every_reference_vector_kind_has_a_home() -> None:
    """A new kind of vector in the shared file must not be silently ignored."""
    unknown = {c["score"] for c in CASES} - KINDS_HERE - set(KINDS_ELSEWHERE)
    assert not unknown, f"scores_cases.jsonl has vector kinds no test handles: {unknown}"


def _decimals(x: float) -> int:
    text = repr(float(x))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 6


def _approx_to_shown_decimals(expected: float) -> Any:
    """Match a reference number to the decimals it is printed with (half a unit of the last)."""
    return pytest.approx(expected, abs=0.5 * 10 ** -_decimals(expected) + 1e-12)


# ---------------------------------------------------------------------------------------------
# Child-Pugh: reference vectors
# ---------------------------------------------------------------------------------------------


def _lab(inputs: dict[str, Any], analyte: str) -> float | None:
    """Return the analyte of a vector in the canonical unit, whatever form the vector gives."""
    suffixes = {"bilirubin": ("_mg_dl", "mg/dL"), "albumin": ("_g_dl", "g/dL")}
    if analyte in suffixes:
        suffix, unit = suffixes[analyte]
        if analyte + suffix in inputs:
            return canonical_value(analyte, inputs[analyte + suffix], unit)
    if analyte == "bilirubin" and "bilirubin_umol_l" in inputs:
        return canonical_value("bilirubin", inputs["bilirubin_umol_l"], "umol/L")
    if analyte == "albumin" and "albumin_g_l" in inputs:
        return canonical_value("albumin", inputs["albumin_g_l"], "g/L")
    if analyte in inputs and isinstance(inputs[analyte], list):  # [value, unit]
        value, unit = inputs[analyte]
        return canonical_value(analyte, value, unit)
    if analyte in inputs:
        return float(inputs[analyte])
    return None


@pytest.mark.parametrize("case", _cases("child_pugh_component_points"))
def test_child_pugh_component_points_match_reference(case: dict[str, Any]) -> None:
    inputs = case["inputs"]
    assert len(inputs) == 1, "a component vector has one input"
    (key,) = inputs
    scorer = {
        "bilirubin_mg_dl": bilirubin_points,
        "bilirubin_umol_l": lambda v: bilirubin_points(canonical_value("bilirubin", v, "umol/L")),
        "albumin_g_dl": albumin_points,
        "albumin_g_l": lambda v: albumin_points(canonical_value("albumin", v, "g/L")),
        "inr": inr_points,
        "pt_prolongation_s": pt_prolongation_points,
    }[key]
    assert scorer(inputs[key]) == case["expected"]["points"]


@pytest.mark.parametrize("case", _cases("child_pugh_class_from_total"))
def test_child_pugh_class_from_total_matches_reference(case: dict[str, Any]) -> None:
    assert child_pugh_class(case["inputs"]["total_points"]) == case["expected"]["class"]


@pytest.mark.parametrize("case", _cases("child_pugh"))
def test_child_pugh_full_score_matches_reference(case: dict[str, Any]) -> None:
    inputs = case["inputs"]
    bili = _lab(inputs, "bilirubin")
    alb = _lab(inputs, "albumin")
    assert bili is not None and alb is not None
    pt = inputs.get("pt_prolongation_s")
    result = child_pugh(
        bili,
        alb,
        inputs["ascites"],
        inputs["encephalopathy"],
        inr=None if pt is not None else _lab(inputs, "inr"),
        pt_prolongation_s=pt,
    )
    expected = case["expected"]
    for component, points in expected["points"].items():
        assert result.points[component] == points, component
    assert result.total == expected["total"]
    assert result.child_class == expected["class"]


# ---------------------------------------------------------------------------------------------
# Child-Pugh: hand-checked cases
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scorer", "value", "points"),
    [
        # bilirubin mg/dL: <2 -> 1, [2, 3] -> 2, >3 -> 3 (STANDARDS §3: band closed at both ends)
        (bilirubin_points, 0.3, 1),
        (bilirubin_points, 2.0, 2),
        (bilirubin_points, 3.0, 2),
        (bilirubin_points, 3.01, 3),
        # albumin g/dL: >3.5 -> 1, [2.8, 3.5] -> 2, <2.8 -> 3
        (albumin_points, 3.51, 1),
        (albumin_points, 3.5, 2),
        (albumin_points, 2.8, 2),
        (albumin_points, 2.79, 3),
        # INR: <1.7 -> 1, [1.7, 2.3] -> 2, >2.3 -> 3
        (inr_points, 1.69, 1),
        (inr_points, 2.3, 2),
        # PT prolongation s: <4 -> 1, [4, 6] -> 2, >6 -> 3
        (pt_prolongation_points, 3.9, 1),
        (pt_prolongation_points, 4.0, 2),
        (pt_prolongation_points, 6.0, 2),
        (pt_prolongation_points, 6.1, 3),
    ],
)
def test_child_pugh_middle_band_is_closed_at_both_ends(
    scorer: Any, value: float, points: int
) -> None:
    assert scorer(value) == points


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("34.2 umol/L", 2),  # 34.2 / 17.1 = 2.0 mg/dL exactly: 2 points (STANDARDS pitfall 2)
        ("51.3 umol/L", 2),  # 51.3 / 17.1 = 3.0 mg/dL: still 2 points
        ("51.4 umol/L", 3),  # 51.4 / 17.1 = 3.006 mg/dL > 3: 3 points
        ("34.1 umol/L", 1),  # 34.1 / 17.1 = 1.994 mg/dL < 2: 1 point
    ],
)
def test_child_pugh_bilirubin_cut_offs_hold_in_umol_per_l(text: str, points: int) -> None:
    assert bilirubin_points(canonical_value("bilirubin", text)) == points


@pytest.mark.parametrize(
    ("kwargs", "points", "total", "cls"),
    [
        # the CLI contract: 1.8 mg/dL -> 1, 3.2 g/dL -> 2, INR 1.3 -> 1, 1, 1 = 6 -> A
        (
            dict(
                bilirubin_mg_dl=1.8,
                albumin_g_dl=3.2,
                ascites="none",
                encephalopathy="none",
                inr=1.3,
            ),
            {"bilirubin": 1, "albumin": 2, "inr": 1, "ascites": 1, "encephalopathy": 1},
            6,
            "A",
        ),
        # 2.5 -> 2, 3.0 -> 2, INR 1.5 -> 1, none 1, none 1: 2+2+1+1+1 = 7 -> B7 (last eligible)
        (
            dict(
                bilirubin_mg_dl=2.5,
                albumin_g_dl=3.0,
                ascites="none",
                encephalopathy="none",
                inr=1.5,
            ),
            {"bilirubin": 2, "albumin": 2, "inr": 1, "ascites": 1, "encephalopathy": 1},
            7,
            "B",
        ),
        # 2.0 -> 2, 2.9 -> 2, INR 1.8 -> 2, 1, 1 = 8 -> B8 (ineligible in the trial)
        (
            dict(
                bilirubin_mg_dl=2.0,
                albumin_g_dl=2.9,
                ascites="none",
                encephalopathy="none",
                inr=1.8,
            ),
            {"bilirubin": 2, "albumin": 2, "inr": 2, "ascites": 1, "encephalopathy": 1},
            8,
            "B",
        ),
        # everything worst: 3 x 5 = 15 -> C
        (
            dict(
                bilirubin_mg_dl=4.0,
                albumin_g_dl=2.0,
                ascites=Ascites.MODERATE,
                encephalopathy=Encephalopathy.GRADE_3_4,
                inr=2.5,
            ),
            {"bilirubin": 3, "albumin": 3, "inr": 3, "ascites": 3, "encephalopathy": 3},
            15,
            "C",
        ),
        # PT instead of INR: 1.0 -> 1, 3.6 -> 1, PT 4 s -> 2, slight -> 2, none -> 1 = 7 -> B
        (
            dict(
                bilirubin_mg_dl=1.0,
                albumin_g_dl=3.6,
                ascites="slight",
                encephalopathy="none",
                pt_prolongation_s=4.0,
            ),
            {"bilirubin": 1, "albumin": 1, "pt_prolongation": 2, "ascites": 2, "encephalopathy": 1},
            7,
            "B",
        ),
        # minimum: 1 x 5 = 5 -> A5; synonyms "absent"/"no" read as none
        (
            dict(
                bilirubin_mg_dl=0.5,
                albumin_g_dl=4.5,
                ascites="absent",
                encephalopathy="no",
                inr=1.0,
            ),
            {"bilirubin": 1, "albumin": 1, "inr": 1, "ascites": 1, "encephalopathy": 1},
            5,
            "A",
        ),
    ],
)
def test_child_pugh_points_add_up_to_the_class(
    kwargs: dict[str, Any], points: dict[str, int], total: int, cls: str
) -> None:
    r = child_pugh(**kwargs)
    assert r.points == points
    assert r.total == total
    assert r.child_class == ChildPughClass(cls)
    assert r.label == f"{cls}{total}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("none", Encephalopathy.NONE),
        ("grade-1-2", Encephalopathy.GRADE_1_2),
        ("grade_1_2", Encephalopathy.GRADE_1_2),  # the reference file's spelling
        ("Grade 3-4", Encephalopathy.GRADE_3_4),
        ("grade_3_4", Encephalopathy.GRADE_3_4),
    ],
)
def test_child_pugh_encephalopathy_spellings(text: str, expected: Encephalopathy) -> None:
    r = child_pugh(1.0, 4.0, "none", text, inr=1.0)
    assert r.points["encephalopathy"] == {"none": 1, "grade-1-2": 2, "grade-3-4": 3}[expected]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(inr=None, pt_prolongation_s=None), "inr"),  # neither
        (dict(inr=1.2, pt_prolongation_s=3.0), "inr"),  # both
        (dict(albumin_g_dl=35.0), "albumin"),  # g/L given as g/dL: impossible
        (dict(bilirubin_mg_dl=-1.0), "bilirubin"),
        (dict(bilirubin_mg_dl=float("nan")), "bilirubin"),
        (dict(ascites="lots"), "ascites"),
        (dict(ascites=2), "ascites"),
        (dict(encephalopathy="grade 5"), "encephalopathy"),
        (dict(inr=0.0), "inr"),
        (dict(inr=True), "inr"),
        (dict(inr=None, pt_prolongation_s=-2.0), "pt_prolongation"),
    ],
)
def test_child_pugh_refuses_bad_input_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = dict(
        bilirubin_mg_dl=1.0, albumin_g_dl=4.0, ascites="none", encephalopathy="none", inr=1.0
    )
    args.update(kwargs)
    with pytest.raises(DataValidationError, match=field) as info:
        child_pugh(**args)
    assert info.value.field == field


@pytest.mark.parametrize("total", [4, 16, 0, 6.0, True])
def test_child_pugh_class_refuses_impossible_totals(total: Any) -> None:
    with pytest.raises(DataValidationError, match="total_points"):
        child_pugh_class(total)


# ---------------------------------------------------------------------------------------------
# Child-Pugh: properties
# ---------------------------------------------------------------------------------------------

bilirubins = st.floats(min_value=0.0, max_value=80.0)
albumins = st.floats(min_value=0.5, max_value=7.0)
inrs = st.floats(min_value=0.5, max_value=20.0)
pts = st.floats(min_value=0.0, max_value=120.0)


@given(bilirubins, bilirubins, albumins, inrs)
def test_child_pugh_higher_bilirubin_never_lowers_points(
    b1: float, b2: float, alb: float, inr: float
) -> None:
    lo, hi = sorted((b1, b2))
    r_lo = child_pugh(lo, alb, "none", "none", inr=inr)
    r_hi = child_pugh(hi, alb, "none", "none", inr=inr)
    assert r_lo.points["bilirubin"] <= r_hi.points["bilirubin"]
    assert r_lo.total <= r_hi.total


@given(albumins, albumins, bilirubins)
def test_child_pugh_lower_albumin_never_lowers_points(a1: float, a2: float, bili: float) -> None:
    lo, hi = sorted((a1, a2))
    assert albumin_points(lo) >= albumin_points(hi)
    assert (
        child_pugh(bili, lo, "slight", "none", inr=1.0).total
        >= child_pugh(bili, hi, "slight", "none", inr=1.0).total
    )


@given(inrs, inrs, pts, pts)
def test_child_pugh_higher_inr_or_pt_never_lowers_points(
    i1: float, i2: float, p1: float, p2: float
) -> None:
    assert inr_points(min(i1, i2)) <= inr_points(max(i1, i2))
    assert pt_prolongation_points(min(p1, p2)) <= pt_prolongation_points(max(p1, p2))


@given(
    bilirubins,
    albumins,
    inrs,
    st.sampled_from(list(Ascites)),
    st.sampled_from(list(Encephalopathy)),
)
def test_child_pugh_total_is_the_sum_and_the_class_follows_the_table(
    bili: float, alb: float, inr: float, asc: Ascites, enc: Encephalopathy
) -> None:
    r = child_pugh(bili, alb, asc, enc, inr=inr)
    assert r.total == sum(r.points.values())
    assert set(r.points) == {"bilirubin", "albumin", "inr", "ascites", "encephalopathy"}
    # Pugh 1973 classes: A = 5-6, B = 7-9, C = 10-15
    expected = "A" if r.total <= 6 else "B" if r.total <= 9 else "C"
    assert r.child_class == expected


# ---------------------------------------------------------------------------------------------
# ALBI
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("albi"))
def test_albi_matches_reference(case: dict[str, Any]) -> None:
    inputs, expected = case["inputs"], case["expected"]
    coefficient = case["coefficient_used_for_expected"]
    r = albi(inputs["bilirubin_umol_l"], inputs["albumin_g_l"], albumin_coefficient=coefficient)
    assert r.score == _approx_to_shown_decimals(expected["score"])
    assert r.grade == expected["grade"]
    assert r.modified_grade == expected["mALBI"]
    # every vector also carries the result with the other common coefficient, -0.0852
    r2 = albi(inputs["bilirubin_umol_l"], inputs["albumin_g_l"], albumin_coefficient=-0.0852)
    assert r2.score == _approx_to_shown_decimals(expected["score_with_coef_-0.0852"])
    assert r2.grade == expected["grade_with_coef_-0.0852"]


@pytest.mark.parametrize(
    ("bili", "alb", "coef", "score", "grade", "modified"),
    [
        # issue contract: 0.66 * log10(10) - 0.0852 * 35 = 0.66 - 2.982 = -2.322 -> 2, 2a
        (10.0, 35.0, -0.0852, -2.322, 2, "2a"),
        # rounded Johnson coefficient: 0.66 - 0.085 * 35 = 0.66 - 2.975 = -2.315 -> 2, 2a
        (10.0, 35.0, -0.085, -2.315, 2, "2a"),
        # STANDARDS pitfall 3: 0.66 - 0.085 * 38.35 = 0.66 - 3.25975 = -2.59975 > -2.60 -> 2
        (10.0, 38.35, -0.085, -2.59975, 2, "2a"),
        #                     0.66 - 0.0852 * 38.35 = 0.66 - 3.26742 = -2.60742 <= -2.60 -> 1
        (10.0, 38.35, -0.0852, -2.60742, 1, "1"),
        # 0.66 * log10(100) - 0.0852 * 40 = 1.32 - 3.408 = -2.088 -> 2; > -2.270 -> 2b
        (100.0, 40.0, -0.0852, -2.088, 2, "2b"),
        # 0.66 * log10(1000) - 0.0852 * 20 = 1.98 - 1.704 = 0.276 -> 3
        (1000.0, 20.0, -0.0852, 0.276, 3, "3"),
        # cut-offs are closed on the better side: log10(1) = 0, so score = coef * albumin
        (1.0, 20.0, -0.13, -2.60, 1, "1"),  # -0.13 * 20 = -2.60 -> grade 1 (<= -2.60)
        (1.0, 20.0, -0.1135, -2.27, 2, "2a"),  # -0.1135 * 20 = -2.27 -> 2a (<= -2.270)
        (1.0, 20.0, -0.0695, -1.39, 2, "2b"),  # -0.0695 * 20 = -1.39 -> grade 2 (<= -1.39)
    ],
)
def test_albi_hand_calculations_and_closed_cut_offs(
    bili: float, alb: float, coef: float, score: float, grade: int, modified: str
) -> None:
    r = albi(bili, alb, albumin_coefficient=coef)
    assert r.score == pytest.approx(score, abs=1e-9)
    assert (r.grade, r.modified_grade) == (grade, modified)
    assert f"{abs(coef):g} x albumin g/L" in r.coefficients


def test_albi_default_coefficients_are_stated() -> None:
    r = albi(10.0, 35.0)
    assert isinstance(r, AlbiResult)
    # default -0.0852: 0.66 - 2.982 = -2.322
    assert round(r.score, 3) == -2.322
    assert "0.66 x log10(bilirubin umol/L) - 0.0852 x albumin g/L" in r.coefficients
    assert "-2.270" in r.coefficients


@pytest.mark.parametrize(
    ("bili", "alb", "field"),
    [
        (0.0, 35.0, "bilirubin"),  # log10(0) undefined
        (-5.0, 35.0, "bilirubin"),
        (float("inf"), 35.0, "bilirubin"),
        (10.0, 3.5, "albumin"),  # g/dL passed as g/L: 3.5 g/L is impossible
        (10.0, 350.0, "albumin"),
        (10.0, float("nan"), "albumin"),
        ("10", 35.0, "bilirubin"),
    ],
)
def test_albi_refuses_bad_input_naming_the_field(bili: Any, alb: Any, field: str) -> None:
    with pytest.raises(DataValidationError, match=field):
        albi(bili, alb)


umol_bilirubins = st.floats(min_value=0.5, max_value=1000.0)
g_l_albumins = st.floats(min_value=5.0, max_value=70.0)


@given(umol_bilirubins, umol_bilirubins, g_l_albumins, g_l_albumins)
def test_albi_score_is_monotone(b1: float, b2: float, a1: float, a2: float) -> None:
    """Higher bilirubin never lowers the score, higher albumin never raises it; grades follow."""
    b_lo, b_hi = sorted((b1, b2))
    a_lo, a_hi = sorted((a1, a2))
    worst, best = albi(b_hi, a_lo), albi(b_lo, a_hi)
    assert albi(b_lo, a_lo).score <= worst.score
    assert best.score <= albi(b_hi, a_hi).score
    assert best.grade <= worst.grade


@given(umol_bilirubins, g_l_albumins)
def test_albi_score_equals_the_formula_with_natural_logs(bili: float, alb: float) -> None:
    # independent route: log10(x) = ln(x) / ln(10)
    expected = 0.66 * math.log(bili) / math.log(10) - 0.0852 * alb
    r = albi(bili, alb)
    assert r.score == pytest.approx(expected, abs=1e-9)
    grade = 1 if r.score <= -2.60 else 2 if r.score <= -1.39 else 3
    assert r.grade == grade


# ---------------------------------------------------------------------------------------------
# ECOG and BCLC 2022
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "status"), [(0, 0), (5, 5), ("3", 3), (" 2 ", 2), (1.0, 1)])
def test_ecog_status_accepts_integers_0_to_5(value: Any, status: int) -> None:
    assert ecog_status(value) == status


@pytest.mark.parametrize("value", [-1, 6, 1.5, True, "x", "", None, "2.5", "٣"])
def test_ecog_status_refuses_anything_else(value: Any) -> None:
    with pytest.raises(DataValidationError, match="ecog"):
        ecog_status(value)


# (nodules, largest cm, ECOG, Child-Pugh, vascular invasion, extrahepatic spread) -> stage,
# by the BCLC 2022 rules (Reig et al., J Hepatol 2022; STANDARDS.md §3)
BCLC_RULES = [
    pytest.param(1, 1.5, 0, "A", False, False, "0", id="0-single-1.5cm"),
    pytest.param(1, 2.0, 0, "A", False, False, "0", id="0-single-2cm-edge"),
    pytest.param(1, 2.1, 0, "A", False, False, "A", id="A-single-2.1cm"),
    pytest.param(1, 9.0, 0, "A", False, False, "A", id="A-single-any-size"),
    pytest.param(2, 1.0, 0, "A", False, False, "A", id="A-two-small"),
    pytest.param(3, 3.0, 0, "A", False, False, "A", id="A-three-each-3cm-edge"),
    pytest.param(3, 3.1, 0, "A", False, False, "B", id="B-three-one-above-3cm"),
    pytest.param(2, 4.0, 0, "A", False, False, "B", id="B-two-one-4cm"),
    pytest.param(4, 1.0, 0, "A", False, False, "B", id="B-four-small"),
    pytest.param(1, 1.5, 0, "A", True, False, "C", id="C-vascular-invasion"),
    pytest.param(4, 5.0, 0, "A", False, True, "C", id="C-extrahepatic-spread"),
    pytest.param(1, 1.5, 1, "A", False, False, "C", id="C-ecog-1"),
    pytest.param(4, 5.0, 2, "A", False, False, "C", id="C-ecog-2"),
    pytest.param(1, 1.5, 3, "A", False, False, "D", id="D-ecog-3"),
    pytest.param(4, 5.0, 4, "A", True, True, "D", id="D-ecog-4-precedes-C"),
    pytest.param(1, 1.5, 0, "C", False, False, "D", id="D-child-pugh-C"),
    pytest.param(1, 1.5, 0, "C12", True, False, "D", id="D-child-pugh-label-C12"),
    # Child-Pugh B alone neither makes B nor D (the peer's "Child-Pugh B -> B" is wrong for 2022)
    pytest.param(1, 1.5, 0, "B", False, False, "0", id="0-child-pugh-B-not-restaged"),
    pytest.param(2, 2.5, 0, "B7", False, False, "A", id="A-child-pugh-B7-not-restaged"),
    pytest.param(4, 5.0, 0, ChildPughClass.B, False, False, "B", id="B-child-pugh-B-by-tumour"),
]


@pytest.mark.parametrize(("n", "size", "ecog", "cp", "vi", "ehs", "stage"), BCLC_RULES)
def test_bclc_2022_rules(
    n: int, size: float, ecog: int, cp: Any, vi: bool, ehs: bool, stage: str
) -> None:
    r = bclc_stage(n, size, ecog, cp, vi, ehs)
    assert r.stage == BclcStage(stage)
    assert r.reason.endswith(f"-> {stage}")
    if str(cp).startswith("B"):
        assert any("Child-Pugh B" in note for note in r.notes)


def test_bclc_ps_attributed_to_cirrhosis_does_not_upstage() -> None:
    # single 1.5 cm nodule, ECOG 1 from cirrhosis (not the cancer): stays 0, and the note says who
    r = bclc_stage(
        1, 1.5, 1, "A", False, False, ps_cancer_related=False, ps_attributed_by="Dr Li (PI)"
    )
    assert r.stage is BclcStage.VERY_EARLY
    assert any("Dr Li (PI)" in note for note in r.notes)
    # the same PS called cancer-related is stage C
    assert bclc_stage(1, 1.5, 1, "A", False, False).stage is BclcStage.ADVANCED
    # ECOG 3 stays D whatever its cause
    r3 = bclc_stage(1, 1.5, 3, "A", False, False, ps_cancer_related=False, ps_attributed_by="Dr Li")
    assert r3.stage is BclcStage.TERMINAL


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((0, 1.0, 0, "A", False, False), {}, "n_nodules"),
        ((1.5, 1.0, 0, "A", False, False), {}, "n_nodules"),
        ((1, 0.0, 0, "A", False, False), {}, "largest_cm"),
        ((1, float("nan"), 0, "A", False, False), {}, "largest_cm"),
        ((1, 1.0, 5, "A", False, False), {}, "ecog"),
        ((1, 1.0, 0, "D", False, False), {}, "child_pugh_class"),
        ((1, 1.0, 0, "B10", False, False), {}, "child_pugh_class"),
        ((1, 1.0, 0, "A", "no", False), {}, "vascular_invasion"),
        ((1, 1.0, 0, "A", False, None), {}, "extrahepatic_spread"),
        ((1, 1.0, 1, "A", False, False), {"ps_cancer_related": False}, "ps_attributed_by"),
    ],
)
def test_bclc_refuses_bad_input_naming_the_field(
    args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(DataValidationError, match=field):
        bclc_stage(*args, **kwargs)


# Cholestatic variant (issue 13 item 8): "For cholestatic disease (PBC/PSC), some tables use
# bilirubin cut-offs of 4 and 10 mg/dL" (STANDARDS.md §3); the 2-point band closed at both ends
# as in the standard table.
@pytest.mark.parametrize(
    ("bilirubin", "standard", "cholestatic"),
    [
        (1.9, 1, 1),
        (2.0, 2, 1),  # standard 2-3 band; cholestatic < 4
        (3.5, 3, 1),
        (3.99, 3, 1),
        (4.0, 3, 2),  # 4 mg/dL opens the cholestatic 2-point band
        (10.0, 3, 2),  # ... and 10 closes it
        (10.01, 3, 3),
    ],
)
def test_cholestatic_bilirubin_bands(bilirubin: float, standard: int, cholestatic: int) -> None:
    assert bilirubin_points(bilirubin) == standard
    assert bilirubin_points(bilirubin, cholestatic=True) == cholestatic


def test_cholestatic_option_changes_the_class() -> None:
    # bilirubin 5 mg/dL: standard 3 points -> 3+1+1+1+1 = 7 (B7); cholestatic 2 points -> A6
    assert child_pugh(5.0, 4.0, "none", "none", inr=1.0).label == "B7"
    assert child_pugh(5.0, 4.0, "none", "none", inr=1.0, cholestatic=True).label == "A6"


@pytest.mark.parametrize(
    ("label", "expected"),
    [("A5", ("A", 5)), ("b7", ("B", 7)), ("C12", ("C", 12)), ("B", ("B", None))],
)
def test_child_pugh_label_parsed(label: str, expected: tuple[str, int | None]) -> None:
    cls, total = parse_child_pugh_label(label)
    assert (cls.value, total) == expected


@pytest.mark.parametrize("label", ["B10", "A9", "C8", "A7", "B4", "X", ""])
def test_child_pugh_label_contradiction_refused(label: str) -> None:
    with pytest.raises(DataValidationError):
        parse_child_pugh_label(label)


# BCLC C through performance status only (issue 13 item 10): BCLC 2022 (Reig 2022): "cancer-
# related symptoms with ECOG PS 1-2" upstage to C; "A PS of 1 caused by cirrhosis or other illness
# does not upstage. Record who made that attribution." (STANDARDS.md §3)
def test_bclc_c_only_through_an_unattributed_ps_is_flagged() -> None:
    r = bclc_stage(3, 5.0, 1, "A", False, False)
    assert r.stage is BclcStage.ADVANCED and r.interpretation
    assert r.alternative is not None and r.alternative.startswith("BCLC B")


def test_bclc_c_with_attributed_ps_or_other_reasons_is_not_flagged() -> None:
    attributed = bclc_stage(3, 5.0, 1, "A", False, False, ps_attributed_by="Dr Wu")
    assert attributed.stage is BclcStage.ADVANCED and not attributed.interpretation
    invasion = bclc_stage(3, 5.0, 1, "A", True, False)
    assert invasion.stage is BclcStage.ADVANCED and not invasion.interpretation
