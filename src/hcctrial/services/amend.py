"""Corrections: amend a saved record, delete one, override an engine's derived value.

Every correction names the version the user saw (VERSION-STALE) and says why (REASON-REQUIRED);
the change passes every rule the record's own action passes, on the patient's records as they
would be after it, and may not move a record to another patient or site (RECORD-MOVE) nor edit a
status (STATUS-DIRECT). A patient's state follows the corrected records (deleting the only cycle
of a patient on treatment puts them back to enrolled), each change of state audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import Amend, Remove, UnitOfWork
from hcctrial.store import models as m

__all__ = ["amend_record", "delete_record", "record_override"]


def amend_record(
    uow: UnitOfWork,
    model: type[m.Record],
    record_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    reason: str,
) -> None:
    """Change columns of record ``record_id`` saved at ``expected_version``."""
    uow.run(Action.AMEND, [Amend(model, record_id, changes, expected_version)], reason=reason)


def delete_record(
    uow: UnitOfWork, model: type[m.Record], record_id: int, *, expected_version: int, reason: str
) -> None:
    """Delete record ``record_id`` saved at ``expected_version`` (refused while others refer to
    it)."""
    uow.run(Action.DELETE, [Remove(model, record_id, expected_version)], reason=reason)


def record_override(
    uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str
) -> int:
    """Record a person's override of an engine's value (``entity``, ``entity_id``, ``field``,
    ``computed_value``, ``override_value``, ``reason``); ``overridden_by`` defaults to the actor."""
    values = {**values, "patient_id": patient_id}
    return uow.add(Action.OVERRIDE, m.DerivedOverride, values, reason=reason)
