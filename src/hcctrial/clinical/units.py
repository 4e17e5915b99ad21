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

from hcctrial.clinical.plausibility import PLAUSIBLE
from hcctrial.errors import UnitError

if TYPE_CHECKING:  # pragma: no cover
    import pint

__all__ = [
    "ANALYTES",
    "Analyte",
    "canonical_value",
    "convert",
    "format_quantity",
    "implausible_value_error",
    "parse_quantity",
    "unit_fits",
    "unit_registry",
    "units_that_fit",
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
    #: charge of the ion: 2 for calcium and magnesium, where 1 mmol = 2 mEq
    valence: int = 1


_COUNT = "giga_per_liter"


def _analyte(
    name: str, unit: str, molar_mass: float | None = None, description: str = "", valence: int = 1
) -> Analyte:
    r = PLAUSIBLE[name]
    return Analyte(name, unit, r.low, r.high, molar_mass, description, valence)


ANALYTES: dict[str, Analyte] = {
    a.name: a
    for a in (
        # "molar masses" of bilirubin and creatinine encode the clinical factors 17.1 and 88.4
        # umol/L per mg/dL (see the module docstring), not the chemical 584.66 and 113.12 g/mol.
        _analyte("bilirubin", "mg/dL", 10_000 / 17.1, "total bilirubin"),
        _analyte("albumin", "g/dL", None, "serum albumin"),
        _analyte("creatinine", "mg/dL", 10_000 / 88.4, "serum creatinine"),
        _analyte("hemoglobin", "g/dL", 16114.5, "hemoglobin"),  # molar mass of the monomer
        _analyte("wbc", _COUNT, None, "white blood cells"),
        _analyte("anc", _COUNT, None, "absolute neutrophil count"),
        _analyte("lymphocytes", _COUNT, None, "absolute lymphocyte count"),
        _analyte("platelets", _COUNT, None, "platelet count"),
        _analyte("inr", "dimensionless", None, "international normalised ratio"),
        _analyte("pt_prolongation", "second", None, "prothrombin time above control"),
        _analyte("afp", "ng/mL", None, "alpha-fetoprotein"),
        _analyte("alt", "U/L", None, "alanine aminotransferase"),
        _analyte("ast", "U/L", None, "aspartate aminotransferase"),
        _analyte("alp", "U/L", None, "alkaline phosphatase"),
        _analyte("ggt", "U/L", None, "gamma-glutamyl transferase"),
        _analyte("lipase", "U/L", None, "serum lipase"),
        _analyte("amylase", "U/L", None, "serum amylase"),
        _analyte("sodium", "mmol/L", None, "serum sodium"),
        _analyte("potassium", "mmol/L", None, "serum potassium"),
        # phosphate as phosphorus (30.974 g/mol): CTCAE's 2.5 mg/dL = 0.8 mmol/L
        _analyte("phosphate", "mg/dL", 30.974, "serum phosphate (as phosphorus)"),
        # calcium 40.078 g/mol, magnesium 24.305 g/mol: divalent, 1 mmol = 2 mEq
        _analyte("calcium", "mg/dL", 40.078, "serum calcium corrected for albumin", 2),
        _analyte("ionized_calcium", "mmol/L", 40.078, "ionized calcium", 2),
        _analyte("magnesium", "mg/dL", 24.305, "serum magnesium", 2),
        _analyte("glucose", "mg/dL", 180.156, "plasma glucose"),
        _analyte("lvef", "percent", None, "left-ventricular ejection fraction"),
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
    if a.valence != 1 and unit_str.strip().replace(" ", "").lower() == "meq/l":
        # milliequivalents of a divalent ion: 1 mmol = 2 mEq (the alias table reads mEq as mmol)
        plan = _canonical_plan(analyte, "mmol/L", bare_is_percent)
        if isinstance(plan, str):  # pragma: no cover - mmol/L fits every analyte with a valence
            return plan
        return plan[0], plan[1] / a.valence
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
        raise implausible_value_error(a, magnitude, unit_str, result, field=name, shown=shown)
    return result


def _shown_unit(unit: str) -> str:
    return {"giga_per_liter": "x10^9/L", "dimensionless": "", "percent": "%"}.get(unit, unit)


def units_that_fit(analyte: str, magnitude: float, given_unit: str) -> list[tuple[str, float]]:
    """Return the units ``analyte`` is reported in under which ``magnitude`` would be plausible:
    ``[(unit, value in the canonical unit)]`` (``given_unit`` itself left out)."""
    a = ANALYTES[analyte]
    given = _canonical_plan(analyte, given_unit, analyte == "lvef")
    out = []
    for unit in PLAUSIBLE[analyte].report_units:
        plan = _canonical_plan(analyte, unit, analyte == "lvef")
        if isinstance(plan, str) or plan == given:
            continue
        molar, factor = plan
        value = _without_float_noise(magnitude * factor * (molar or 1.0))
        if a.low <= value <= a.high:
            out.append((unit, value))
    return out


def implausible_value_error(
    a: Analyte, magnitude: float, unit_str: str, canonical: float, *, field: str, shown: object
) -> UnitError:
    """The error for a value outside the plausibility table, naming the unit it would fit."""
    canon = _shown_unit(a.canonical_unit)
    text = (
        f"{field}: {shown!r} is not possible for {a.description or a.name} "
        f"({canonical:.4g} {canon} is outside the physiological range [{a.low:g}, {a.high:g}] "
        f"{canon})"
    ).replace(" )", ")")
    fits = units_that_fit(a.name, magnitude, unit_str) if magnitude >= 0 else []
    if fits:
        text += (
            "; did you mean "
            + " or ".join(
                f"{magnitude:g} {u} ({v:.4g} {canon})".replace(" )", ")") for u, v in fits
            )
            + "?"
        )
    else:
        text += "; check the value and its unit"
    return UnitError(text, field=field)


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
