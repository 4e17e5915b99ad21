"""The patient page's dose history: cumulative dose per drug (epirubicin against its lifetime
limit in mg/m²) and relative dose intensity, cycle by cycle (issue 13, item 11).

The numbers are :func:`hcctrial.protocol.dose_history.dose_history_of_record` on the course
engine's record built from the stored rows (:func:`hcctrial.web.patient_file.course_record`), so
the page, the ``hcctrial next`` record path and the engine share one computation: each cycle's
BSA follows the regimen's weight rule over the pre-cycle examinations, the full dose is the
protocol's at level 0 for the Child-Pugh class of the labs before that cycle, and the RDI is the
delivered over the planned mg/m² per week (definitions in that module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hcctrial.errors import HcctrialError
from hcctrial.web.patient_file import CourseInput, PatientFile, course_input

__all__ = ["DoseHistoryView", "dose_history_view"]


@dataclass(frozen=True)
class DoseHistoryView:
    """The rows of every cycle and drug (``rows``), the latest row of each drug (``latest``),
    the notes, and why there is none (``problem``)."""

    rows: tuple[Any, ...] = ()
    latest: tuple[Any, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str | None = None


def dose_history_view(
    pf: PatientFile,
    regimen: Any,
    child_pugh_class: str | None,
    course: CourseInput | None = None,
) -> DoseHistoryView:
    """Return the dose history of the patient's cycles (empty without cycles or a baseline);
    ``course``: :func:`~hcctrial.web.patient_file.course_input` of the same arguments when
    already built."""
    from hcctrial.protocol.dose_history import dose_history_of_record

    if not pf.cycles or pf.baseline is None:
        return DoseHistoryView()
    if course is None:
        course = course_input(pf, regimen, child_pugh_class)
    try:
        if course.error is not None:
            raise course.error
        assert course.parsed is not None
        rows = dose_history_of_record(course.parsed, regimen)
    except HcctrialError as exc:
        return DoseHistoryView(problem=f"The dose history cannot be computed: {exc}")
    latest: dict[str, Any] = {}
    for row in rows:
        if row.drug not in latest or row.day >= latest[row.drug].day:
            latest[row.drug] = row
    notes = tuple(dict.fromkeys(n for row in rows for n in row.notes))
    return DoseHistoryView(tuple(rows), tuple(latest.values()), notes)
