"""The dashboard page and the report downloads (HTML, Word)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from hcctrial.services.permissions import Capability, spans_sites
from hcctrial.web.dashboard_cache import site_dashboard
from hcctrial.web.deps import db_session, render, require, signed_in_user, state_of
from hcctrial.web.report_jobs import ReportJobs, content_key

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
        cache = state_of(request).dashboard_cache
        if spans_sites(user):
            data = cache.data(session)
        else:  # a site role sees its own site's patients only
            data = site_dashboard(cache, session, user.site_id)
    return render(
        request, "dashboard.html", {"d": data, "own_site": not spans_sites(user)}, user=user
    )


@router.get("/report.{fmt}")
def report_download(request: Request, fmt: str) -> Response:
    """The trial report (HTML or Word), built in the background (a progress page answers until
    it is ready) and served from the cache while the data stay the same (content hash of the
    audit chain's head: :mod:`hcctrial.web.report_jobs`). Trial-wide: users who span sites."""
    if fmt not in _MEDIA:
        raise HTTPException(status_code=404, detail="The report exists as .html and .docx.")
    state = state_of(request)
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_ANALYSIS)
        if not spans_sites(user):
            raise HTTPException(
                status_code=403,
                detail="The trial report covers every site; your dashboard shows your own site.",
            )
        key = content_key(session, fmt, state.dashboard_cache.plan)
    retry = request.query_params.get("retry") == "1"
    job = report_jobs(request).job(key, fmt, _builder(state, fmt), retry=retry)
    if retry:  # started again: follow its progress on the plain address
        return RedirectResponse(f"/report.{fmt}", status_code=303)
    if job.path is not None:
        return Response(
            job.path.read_bytes(),
            media_type=_MEDIA[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="hcctrial-report.{fmt}"',
                "ETag": f'"{key}"',
            },
        )
    status = job.error_status if job.error else 202
    return render(request, "report_progress.html", {"job": job}, user=user, status_code=status)


def report_jobs(request: Request) -> ReportJobs:
    """The application's report builds (created at first use)."""
    app_state = request.app.state
    jobs = getattr(app_state, "report_jobs", None)
    if jobs is None:
        jobs = app_state.report_jobs = ReportJobs()
    return jobs  # type: ignore[no-any-return]


def _builder(state: Any, fmt: str) -> Any:
    def build(out: Path, progress: Any) -> Path:
        from hcctrial.report.build import build_report

        # the dashboard's plan, so that the report and the dashboard show the same analysis
        paths = build_report(
            state.engine,
            out,
            formats=(fmt,),
            dpi=100,
            workers=1,
            plan=state.dashboard_cache.plan,
            progress=progress,
        )
        path = paths.html if fmt == "html" else paths.docx
        assert path is not None
        return Path(path)

    return build
