"""Lab units through pint: conversions against the published clinical factors, exact landings on
cut-offs, round-trips, and refusals of unknown units and impossible values.

Independent references: the clinical conversion factors (bilirubin 17.1 umol/L per mg/dL and
creatinine 88.4 umol/L per mg/dL, STANDARDS.md §3 and pitfalls 2 and 18; albumin 1 g/dL = 10 g/L;
1 uL = 1 mm3 = 1e-6 L; AFP 1 IU = 1.21 ng, WHO standard 72/225).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hcctrial.clinical.units import canonical_value, convert, parse_quantity, unit_fits
from hcctrial.errors import UnitError


@pytest.mark.parametrize(
    ("analyte", "text", "expected"),
    [
        # exact landings on cut-offs (compared with ==, not approx)
        ("bilirubin", "34.2 umol/L", 2.0),  # Child-Pugh 2 mg/dL: 2 x 17.1 = 34.2
        ("bilirubin", "51.3 umol/L", 3.0),  # Child-Pugh 3 mg/dL: 3 x 17.1 = 51.3
        ("bilirubin", "17.1 µmol/L", 1.0),
        ("bilirubin", "1.8 mg/dL", 1.8),
        ("creatinine", "176.8 umol/L", 2.0),  # eligibility < 2 mg/dL: 2 x 88.4 = 176.8
        ("creatinine", "88.4 umol/L", 1.0),
        ("albumin", "35 g/L", 3.5),  # 35 / 10
        ("albumin", "28 g/L", 2.8),
        ("albumin", "30 g/L", 3.0),  # eligibility albumin > 3.0 g/dL (paper's "mg/dL" slip)
        ("albumin", "3.2 g/dL", 3.2),
        ("wbc", "3 x10^9/L", 3.0),
        ("wbc", "3000 /uL", 3.0),  # 3000 per 1e-6 L = 3e9 /L
        ("wbc", "3000 /mm3", 3.0),  # 1 mm3 = 1 uL
        ("wbc", "3000 cells/uL", 3.0),
        ("anc", "1500 /µL", 1.5),
        ("anc", "1.5 ×10⁹/L", 1.5),
        ("platelets", "75 x10^3/uL", 75.0),  # 75e3 per 1e-6 L = 75e9 /L
        ("platelets", "75000 /mm3", 75.0),
        ("afp", "100 IU/mL", 121.0),  # 100 x 1.21 ng
        ("afp", "400 ng/mL", 400.0),
        ("afp", "0.4 ug/mL", 400.0),  # 1 ug = 1000 ng
        ("inr", "1.3", 1.3),
        ("pt_prolongation", "5 s", 5.0),
        ("alt", "0.5 ukat/L", 30.0),  # 1 ukat/L = 60 U/L
        ("sodium", "135 mEq/L", 135.0),
        ("lvef", "50 %", 50.0),
    ],
)
def test_canonical_value_uses_the_clinical_factors(
    analyte: str, text: str, expected: float
) -> None:
    assert canonical_value(analyte, text) == expected


def test_canonical_value_takes_number_and_unit_separately() -> None:
    assert canonical_value("albumin", 32, "g/L") == 3.2
    assert canonical_value("bilirubin", 34.2, "umol/L") == 2.0
    assert canonical_value("inr", 1.2) == 1.2


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "analyte", "expected"),
    [
        (1.0, "mg/dL", "umol/L", "bilirubin", 17.1),
        (2.0, "mg/dL", "umol/L", "creatinine", 176.8),
        (3.5, "g/dL", "g/L", "albumin", 35.0),
        (1.5, "x10^9/L", "/uL", "anc", 1500.0),
        (1.5, "x10^9/L", "/mm3", "anc", 1500.0),
        (121.0, "ng/mL", "IU/mL", "afp", 100.0),
    ],
)
def test_convert_uses_the_clinical_factors(
    value: float, from_unit: str, to_unit: str, analyte: str, expected: float
) -> None:
    assert convert(value, from_unit, to_unit, analyte=analyte) == pytest.approx(expected, rel=1e-12)


# (analyte, unit a, unit b, factor: 1 unit a = factor unit b, plausible range in unit a)
ROUND_TRIPS = [
    ("bilirubin", "mg/dL", "umol/L", 17.1, (0.05, 80.0)),
    ("creatinine", "mg/dL", "umol/L", 88.4, (0.05, 30.0)),
    ("albumin", "g/dL", "g/L", 10.0, (0.5, 7.0)),
    ("wbc", "x10^9/L", "/uL", 1000.0, (0.0, 200.0)),
    ("platelets", "x10^9/L", "/mm3", 1000.0, (0.0, 2000.0)),
    ("lymphocytes", "/uL", "/mm3", 1.0, (0.0, 1.0e5)),
    ("afp", "IU/mL", "ng/mL", 1.21, (0.0, 1.0e6)),
]


@pytest.mark.parametrize(
    ("analyte", "unit_a", "unit_b", "factor", "bounds"),
    [pytest.param(*r, id=f"{r[0]}-{r[1]}-{r[2]}") for r in ROUND_TRIPS],
)
@given(fraction=st.floats(min_value=0.0, max_value=1.0))
def test_unit_round_trip_and_factor(
    analyte: str,
    unit_a: str,
    unit_b: str,
    factor: float,
    bounds: tuple[float, float],
    fraction: float,
) -> None:
    x = bounds[0] + fraction * (bounds[1] - bounds[0])
    there = convert(x, unit_a, unit_b, analyte=analyte)
    assert there == pytest.approx(x * factor, rel=1e-9, abs=1e-12)
    assert convert(there, unit_b, unit_a, analyte=analyte) == pytest.approx(x, rel=1e-9, abs=1e-12)
    # canonical_value reads either unit and agrees with itself
    assert canonical_value(analyte, x, unit_a) == pytest.approx(
        canonical_value(analyte, there, unit_b), rel=1e-9, abs=1e-12
    )


@given(st.floats(min_value=0.0, max_value=80.0 * 17.1))
def test_bilirubin_umol_per_l_is_one_17_1th_of_mg_per_dl(umol: float) -> None:
    assert canonical_value("bilirubin", f"{umol!r} umol/L") == pytest.approx(
        umol / 17.1, rel=1e-9, abs=1e-12
    )


@pytest.mark.parametrize(
    ("analyte", "text", "field", "why"),
    [
        ("albumin", "35 g/dL", "albumin", "physiological range"),  # g/L typed as g/dL
        ("albumin", "3.0 mg/dL", "albumin", "physiological range"),  # the paper's unit slip
        ("albumin", "3.5", "albumin", "does not fit"),  # no unit
        ("wbc", "-1 x10^9/L", "wbc", "physiological range"),
        ("platelets", "-5 /uL", "platelets", "physiological range"),
        ("bilirubin", "1.8 furlong", "bilirubin", "does not fit"),  # a length
        ("bilirubin", "1.8 blargh", "bilirubin", "unknown unit"),
        ("bilirubin", "abc", "bilirubin", "expected a number"),
        ("bilirubin", "nan mg/dL", "bilirubin", "expected a number"),
        ("inr", "1.3 mg/dL", "inr", "does not fit"),
        ("bilirubin", "1.8 mg/dL mg/dL", "bilirubin", "does not fit"),
        ("pt_prolongation", "5", "pt_prolongation", "does not fit"),  # seconds needed
        ("creatinine", "5000 umol/L", "creatinine", "physiological range"),
        ("lvef", "0.5", "lvef", "physiological range"),  # a fraction, not %
        ("hemoglobinx", "12 g/dL", "hemoglobinx", "unknown analyte"),
    ],
)
def test_units_refuse_unknown_units_and_impossible_values(
    analyte: str, text: str, field: str, why: str
) -> None:
    with pytest.raises(UnitError, match=why) as info:
        canonical_value(analyte, text)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")


def test_unit_error_names_the_caller_field() -> None:
    with pytest.raises(UnitError, match=r"^baseline\.albumin:") as info:
        canonical_value("albumin", "35 g/dL", field="baseline.albumin")
    assert info.value.field == "baseline.albumin"


@pytest.mark.parametrize("bad", [True, "mg/dL 1.8", ""])
def test_parse_quantity_refuses_non_numbers(bad: Any) -> None:
    with pytest.raises(UnitError, match="bilirubin"):
        parse_quantity(bad, field="bilirubin")


def test_parse_quantity_refuses_the_unit_twice() -> None:
    with pytest.raises(UnitError, match="give the unit once"):
        parse_quantity("1.8 mg/dL", "mg/dL", field="bilirubin")


@pytest.mark.parametrize(
    ("analyte", "unit", "fits"),
    [
        ("bilirubin", "umol/L", True),
        ("bilirubin", "mg/dL", True),
        ("bilirubin", "s", False),
        ("albumin", "g/L", True),
        ("albumin", "/uL", False),
        ("platelets", "/mm3", True),
        ("afp", "IU/mL", True),
        ("inr", "mg/dL", False),
        ("nonsense", "mg/dL", False),
    ],
)
def test_unit_fits(analyte: str, unit: str, fits: bool) -> None:
    assert unit_fits(analyte, unit) is fits
