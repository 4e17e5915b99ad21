"""Treatment: start a cycle with its dose lines, add a dose line, end the treatment.

A cycle needs an enrolled patient (STATE-ACCEPTS) whose treatment has not ended
(STATE-TRANSITION); cycles are numbered 1, 2, 3, ... (CYCLE-CONSECUTIVE; the next number when none
is given) and dated after the cycle before (CYCLE-ORDER) and not after the first follow-up contact
(CYCLE-AFTER-FOLLOW-UP). A dose line is for one of the regimen's drugs (DOSE-DRUG), its planned dose
at most the regimen's full dose for a large body and the given dose at most 1.25 times the planned
(DOSE-PLAUSIBLE). The first cycle moves the patient to on treatment; "end treatment" to off
treatment (:mod:`hcctrial.services.states`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import Insert, Touch, UnitOfWork
from hcctrial.store import models as m

__all__ = ["end_treatment", "next_cycle_number", "record_dose_line", "start_cycle"]


def next_cycle_number(uow: UnitOfWork, patient_id: int) -> int:
    """The number the patient's next cycle takes (1 + the highest recorded, 1 for the first)."""
    from sqlalchemy import func, select

    t = m.table_of(m.TreatmentCycle)
    last = uow.session.scalar(
        select(func.max(t.c.cycle_number)).where(t.c.patient_id == patient_id)
    )
    return 1 if last is None else int(last) + 1


def start_cycle(
    uow: UnitOfWork,
    patient_id: int,
    *,
    cycle_date: date | str,
    doses: Sequence[Mapping[str, Any]] = (),
    sorafenib_daily_mg: float | None = None,
    sorafenib_level: int | None = None,
    change_reason: str | None = None,
    cycle_number: int | str | None = None,
    reason: str,
) -> int:
    """Start the patient's next cycle on ``cycle_date`` with its dose lines (``drug``,
    ``planned_mg``, ``given_mg``); return the cycle's id. ``cycle_number``: checked when given,
    else the next one."""
    cid = uow.new_id()
    number = next_cycle_number(uow, patient_id) if cycle_number in (None, "") else cycle_number
    cycle = {
        "id": cid,
        "patient_id": patient_id,
        "cycle_number": number,
        "cycle_date": cycle_date,
        "sorafenib_daily_mg": sorafenib_daily_mg,
        "sorafenib_level": sorafenib_level,
        "change_reason": change_reason,
    }
    writes = [Insert(m.TreatmentCycle, [cycle])]
    if doses:
        writes.append(Insert(m.CycleDose, [{**d, "cycle_id": cid} for d in doses]))
    return uow.run(Action.START_CYCLE, writes, reason=reason).id_of(cid)


def record_dose_line(
    uow: UnitOfWork, cycle_id: int, values: Mapping[str, Any], *, reason: str
) -> int:
    """Add a dose line (``drug``, ``planned_mg``, ``given_mg``) to saved cycle ``cycle_id``."""
    return uow.add(Action.DOSE_LINE, m.CycleDose, {**values, "cycle_id": cycle_id}, reason=reason)


def end_treatment(uow: UnitOfWork, patient_id: int, *, reason: str) -> None:
    """Mark the end of the patient's protocol treatment (on treatment -> off treatment)."""
    uow.run(Action.END_TREATMENT, [Touch(patient_id)], reason=reason)
