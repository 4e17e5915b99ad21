"""The dashboard page and the report downloads (HTML, Word)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from hcctrial.services.permissions import Capability
from hcctrial.web.deps import db_session, render, require, signed_in_user, state_of

router = APIRouter(include_in_schema=False)

_MEDIA = {
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@router.get("/dashboard")
def dashboard_page(request: Request) -> Response:
    """Enrolment, screen failures, live KM curves with numbers at risk, responses, toxicity."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_ANALYSIS)
        data = state_of(request).dashboard_cache.data(session)
    return render(request, "dashboard.html", {"d": data}, user=user)


@router.get("/report.{fmt}")
def report_download(request: Request, fmt: str) -> Response:
    """The trial report of the report layer, built from the database now (HTML or Word)."""
    from hcctrial.report.build import build_report

    if fmt not in _MEDIA:
        raise HTTPException(status_code=404, detail="The report exists as .html and .docx.")
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_ANALYSIS)
    state = state_of(request)
    with tempfile.TemporaryDirectory(prefix="hcctrial-report-") as tmp:
        # the dashboard's plan, so that the report and the dashboard show the same analysis
        paths = build_report(
            state.engine, tmp, formats=(fmt,), dpi=100, workers=1, plan=state.dashboard_cache.plan
        )
        path = paths.html if fmt == "html" else paths.docx
        assert path is not None
        content = Path(path).read_bytes()
    return Response(
        content,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="hcctrial-report.{fmt}"'},
    )
