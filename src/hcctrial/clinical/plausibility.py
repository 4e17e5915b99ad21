"""Plausibility per analyte and unit: the one table of what a living patient's value can be.

Every door that takes a lab value (screening, CTCAE grading, the course engine's record, the
services and the importers) converts it with :func:`hcctrial.clinical.units.canonical_value`,
which checks it against this table. A value outside the range for its unit is refused, naming the
unit it would fit: ``"anc: '450 x10^9/L' is 450 x10^9/L, outside the physiological range [0, 100]
x10^9/L of absolute neutrophil count; did you mean 450 /uL (0.45 x10^9/L)?"`` — the classic slip
of a count per microlitre typed under x10^9/L, which would otherwise grade as normal and give a
full-dose cycle to a patient with grade 4 neutropenia.

The limits are wide on purpose (a refusal blocks data entry), but narrow enough that a value
typed under the wrong one of the units a laboratory reports for the analyte lands outside them:

- **counts** x10^9/L: neutrophils <= 100 (leukemoid reactions stay below ~50-100), white cells
  <= 200 and lymphocytes <= 100 (hyperleukocytosis of leukaemia; patients with another malignancy
  are excluded), platelets <= 2000 (essential thrombocythaemia rarely exceeds ~2000). A count per
  microlitre is 1000 times larger and falls outside except for the very lowest counts.
- **enzymes** U/L: ALT, AST <= 20 000 (ischaemic hepatitis peaks near 10 000), ALP, GGT <= 10 000;
  a value in µkat/L typed as U/L is 60 times smaller, and U/L typed as µkat/L 60 times larger.
- **chemistry**: bilirubin <= 80 mg/dL (1368 µmol/L), albumin 0.5-7 g/dL, creatinine 0.05-30
  mg/dL, hemoglobin 1-25 g/dL, sodium 100-180 and potassium 1-10 mmol/L, phosphate (as
  phosphorus) 0.1-20 mg/dL, corrected calcium 2-20 mg/dL, ionized calcium 0.2-3 mmol/L, magnesium
  0.2-10 mg/dL, glucose 10-2000 mg/dL, lipase and amylase <= 50 000 U/L, AFP <= 10^7 ng/mL,
  INR 0.5-20, prothrombin-time prolongation 0-120 s, LVEF 5-95 %.

These are hcctrial's limits (no published table of "possible" lab values exists; laboratory
information systems use similar absurd-value checks); they are documented in docs/protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PLAUSIBLE", "PlausibleRange"]


@dataclass(frozen=True)
class PlausibleRange:
    """The range a living patient's value can have, in the analyte's canonical unit (inclusive),
    and the units laboratories report it in (tried, in this order, to suggest the unit a refused
    value would fit)."""

    low: float
    high: float
    report_units: tuple[str, ...]


_COUNT_UNITS = ("x10^9/L", "/uL")
_ENZYME_UNITS = ("U/L", "ukat/L")

#: analyte -> plausible range in its canonical unit (see :data:`hcctrial.clinical.units.ANALYTES`)
PLAUSIBLE: dict[str, PlausibleRange] = {
    "bilirubin": PlausibleRange(0.0, 80.0, ("mg/dL", "umol/L")),
    "albumin": PlausibleRange(0.5, 7.0, ("g/dL", "g/L")),
    "creatinine": PlausibleRange(0.05, 30.0, ("mg/dL", "umol/L")),
    "hemoglobin": PlausibleRange(1.0, 25.0, ("g/dL", "g/L", "mmol/L")),
    "wbc": PlausibleRange(0.0, 200.0, _COUNT_UNITS),
    "anc": PlausibleRange(0.0, 100.0, _COUNT_UNITS),
    "lymphocytes": PlausibleRange(0.0, 100.0, _COUNT_UNITS),
    "platelets": PlausibleRange(0.0, 2000.0, _COUNT_UNITS),
    "inr": PlausibleRange(0.5, 20.0, ("",)),
    "pt_prolongation": PlausibleRange(0.0, 120.0, ("s",)),
    "afp": PlausibleRange(0.0, 1.0e7, ("ng/mL", "IU/mL")),
    "alt": PlausibleRange(0.0, 20000.0, _ENZYME_UNITS),
    "ast": PlausibleRange(0.0, 20000.0, _ENZYME_UNITS),
    "alp": PlausibleRange(0.0, 10000.0, _ENZYME_UNITS),
    "ggt": PlausibleRange(0.0, 10000.0, _ENZYME_UNITS),
    "lipase": PlausibleRange(0.0, 50000.0, _ENZYME_UNITS),
    "amylase": PlausibleRange(0.0, 50000.0, _ENZYME_UNITS),
    "sodium": PlausibleRange(100.0, 180.0, ("mmol/L",)),
    "potassium": PlausibleRange(1.0, 10.0, ("mmol/L",)),
    "phosphate": PlausibleRange(0.1, 20.0, ("mg/dL", "mmol/L")),
    "calcium": PlausibleRange(2.0, 20.0, ("mg/dL", "mmol/L")),
    "ionized_calcium": PlausibleRange(0.2, 3.0, ("mmol/L", "mg/dL")),
    "magnesium": PlausibleRange(0.2, 10.0, ("mg/dL", "mmol/L")),
    "glucose": PlausibleRange(10.0, 2000.0, ("mg/dL", "mmol/L")),
    "lvef": PlausibleRange(5.0, 95.0, ("%",)),
}
