"""Follow-up: contacts, death, withdrawal and protocol deviations.

A contact with vital status alive moves an enrolled patient into follow-up; a death (a contact
with vital status dead) makes the patient deceased, once (DEATH-UNIQUE), and nothing clinical may
be dated after it (AFTER-DEATH, FOLLOW-UP-AFTER-DEATH); a withdrawal makes the patient withdrawn
(lost to follow-up when that is its kind), after which only vital-status follow-up is dated
(AFTER-WITHDRAWAL). The states are :mod:`hcctrial.services.states`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m

__all__ = ["record_death", "record_deviation", "record_follow_up", "withdraw"]


def record_follow_up(
    uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str
) -> int:
    """Record a follow-up contact (``contact_date``, ``vital_status``, ``cause_of_death``);
    a contact with vital status dead is the death (:func:`record_death`). Return its id."""
    values = {**values, "patient_id": patient_id}
    dead = str(getattr(values.get("vital_status"), "value", values.get("vital_status"))) == "dead"
    action = Action.DEATH if dead else Action.FOLLOW_UP
    return uow.add(action, m.Followup, values, reason=reason)


def record_death(
    uow: UnitOfWork,
    patient_id: int,
    *,
    death_date: date | str,
    cause: str | None,
    reason: str,
) -> int:
    """Record the patient's death on ``death_date`` (a follow-up with vital status dead)."""
    values = {"contact_date": death_date, "vital_status": "dead", "cause_of_death": cause}
    return record_follow_up(uow, patient_id, values, reason=reason)


def withdraw(uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str) -> int:
    """Record the patient's withdrawal (``withdrawal_date``, ``kind``, ``reason``); return its id."""
    values = {**values, "patient_id": patient_id}
    return uow.add(Action.WITHDRAW, m.Withdrawal, values, reason=reason)


def record_deviation(
    uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str
) -> int:
    """Record a protocol deviation (``deviation_date``, ``category``, ``severity``,
    ``description``); return its id."""
    values = {**values, "patient_id": patient_id}
    return uow.add(Action.DEVIATION, m.ProtocolDeviation, values, reason=reason)
