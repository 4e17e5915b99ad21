"""Scans: record an imaging time point with its lesion measurements, add a lesion to a scan.

One scan per patient and date, one measurement per lesion label and scan (RECORD-UNIQUE); a
lesion stays on a scan of its patient (RECORD-MOVE) at a site the user works at (AUTH-SITE); the
date rules apply to the scan (``docs/rules.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import Insert, UnitOfWork
from hcctrial.store import models as m

__all__ = ["add_lesion", "record_scan"]


def record_scan(
    uow: UnitOfWork,
    patient_id: int,
    values: Mapping[str, Any],
    lesions: Sequence[Mapping[str, Any]] = (),
    *,
    reason: str,
) -> int:
    """Record a scan (``assessment_date``, ``modality``, ``afp_ng_ml``) with its lesion
    measurements (``lesion_id``, ``kind``, ``organ``, ``diameter_mm``, ``status``,
    ``typical_pattern``); return the scan's id."""
    sid = uow.new_id()
    writes = [Insert(m.ImagingAssessment, [{**values, "id": sid, "patient_id": patient_id}])]
    if lesions:
        writes.append(Insert(m.LesionMeasurement, [{**x, "imaging_id": sid} for x in lesions]))
    return uow.run(Action.SCAN, writes, reason=reason).id_of(sid)


def add_lesion(uow: UnitOfWork, scan_id: int, values: Mapping[str, Any], *, reason: str) -> int:
    """Add a lesion measurement to saved scan ``scan_id``; return its id."""
    values = {**values, "imaging_id": scan_id}
    return uow.add(Action.LESION, m.LesionMeasurement, values, reason=reason)
