"""The pre-cycle examination: record a patient's ECOG performance status and weight before a
cycle (issue 13).

The course engine reads these rows (as the record format's ``exams``): an ECOG performance status
above the entry limit (ECOG >= 3) holds the next cycle, and a weight that moved by more than the
regimen's percentage (``dosing.bsa_recompute_weight_change_pct``, 10 %) recomputes the BSA the
dose sheet uses. The examination needs an enrolled patient (STATE-ACCEPTS), records ECOG 0-4
and/or a weight of 20-300 kg (FIELD-VALUE, EXAM-VALUES), one per date (RECORD-UNIQUE), and the
date rules apply (``docs/rules.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m

__all__ = ["record_exam"]


def record_exam(uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str) -> int:
    """Record a pre-cycle examination of patient ``patient_id`` (``exam_date``; ``ecog`` 0-4
    and/or ``weight_kg`` in kg); return its id."""
    values = {**values, "patient_id": patient_id}
    return uow.add(Action.EXAM, m.CycleExam, values, reason=reason)
