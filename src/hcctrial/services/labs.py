"""Labs: record a lab result as the laboratory reported it.

The value and unit are kept as typed; the canonical value is derived by the units layer
(:mod:`hcctrial.clinical.units`) and the analyte and unit checked there (LAB-UNIT,
LAB-PLAUSIBLE); the date rules and the duplicate rule apply as to every record
(``docs/rules.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m

__all__ = ["record_lab"]


def record_lab(uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str) -> int:
    """Record one lab result of patient ``patient_id`` (``sample_date``, ``analyte``,
    ``value_entered``, ``unit_entered``, optional ``uln``/``lln`` in the unit as entered); return
    its id."""
    return uow.add(Action.LAB, m.LabResult, {**values, "patient_id": patient_id}, reason=reason)
