"""Lab values with their units, through ``pint``.

A research nurse types a value with the unit the local laboratory reports ("1.8 mg/dL",
"30 umol/L", "4.2 x10^9/L", "4200 /uL"). This module turns such text into a number in the one
canonical unit each analyte is stored and compared in, and refuses what it cannot trust:

- an unknown unit, or a unit of the wrong dimension for the analyte, raises :class:`UnitError`;
- a physiologically impossible value (albumin 35 g/dL, a negative count) raises :class:`UnitError`;
  nothing is ever converted silently into something plausible.

Canonical units (what the protocol file, the scores and the database use):

============== ============== ==========================================================
analyte        canonical      also accepted
============== ============== ==========================================================
bilirubin      mg/dL          umol/L (clinical factor: 1 mg/dL = 17.1 umol/L exactly)
albumin        g/dL           g/L
creatinine     mg/dL          umol/L (clinical factor: 1 mg/dL = 88.4 umol/L exactly)
hemoglobin     g/dL           g/L, mmol/L (as Hb monomer, 16.114 g/mmol... see ``MOLAR``)
counts         giga_per_liter (10^9/L)       /uL, /mm3, cells/uL, 10^3/uL (wbc, anc, platelets, lymphocytes)
inr            1              (dimensionless ratio)
pt_prolongation s             seconds above control
afp            ng/mL          IU/mL (WHO 72/225 standard: 1 IU = 1.21 ng)
alt/ast/alp/ggt U/L           IU/L, ukat/L (1 ukat/L = 60 U/L)
sodium/potassium mmol/L       mEq/L (monovalent ions: 1 mEq = 1 mmol)
lvef           %              fraction (0-1) is refused: give a percentage
============== ============== ==========================================================

The seed paper prints the albumin threshold as "> 3.0 mg/dL"; 3.0 mg/dL of albumin is a thousand
times below any living patient's value, so this is a unit slip for g/dL. hcctrial implements
g/dL (see ``docs/protocol.md``).

Bilirubin and creatinine use the clinical conversion factors 17.1 and 88.4 umol/L per mg/dL, not
the chemical molar masses (584.66 and 113.12 g/mol give 17.104 and 88.402): the published cut-offs
in umol/L are these factors times the mg/dL cut-offs (Child-Pugh bilirubin 34.2/51.3 umol/L = 2/3
mg/dL; creatinine 176.8 umol/L = 2 mg/dL), so a value typed exactly on a cut-off in umol/L must land
exactly on it in mg/dL. Results are rounded to 12 significant digits to drop binary floating-point
noise (3000 /mm3 is 3.0 x10^9/L, not 3.000000000000001): a value on a strict cut-off stays on it.

pint is imported lazily (it costs ~0.3 s), so that ``import hcctrial`` and ``hcctrial --help`` stay fast.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from hcctrial.errors import UnitError

if TYPE_CHECKING:  # pragma: no cover
    import pint

__all__ = [
    "ANALYTES",
    "Analyte",
    "canonical_value",
    "convert",
    "format_quantity",
    "parse_quantity",
    "unit_fits",
    "unit_registry",
]


@dataclass(frozen=True)
class Analyte:
    """One measured quantity: its canonical unit and the range a living patient can have.

    ``low``/``high`` are inclusive plausibility limits in the canonical unit; values outside them are
    refused as impossible (a typing or unit error), not clipped.
    """

    name: str
    canonical_unit: str
    low: float
    high: float
    molar_mass_g_per_mol: float | None = None
    description: str = ""


_COUNT = "giga_per_liter"

ANALYTES: dict[str, Analyte] = {
    a.name: a
    for a in (
        # "molar masses" of bilirubin and creatinine encode the clinical factors 17.1 and 88.4
        # umol/L per mg/dL (see the module docstring), not the chemical 584.66 and 113.12 g/mol.
        Analyte("bilirubin", "mg/dL", 0.0, 80.0, 10_000 / 17.1, "total bilirubin"),
        Analyte("albumin", "g/dL", 0.5, 7.0, None, "serum albumin"),
        Analyte("creatinine", "mg/dL", 0.05, 30.0, 10_000 / 88.4, "serum creatinine"),
        Analyte("hemoglobin", "g/dL", 1.0, 25.0, 16114.5, "hemoglobin (monomer molar mass)"),
        Analyte("wbc", _COUNT, 0.0, 1000.0, None, "white blood cells"),
        Analyte("anc", _COUNT, 0.0, 500.0, None, "absolute neutrophil count"),
        Analyte("lymphocytes", _COUNT, 0.0, 1000.0, None, "absolute lymphocyte count"),
        Analyte("platelets", _COUNT, 0.0, 5000.0, None, "platelet count"),
        Analyte("inr", "dimensionless", 0.5, 20.0, None, "international normalised ratio"),
        Analyte("pt_prolongation", "second", 0.0, 120.0, None, "prothrombin time above control"),
        Analyte("afp", "ng/mL", 0.0, 1.0e7, None, "alpha-fetoprotein"),
        Analyte("alt", "U/L", 0.0, 50000.0, None, "alanine aminotransferase"),
        Analyte("ast", "U/L", 0.0, 50000.0, None, "aspartate aminotransferase"),
        Analyte("alp", "U/L", 0.0, 50000.0, None, "alkaline phosphatase"),
        Analyte("ggt", "U/L", 0.0, 50000.0, None, "gamma-glutamyl transferase"),
        Analyte("sodium", "mmol/L", 80.0, 200.0, None, "serum sodium"),
        Analyte("potassium", "mmol/L", 1.0, 12.0, None, "serum potassium"),
        Analyte("lvef", "percent", 5.0, 95.0, None, "left-ventricular ejection fraction"),
    )
}

# Unit spellings seen on lab reports that pint does not read as meant; keys are lower-case with
# spaces removed.  "G/L" is left to pint (grams per litre), as CDISC data write it.
_ALIASES: dict[str, str] = {
    "x10^9/l": _COUNT,
    "×10^9/l": _COUNT,
    "x10e9/l": _COUNT,
    "10^9/l": _COUNT,
    "10e9/l": _COUNT,
    "10*9/l": _COUNT,
    "×10⁹/l": _COUNT,
    "x10⁹/l": _COUNT,
    "10⁹/l": _COUNT,
    "x10^3/ul": "thousand_per_microliter",
    "10^3/ul": "thousand_per_microliter",
    "x10^3/µl": "thousand_per_microliter",
    "10^3/µl": "thousand_per_microliter",
    "x10^3/mm3": "thousand_per_microliter",
    "/ul": "1 / microliter",
    "/µl": "1 / microliter",
    "/μl": "1 / microliter",
    "cells/ul": "1 / microliter",
    "cells/µl": "1 / microliter",
    "/mm3": "1 / millimeter**3",
    "/mm^3": "1 / millimeter**3",
    "/mm³": "1 / millimeter**3",
    "cells/mm3": "1 / millimeter**3",
    "u/l": "U / liter",
    "iu/l": "U / liter",
    "ukat/l": "microkatal / liter",
    "µkat/l": "microkatal / liter",
    "meq/l": "mmol / liter",
    "iu/ml": "AFP_IU / milliliter",
    "ku/l": "AFP_IU / milliliter",  # AFP kU/L == IU/mL
    "%": "percent",
    "s": "second",
    "sec": "second",
    "seconds": "second",
    "1": "dimensionless",
    "ratio": "dimensionless",
    "": "dimensionless",
    "giga_per_liter": "giga_per_liter",
}

_NUMBER_THEN_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@cache
def unit_registry() -> pint.UnitRegistry:
    """Return the one pint registry of hcctrial, with the units clinical labs use.

    pint already knows the enzyme unit ``U`` (1 U = 1 umol/min); this adds ``AFP_IU``: the WHO 72/225 international
    unit of alpha-fetoprotein, 1 IU = 1.21 ng.
    """
    import pint

    ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    ureg.define("AFP_IU = 1.21 * nanogram")
    ureg.define("giga_per_liter = 1e9 / liter")
    ureg.define("thousand_per_microliter = 1e3 / microliter")
    return ureg


def _unit_text(unit: str) -> str:
    key = unit.strip().replace(" ", "").lower()
    return _ALIASES.get(key, unit.strip().replace("μ", "µ"))


def _split_quantity(text: str | float | int, unit: str | None, *, field: str) -> tuple[float, str]:
    """Return (magnitude, unit text as given) from ``"value unit"`` text or a number and a unit."""
    if isinstance(text, bool):
        raise UnitError(f"{field}: got {text!r}; expected a number with a unit", field=field)
    if isinstance(text, (int, float)):
        magnitude = float(text)
        unit_str = unit if unit is not None else ""
    else:
        m = _NUMBER_THEN_UNIT.match(str(text))
        if not m:
            raise UnitError(
                f"{field}: got {text!r}; expected a number followed by a unit, e.g. '1.8 mg/dL'",
                field=field,
            )
        magnitude = float(m.group(1))
        unit_str = m.group(2)
        if unit is not None:
            if unit_str:
                raise UnitError(
                    f"{field}: got {text!r} with unit {unit!r} as well; give the unit once",
                    field=field,
                )
            unit_str = unit
    if not math.isfinite(magnitude):
        raise UnitError(f"{field}: got {text!r}; expected a finite number", field=field)
    return magnitude, unit_str


def _unknown_unit(field: str, unit_str: str, text: object) -> UnitError:
    return UnitError(
        f"{field}: unknown unit {unit_str!r} in {text!r}; expected one of the units listed "
        "in hcctrial.clinical.units (e.g. mg/dL, umol/L, g/L, x10^9/L, /uL, U/L, ng/mL)",
        field=field,
    )


@cache
def _parsed_units(unit_text: str) -> Any:
    """Return pint's units for ``unit_text`` (already alias-resolved), cached; None if unknown."""
    ureg = unit_registry()
    try:
        return ureg.parse_units(unit_text)
    except Exception:
        return None


def parse_quantity(
    text: str | float | int, unit: str | None = None, *, field: str
) -> pint.Quantity:
    """Return a pint quantity from ``"value unit"`` text, or from a number and a separate unit.

    Raises :class:`UnitError` naming ``field`` when the text has no number or the unit is unknown.

    >>> parse_quantity("1.8 mg/dL", field="bilirubin").magnitude
    1.8
    """
    magnitude, unit_str = _split_quantity(text, unit, field=field)
    units = _parsed_units(_unit_text(unit_str))
    if units is None:
        raise _unknown_unit(field, unit_str, text)
    return unit_registry().Quantity(magnitude, units)


def _without_float_noise(x: float) -> float:
    """Return ``x`` rounded to 12 significant digits (drops binary floating-point noise)."""
    return float(f"{x:.12g}")


#: A cached conversion: (molar mass in g/mol or None, factor). A magnitude ``m`` in the unit becomes
#: ``m * factor`` (or ``(m * molar_mass) * factor`` through the molar mass) in the canonical unit:
#: the very multiplications pint performs (``Quantity.to`` multiplies the magnitude by one factor of
#: the two unit containers; ``q * Quantity(M, "g/mol")`` multiplies the magnitudes), so the result is
#: bit-for-bit pint's, without pint's unit algebra on every value (~0.5 ms each).
_Plan = tuple[float | None, float]
_UNKNOWN = "unknown unit"
_MISFIT = "wrong dimension"


@cache
def _canonical_plan(analyte: str, unit_str: str, bare_is_percent: bool) -> _Plan | str:
    """Return how a value in ``unit_str`` becomes ``analyte``'s canonical unit (cached per unit).

    ``bare_is_percent``: a dimensionless unit means percent (LVEF typed as a bare number).
    Returns :data:`_UNKNOWN` or :data:`_MISFIT` instead of raising, so the caller can name the
    field and the value given.
    """
    a = ANALYTES[analyte]
    units = _parsed_units(_unit_text(unit_str))
    if units is None:
        return _UNKNOWN
    ureg = unit_registry()
    one = ureg.Quantity(1.0, units)
    if bare_is_percent and one.dimensionless and str(one.units) == "dimensionless":
        # a bare number is a percentage; pint would read "0.6" as 60 % (a fraction), silently
        one = ureg.Quantity(1.0, "percent")
    try:
        return None, float(one.to(a.canonical_unit).magnitude)
    except Exception:
        pass
    if a.molar_mass_g_per_mol is not None:
        try:
            mass_units = (one * ureg.Quantity(1.0, "g/mol")).units
            factor = float(ureg.Quantity(1.0, mass_units).to(a.canonical_unit).magnitude)
        except Exception:
            pass
        else:
            return a.molar_mass_g_per_mol, factor
    return _MISFIT


def _to_canonical(
    analyte: Analyte,
    magnitude: float,
    unit_str: str,
    *,
    field: str,
    text: object,
    given: object,
    bare_is_percent: bool = False,
) -> float:
    """Return ``magnitude`` (in ``unit_str``) in the analyte's canonical unit, unrounded."""
    plan = _canonical_plan(analyte.name, unit_str, bare_is_percent)
    if plan == _UNKNOWN:
        raise _unknown_unit(field, unit_str, text)
    if plan == _MISFIT or isinstance(plan, str):
        raise UnitError(
            f"{field}: unit of {given!r} does not fit {analyte.description or analyte.name}; "
            f"expected a unit convertible to {analyte.canonical_unit}",
            field=field,
        )
    molar_mass, factor = plan
    if molar_mass is None:
        return magnitude * factor
    return (magnitude * molar_mass) * factor


def canonical_value(
    analyte: str, value: str | float | int, unit: str | None = None, *, field: str | None = None
) -> float:
    """Return ``value`` of ``analyte`` in its canonical unit (see the table above), checked.

    ``value`` is either text with its unit (``"30 umol/L"``) or a number with ``unit`` given
    separately. Raises :class:`UnitError` (naming ``field``, default the analyte name) for an unknown
    unit, a unit of the wrong dimension, or a value outside the physiological range.

    >>> round(canonical_value("bilirubin", "17.1 umol/L"), 3)
    1.0
    >>> canonical_value("albumin", "35 g/L")
    3.5
    """
    name = field or analyte
    try:
        a = ANALYTES[analyte]
    except KeyError as exc:
        raise UnitError(
            f"{name}: unknown analyte {analyte!r}; expected one of {sorted(ANALYTES)}", field=name
        ) from exc
    if analyte == "lvef" and unit is None and isinstance(value, (int, float)):
        unit = "%"
    if a.canonical_unit == "dimensionless" and unit is None and isinstance(value, (int, float)):
        unit = "1"
    magnitude, unit_str = _split_quantity(value, unit, field=name)
    shown = value if unit is None else f"{value} {unit}"
    raw = _to_canonical(
        a,
        magnitude,
        unit_str,
        field=name,
        text=value,
        given=shown,
        bare_is_percent=analyte == "lvef",
    )
    result = _without_float_noise(raw)
    if not (a.low <= result <= a.high):
        raise UnitError(
            f"{name}: {shown!r} is {result:.4g} {a.canonical_unit}, outside the physiological range "
            f"[{a.low:g}, {a.high:g}] {a.canonical_unit}; check the value and its unit",
            field=name,
        )
    return result


def convert(value: float, from_unit: str, to_unit: str, *, analyte: str) -> float:
    """Return ``value`` converted from ``from_unit`` to ``to_unit`` for ``analyte`` (no range check).

    Molar <-> mass conversions use the analyte's molar mass.

    >>> round(convert(1.0, "mg/dL", "umol/L", analyte="creatinine"), 2)
    88.4
    """
    a = ANALYTES[analyte]
    magnitude, unit_str = _split_quantity(value, from_unit, field=analyte)
    canon = _to_canonical(a, magnitude, unit_str, field=analyte, text=value, given=value)
    one_mag, one_unit = _split_quantity(1.0, to_unit, field=analyte)
    one = _to_canonical(a, one_mag, one_unit, field=analyte, text=1.0, given=to_unit)
    return _without_float_noise(canon / one)


def unit_fits(analyte: str, unit: str) -> bool:
    """Return whether ``unit`` can express ``analyte`` (True for mg/dL and umol/L of bilirubin)."""
    try:
        convert(1.0, unit, ANALYTES[analyte].canonical_unit, analyte=analyte)
    except (UnitError, KeyError):
        return False
    return True


def format_quantity(value: float, unit: str, digits: int = 3) -> str:
    """Return ``value`` with its unit as text, to ``digits`` significant figures: ``'1.8 mg/dL'``."""
    return f"{value:.{digits}g} {unit}"
