"""The trial-wide audit trail: a page with filters and paging, the same as JSON, and CSV.

``GET /audit`` (page), ``GET /api/audit`` (JSON: ``entries``, ``total``, ``page``, ``pages``,
``per_page``) and ``GET /audit.csv`` take the same query parameters: ``user``, ``action``
(insert/update/delete), ``record_type`` (a table name), ``patient`` (a study id) or
``patient_id``, ``site_id``, ``date_from``
and ``date_to`` (UTC days, inclusive), ``page`` and ``per_page``. Who may see what is the services'
rule (:func:`hcctrial.services.audit_trail.trial_audit`: monitors and admins; a site's monitor
only that site): these routes only read the request and show the answer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from hcctrial.services.audit_trail import AuditFilter, trial_audit, trial_audit_entries
from hcctrial.store import models as m
from hcctrial.web.deps import db_session, render, signed_in_user

router = APIRouter()

_CSV_COLUMNS = ("seq", "at", "actor", "action", "table", "row", "patient", "reason", "changes")


def _filter(
    user: str | None,
    action: str | None,
    record_type: str | None,
    patient_id: int | None,
    site_id: int | None,
    date_from: date | None,
    date_to: date | None,
    patient: str | None = None,
) -> AuditFilter:
    return AuditFilter(
        study_id=patient.strip() if patient and patient.strip() else None,
        user=user or None,
        action=action or None,
        record_type=record_type or None,
        patient_id=patient_id,
        site_id=site_id,
        date_from=date_from,
        date_to=date_to,
    )


def _json_entry(e: dict[str, Any]) -> dict[str, Any]:
    out = dict(e)
    out["at"] = e["at"].isoformat()
    out["changes"] = [{"field": f, "old": o, "new": n} for f, o, n in e["changes"]]
    return out


@router.get("/api/audit")
def audit_api(
    request: Request,
    user: str | None = None,
    action: str | None = None,
    record_type: str | None = None,
    patient_id: int | None = None,
    site_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = 50,
    patient: str | None = None,
) -> dict[str, Any]:
    """One page of the trial-wide audit trail, newest first (monitors and admins); ``patient``
    is a study id (or give ``patient_id``)."""
    filt = _filter(user, action, record_type, patient_id, site_id, date_from, date_to, patient)
    with db_session(request) as session:
        actor = signed_in_user(request, session)
        found = trial_audit(session, actor, filt, page=page, per_page=per_page)
    return {
        "entries": [_json_entry(e) for e in found.entries],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "per_page": found.per_page,
    }


@router.get("/audit", include_in_schema=False)
def audit_trial_page(
    request: Request,
    user: str | None = None,
    action: str | None = None,
    record_type: str | None = None,
    patient_id: int | None = None,
    site_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    patient: str | None = None,
) -> Response:
    """The trial-wide audit trail with its filters (monitors and admins)."""
    from sqlalchemy import select

    filt = _filter(user, action, record_type, patient_id, site_id, date_from, date_to, patient)
    with db_session(request) as session:
        actor = signed_in_user(request, session)
        found = trial_audit(session, actor, filt, page=page, per_page=50)
        sites = list(session.scalars(select(m.Site).order_by(m.Site.code)))
        query = {k: v for k, v in request.query_params.items() if k != "page" and v}
        context = {
            "found": found,
            "filt": filt,
            "sites": sites,
            "tables": sorted(t.__tablename__ for t in m.DATA_TABLES),
            "query": query,
        }
        return render(request, "audit_trial.html", context, user=actor)


@router.get("/audit.csv", include_in_schema=False)
def audit_csv(
    request: Request,
    user: str | None = None,
    action: str | None = None,
    record_type: str | None = None,
    patient_id: int | None = None,
    site_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    patient: str | None = None,
) -> Response:
    """Every entry matching the filters as CSV (one line per entry, newest first)."""
    filt = _filter(user, action, record_type, patient_id, site_id, date_from, date_to, patient)
    with db_session(request) as session:
        actor = signed_in_user(request, session)
        entries = list(trial_audit_entries(session, actor, filt))

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_CSV_COLUMNS)
        for e in entries:
            changes = "; ".join(f"{f}: {o!r} -> {n!r}" for f, o, n in e["changes"])
            writer.writerow(
                [
                    e["seq"],
                    e["at"].isoformat(),
                    e["actor"],
                    e["action"],
                    e["table"],
                    e["row"],
                    e["patient"] or "",
                    e["reason"],
                    changes,
                ]
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    headers = {"Content-Disposition": 'attachment; filename="audit_trail.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)
