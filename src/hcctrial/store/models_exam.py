"""The pre-cycle examination: ECOG performance status and weight recorded before a cycle.

A record of its own (table ``cycle_exams``), not columns of ``treatment_cycles``, because the
examination comes *before* the cycle it decides: the course engine holds a cycle when the ECOG
performance status is above the entry limit (ECOG >= 3) and recomputes the BSA when the weight
changed by more than the regimen's percentage, so both must be recordable while the cycle does not
exist yet -- and when the answer is "hold", the cycle may never exist. A patient on hold is
examined again before the next try; each examination is a dated row. The engine reads these rows
as the record format's ``exams`` (:mod:`hcctrial.protocol.record`,
:func:`hcctrial.protocol.pre_cycle.latest_ecog`, :func:`~hcctrial.protocol.pre_cycle.bsa_for_cycle`).

ECOG is 0-4 (grade 5 is death, recorded as a follow-up with vital status dead); weight in kg
within the baseline's bounds. At least one of the two is given (rule EXAM-VALUES) and one
examination per patient and date (RECORD-UNIQUE), both in :mod:`hcctrial.services.checks_exams`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from hcctrial.store.models import Record, _fk

__all__ = ["CycleExam"]


class CycleExam(Record):
    """A pre-cycle examination of one patient: ECOG performance status and/or weight."""

    __tablename__ = "cycle_exams"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    exam_date: Mapped[date] = mapped_column(Date, doc="date of the examination")
    ecog: Mapped[int | None] = mapped_column(
        Integer, info={"min": 0, "max": 4}, doc="ECOG performance status 0-4 (empty: not assessed)"
    )
    weight_kg: Mapped[float | None] = mapped_column(
        Float, info={"min": 20, "max": 300}, doc="weight, kg (empty: not weighed)"
    )
