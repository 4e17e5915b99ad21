"""Body-surface area (Mosteller, DuBois, Haycock) against the shared reference vectors, the table of
STANDARDS.md §4, a hand calculation, and algebraic properties of each formula."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hcctrial.clinical.body import BsaFormula, body_surface_area_m2
from hcctrial.errors import DataValidationError
from tests.support import REFERENCE, read_jsonl

CASES = read_jsonl(REFERENCE / "clinical" / "scores_cases.jsonl")


def _decimals(x: float) -> int:
    text = repr(float(x))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 6


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c["id"]) for c in CASES if c["score"] == "bsa"]
)
def test_bsa_matches_reference_rounded_to_two_decimals(case: dict[str, Any]) -> None:
    i = case["inputs"]
    bsa = body_surface_area_m2(i["height_cm"], i["weight_kg"], i["method"])
    assert round(bsa, 2) == case["expected"]["bsa_m2_round2"]


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c["id"]) for c in CASES if c["score"] == "bsa_all_formulas"]
)
def test_bsa_all_formulas_match_reference(case: dict[str, Any]) -> None:
    i = case["inputs"]
    for formula, expected in case["expected"].items():
        bsa = body_surface_area_m2(i["height_cm"], i["weight_kg"], formula)
        assert bsa == pytest.approx(expected, abs=0.5 * 10 ** -_decimals(expected) + 1e-12), formula


# STANDARDS.md §4 table: W (kg) / H (cm) -> Mosteller, DuBois, Haycock, 4 decimals
STANDARDS_TABLE = [
    (80, 180, 2.0000, 1.9964, 2.0066),
    (70, 170, 1.8181, 1.8097, 1.8257),
    (60, 160, 1.6330, 1.6221, 1.6405),
    (120, 180, 2.4495, 2.3719, 2.4955),
]


@pytest.mark.parametrize(("w", "h", "mosteller", "dubois", "haycock"), STANDARDS_TABLE)
def test_bsa_standards_table(
    w: float, h: float, mosteller: float, dubois: float, haycock: float
) -> None:
    for formula, expected in (("mosteller", mosteller), ("dubois", dubois), ("haycock", haycock)):
        assert body_surface_area_m2(h, w, formula) == pytest.approx(expected, abs=5e-5), formula


def test_bsa_mosteller_by_hand_and_default() -> None:
    # Mosteller 180 cm, 80 kg: sqrt(180 * 80 / 3600) = sqrt(14400 / 3600) = sqrt(4) = 2.0
    assert body_surface_area_m2(180, 80) == 2.0
    # 160 cm, 90 kg: sqrt(160 * 90 / 3600) = sqrt(4) = 2.0 again
    assert body_surface_area_m2(160, 90, BsaFormula.MOSTELLER) == 2.0
    # 150 cm, 54 kg: sqrt(8100 / 3600) = sqrt(2.25) = 1.5
    assert body_surface_area_m2(150, 54, "mosteller") == 1.5


heights = st.floats(min_value=50.0, max_value=250.0)
weights = st.floats(min_value=2.0, max_value=350.0)
scales = st.floats(min_value=0.5, max_value=1.0)


@given(heights, weights)
def test_bsa_mosteller_squared_is_height_times_weight_over_3600(h: float, w: float) -> None:
    assert body_surface_area_m2(h, w) ** 2 * 3600 == pytest.approx(h * w, rel=1e-12)


@given(heights, weights, scales)
def test_bsa_power_laws_scale_with_their_exponents(h: float, w: float, k: float) -> None:
    """DuBois ~ W^0.425 H^0.725; Haycock ~ W^0.5378 H^0.3964 (published exponents)."""
    for formula, a_w, a_h in (("dubois", 0.425, 0.725), ("haycock", 0.5378, 0.3964)):
        base = body_surface_area_m2(h, w, formula)
        if w * k >= 2.0:
            ratio_w = body_surface_area_m2(h, w * k, formula) / base
            assert ratio_w == pytest.approx(k**a_w, rel=1e-9)
        if h * k >= 50.0:
            ratio_h = body_surface_area_m2(h * k, w, formula) / base
            assert ratio_h == pytest.approx(k**a_h, rel=1e-9)


@given(heights, weights, weights, st.sampled_from(list(BsaFormula)))
def test_bsa_never_falls_when_weight_rises(h: float, w1: float, w2: float, f: BsaFormula) -> None:
    lo, hi = sorted((w1, w2))
    assert body_surface_area_m2(h, lo, f) <= body_surface_area_m2(h, hi, f)


@given(heights, weights)
def test_bsa_dubois_constant(h: float, w: float) -> None:
    # DuBois 1916 constant 0.007184, via logarithms (an independent route from the power form)
    expected = math.exp(math.log(0.007184) + 0.425 * math.log(w) + 0.725 * math.log(h))
    assert body_surface_area_m2(h, w, "dubois") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("h", "w", "formula", "field"),
    [
        (0, 80, "mosteller", "height_cm"),
        (300, 80, "mosteller", "height_cm"),
        (float("nan"), 80, "mosteller", "height_cm"),
        ("180", 80, "mosteller", "height_cm"),
        (180, -1, "mosteller", "weight_kg"),
        (180, 0, "mosteller", "weight_kg"),
        (180, 400, "mosteller", "weight_kg"),
        (180, float("inf"), "mosteller", "weight_kg"),
        (180, 80, "boyd", "formula"),
    ],
)
def test_bsa_refuses_impossible_input_naming_the_field(
    h: Any, w: Any, formula: str, field: str
) -> None:
    with pytest.raises(DataValidationError, match=field) as info:
        body_surface_area_m2(h, w, formula)
    assert info.value.field == field
