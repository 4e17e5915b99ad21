"""The live preview of a pre-cycle examination form: what the course engine will make of it.

Nothing is decided here: the form's examination is added to the patient's stored records and the
engine's own functions answer -- :func:`hcctrial.web.patient_file.decision_for` for the ECOG hold
(its reason ``ecog_above_entry_limit``, ECOG above the entry limit holds the cycle) and
:func:`hcctrial.web.patient_file.cycle_bsa` for the BSA (the regimen's weight rule: kept, or
recomputed when the weight moved by more than ``dosing.bsa_recompute_weight_change_pct``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from hcctrial.errors import HcctrialError
from hcctrial.web.patient_file import PatientFile, cycle_bsa, decision_for, load_patient_file

__all__ = ["ExamPreview", "exam_form_preview", "exam_preview"]


@dataclass(frozen=True)
class ExamPreview:
    """The engine's findings on the examination: ECOG holds (empty: none) and the BSA basis."""

    ecog_holds: tuple[str, ...]
    bsa_basis: str | None


def exam_preview(
    pf: PatientFile, regimen: Any, child_pugh_class: str | None, values: dict[str, Any]
) -> ExamPreview | None:
    """Return the preview of the examination ``values`` (checked column values), or None when
    its date is not known yet or the engine cannot decide."""
    from hcctrial.store import models as m

    day = values.get("exam_date")
    if not isinstance(day, date) or (
        values.get("ecog") is None and values.get("weight_kg") is None
    ):
        return None
    exam = m.CycleExam(exam_date=day, ecog=values.get("ecog"), weight_kg=values.get("weight_kg"))
    after = replace(pf, exams=sorted([*pf.exams, exam], key=lambda x: x.exam_date))
    try:
        outcome = decision_for(after, regimen, child_pugh_class, day)
        basis = None
        if exam.weight_kg is not None and pf.baseline is not None:
            basis = cycle_bsa(after, regimen, child_pugh_class, day)[1]
    except HcctrialError:
        return None
    reasons = outcome.decision.reasons if outcome.decision is not None else ()
    holds = tuple(r.finding for r in reasons if r.rule == "ecog_above_entry_limit")
    return ExamPreview(holds, basis)


def exam_form_preview(session: Any, patient: Any, state: Any, form: dict[str, str]) -> Any:
    """:func:`exam_preview` of the examination form's fields (text, as typed) for ``patient``'s
    stored records under the web state's regimen, with the Child-Pugh class of the baseline
    labs."""
    from hcctrial.services.previews import checked_values
    from hcctrial.store import models as m
    from hcctrial.web.clinical import baseline_scores
    from hcctrial.web.records import RECORD_TYPES, record_values

    pf = load_patient_file(session, patient)
    scores = baseline_scores(pf.baseline, pf.labs)
    cp = scores.child_pugh.child_class.value if scores.child_pugh is not None else None
    typed = record_values(RECORD_TYPES["exams"], form)
    values, _ = checked_values(m.CycleExam, typed, partial=True)
    return exam_preview(pf, state.regimen, cp, values)
