"""RECIST 1.1 beside mRECIST, from the same scans (Eisenhauer EA et al., Eur J Cancer 2009;45:228).

When every baseline target carries its whole-lesion diameter (``total_diameter_mm``: necrosis and
lipiodol included, the RECIST 1.1 measurement; lymph nodes by short axis as in mRECIST),
:func:`hcctrial.assess.mrecist.patient_response` also reports the RECIST 1.1 response of each time
point. The differences from mRECIST (STANDARDS.md §2):

- targets are measured whole, not by their viable (enhancing) part;
- PD needs a rise of >= 20 % over the nadir **and** of >= 5 mm in absolute terms;
- CR: every non-nodal target gone and every target node below 10 mm short axis;
- a new lesion counts when unequivocal, whatever its size or vascular pattern (a new lymph node
  from 10 mm short axis; an effusion only with positive cytology) -- mRECIST's HCC-specific rules
  (>= 10 mm with the typical pattern, porta hepatis node >= 20 mm) do not apply.

Non-target lesions and the overall table are the same as mRECIST's (RECIST 1.1 Tables 4 and 5).
Percentages use exact rationals, as in :mod:`hcctrial.assess.mrecist`.
"""

from __future__ import annotations

from fractions import Fraction

from hcctrial.assess.mrecist_input import NewLesion, PatientAssessments, TargetLesion
from hcctrial.assess.response_types import Response

__all__ = ["ABSOLUTE_PD_MM", "recist11_available", "recist11_new_lesion", "recist11_target"]

#: RECIST 1.1: PD also needs the sum to rise by at least this much (mm) over the nadir.
ABSOLUTE_PD_MM = Fraction(5)
_PD_RISE = Fraction(1, 5)
_PR_FALL = Fraction(3, 10)
_NORMAL_NODE_MM = 10


def _exact(value: float) -> Fraction:
    return Fraction(repr(float(value)))


def measurement(lesion: TargetLesion, *, node: bool) -> float | None:
    """The RECIST 1.1 measurement of a target: short axis of a node, else whole diameter."""
    return lesion.short_axis_mm if node else lesion.total_diameter_mm


def recist11_available(patient: PatientAssessments) -> bool:
    """Whether RECIST 1.1 can be computed: targets at baseline, each with its RECIST measurement."""
    targets = patient.assessments[0].target
    return bool(targets) and all(measurement(t, node=bool(t.node)) is not None for t in targets)


def recist11_target(
    baseline: list[TargetLesion],
    measured: dict[str, float | None],
    baseline_sum: Fraction,
    nadir: Fraction,
) -> tuple[Response, Fraction | None]:
    """RECIST 1.1 target response and the sum (None when a target was not measured)."""
    if any(measured.get(t.id) is None for t in baseline):
        return Response.NE, None
    known = {k: _exact(v) for k, v in measured.items() if v is not None}
    total = sum((known[t.id] for t in baseline), Fraction(0))
    if all(known[t.id] < _NORMAL_NODE_MM if t.node else known[t.id] == 0 for t in baseline):
        return Response.CR, total
    if nadir == 0:
        return Response.PD, total
    if total - nadir >= nadir * _PD_RISE and total - nadir >= ABSOLUTE_PD_MM:
        return Response.PD, total
    if baseline_sum > 0 and (baseline_sum - total) >= baseline_sum * _PR_FALL:
        return Response.PR, total
    return Response.SD, total


def recist11_new_lesion(lesion: NewLesion) -> bool:
    """Whether a new lesion is unequivocal progression by RECIST 1.1."""
    if lesion.equivocal:
        return False
    if lesion.effusion is not None:
        return lesion.cytology == "positive"
    if lesion.node:
        return (lesion.short_axis_mm or 0.0) >= _NORMAL_NODE_MM
    return True
