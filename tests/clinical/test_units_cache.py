"""The cached conversions of ``hcctrial.clinical.units`` give pint's own result, bit for bit.

``canonical_value`` and ``convert`` keep one factor per (analyte, unit) instead of running pint's
unit algebra on every value. The reference here is pint itself, called directly on each value the
way the first (uncached) version did: ``Quantity(v, unit).to(canonical)``, or, for a molar unit,
``(Quantity(v, unit) * Quantity(M, "g/mol")).to(canonical)``, then rounded to 12 significant digits.
Compared with ``==``: the cache must not move any value by even one ulp (a value typed on a
cut-off must stay on it).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hcctrial.clinical.units import ANALYTES, canonical_value, convert, unit_registry

# (analyte, unit as typed, pint unit it means, through the molar mass?)
UNITS: list[tuple[str, str, str, bool]] = [
    ("bilirubin", "mg/dL", "mg/dL", False),
    ("bilirubin", "umol/L", "umol/L", True),
    ("bilirubin", "µmol/L", "umol/L", True),
    ("albumin", "g/L", "g/L", False),
    ("albumin", "g/dL", "g/dL", False),
    ("creatinine", "umol/L", "umol/L", True),
    ("creatinine", "mg/L", "mg/L", False),
    ("hemoglobin", "mmol/L", "mmol/L", True),
    ("hemoglobin", "g/L", "g/L", False),
    ("platelets", "/uL", "1 / microliter", False),
    ("platelets", "x10^9/L", "giga_per_liter", False),
    ("wbc", "/mm3", "1 / millimeter**3", False),
    ("anc", "10^3/uL", "thousand_per_microliter", False),
    ("afp", "IU/mL", "AFP_IU / milliliter", False),
    ("afp", "ug/L", "ug/L", False),
    ("alt", "ukat/L", "microkatal / liter", False),
    ("sodium", "mEq/L", "mmol / liter", False),
]


def _pint_reference(analyte: str, value: float, pint_unit: str, molar: bool) -> float:
    ureg = unit_registry()
    a = ANALYTES[analyte]
    q = ureg.Quantity(value, pint_unit)
    if molar:
        assert a.molar_mass_g_per_mol is not None
        q = q * ureg.Quantity(a.molar_mass_g_per_mol, "g/mol")
    return float(f"{float(q.to(a.canonical_unit).magnitude):.12g}")


@pytest.mark.parametrize(("analyte", "unit", "pint_unit", "molar"), UNITS)
@given(value=st.floats(min_value=0.0, max_value=5000.0, allow_nan=False))
def test_cached_canonical_value_equals_pint_on_every_value(
    analyte: str, unit: str, pint_unit: str, molar: bool, value: float
) -> None:
    expected = _pint_reference(analyte, value, pint_unit, molar)
    a = ANALYTES[analyte]
    if not a.low <= expected <= a.high:
        return  # refused as impossible: covered by test_units.py
    assert canonical_value(analyte, value, unit) == expected
    assert canonical_value(analyte, f"{value!r} {unit}") == expected


@pytest.mark.parametrize(("analyte", "unit", "pint_unit", "molar"), UNITS)
@given(value=st.floats(min_value=0.0, max_value=5000.0, allow_nan=False))
def test_cached_convert_to_the_canonical_unit_equals_pint(
    analyte: str, unit: str, pint_unit: str, molar: bool, value: float
) -> None:
    expected = _pint_reference(analyte, value, pint_unit, molar)
    assert convert(value, unit, ANALYTES[analyte].canonical_unit, analyte=analyte) == expected


@pytest.mark.parametrize("value", [0.6, 45.0, 61.5])
def test_lvef_bare_number_is_a_percentage_after_caching(value: float) -> None:
    # the cache is keyed per analyte: a bare "0.6" for LVEF is 0.6 %, not 60 % (pint's reading
    # of a dimensionless fraction); as a fraction 0.6 would be refused, as 0.6 % it is too low.
    from hcctrial.errors import UnitError

    if value < 5.0:
        with pytest.raises(UnitError, match="lvef"):
            canonical_value("lvef", value)
    else:
        assert canonical_value("lvef", value) == value
        assert canonical_value("lvef", f"{value} %") == value


@pytest.mark.parametrize(("analyte", "unit", "pint_unit", "molar"), UNITS)
@given(value=st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
def test_cached_raw_conversion_equals_pint_before_rounding(
    analyte: str, unit: str, pint_unit: str, molar: bool, value: float
) -> None:
    # before the 12-digit rounding, so that even a one-ulp difference would show
    from hcctrial.clinical import units

    ureg = unit_registry()
    a = ANALYTES[analyte]
    q = ureg.Quantity(value, pint_unit)
    if molar:
        assert a.molar_mass_g_per_mol is not None
        q = q * ureg.Quantity(a.molar_mass_g_per_mol, "g/mol")
    expected = float(q.to(a.canonical_unit).magnitude)
    got = units._to_canonical(a, value, unit, field=analyte, text=value, given=value)
    assert got == expected
