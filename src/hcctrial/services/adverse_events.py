"""Adverse events: record an adverse event with the clinician's grade.

The term must be a term of the trial's CTCAE version -- its regimen file's
``assessment.ctcae_version`` (:func:`hcctrial.protocol.regimen.trial_ctcae_version` of the unit of
work's regimen) -- (synonyms accepted; stored under the CTCAE name) and the grade one that version
defines for it (AE-CTCAE-TERM, AE-CTCAE-GRADE); it resolves on or after its onset
(AE-RESOLUTION-ORDER), and the date rules apply (``docs/rules.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m

__all__ = ["record_adverse_event"]


def record_adverse_event(
    uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str
) -> int:
    """Record an adverse event of patient ``patient_id`` (``term``, ``grade``, ``onset_date``,
    optional ``resolution_date``, ``attribution``, ``serious``); return its id."""
    values = {**values, "patient_id": patient_id}
    return uow.add(Action.ADVERSE_EVENT, m.AdverseEvent, values, reason=reason)
