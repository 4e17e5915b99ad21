"""The patient list that scales (issue 19): search by study id, filters (site, status, overdue
forms, open queries), sorting and paging, in SQL over the patients the user sees.

Only the page's patients get their visit schedule computed (the "overdue" column); the overdue
filter computes it for every candidate (a slower path, still one query per table per 500).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hcctrial.protocol.visit_schedule import VisitStatus
from hcctrial.services.permissions import Actor, spans_sites
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import DataQuery, QueryStatus

__all__ = ["PAGE_SIZE", "SORTS", "ListQuery", "PatientPage", "patient_page_of"]

PAGE_SIZE = 50
#: sort key -> label
SORTS = {
    "study_id": "Study id",
    "site": "Site",
    "status": "Status",
    "enrolled": "Enrolled",
    "queries": "Open queries",
}


@dataclass(frozen=True)
class ListQuery:
    """The list's parameters as read from the URL (unknown values fall back to the defaults)."""

    q: str = ""
    site: int | None = None
    status: str = ""
    overdue: bool = False
    queries: bool = False
    sort: str = "study_id"
    desc: bool = False
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> ListQuery:
        def num(name: str) -> int | None:
            try:
                return int(params.get(name, ""))
            except ValueError:
                return None

        status = params.get("status", "")
        sort = params.get("sort", "study_id")
        return cls(
            q=params.get("q", "").strip()[:32],
            site=num("site"),
            status=status if status in {s.value for s in m.PatientStatus} else "",
            overdue=params.get("overdue") == "yes",
            queries=params.get("queries") == "yes",
            sort=sort if sort in SORTS else "study_id",
            desc=params.get("dir") == "desc",
            page=max(1, num("page") or 1),
        )

    def url(self, **changes: object) -> str:
        """The list's URL with ``changes`` (page, sort...)."""
        from urllib.parse import urlencode

        values = {
            "q": self.q,
            "site": self.site or "",
            "status": self.status,
            "overdue": "yes" if self.overdue else "",
            "queries": "yes" if self.queries else "",
            "sort": self.sort,
            "dir": "desc" if self.desc else "",
            "page": self.page,
            **changes,
        }
        return "/patients?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass(frozen=True)
class PatientPage:
    rows: list[dict[str, Any]]
    total: int
    pages: int
    query: ListQuery


def _base(user: Actor, lq: ListQuery, open_q: Any) -> Any:
    from sqlalchemy import func, select

    n_open = func.coalesce(open_q.c.n, 0).label("n_open")
    stmt = (
        select(m.Patient, m.Site.code, n_open)
        .join(m.Site, m.Site.id == m.Patient.site_id)
        .outerjoin(open_q, open_q.c.patient_id == m.Patient.id)
    )
    if not spans_sites(user):
        stmt = stmt.where(m.Patient.site_id == (user.site_id or -1))
    if lq.q:
        stmt = stmt.where(m.Patient.study_id.ilike(f"%{lq.q}%"))
    if lq.site:
        stmt = stmt.where(m.Patient.site_id == lq.site)
    if lq.status:
        stmt = stmt.where(m.Patient.status == m.PatientStatus(lq.status))
    if lq.queries:
        stmt = stmt.where(open_q.c.n > 0)
    return stmt, n_open


def patient_page_of(
    session: Any, user: Actor, lq: ListQuery, regimen: Any, today: date, memo: Any = None
) -> PatientPage:
    """One page of the patient list for ``lq`` (``memo``: the application's
    :class:`~hcctrial.web.patient_memo.PatientMemo` of schedules, if any)."""
    from sqlalchemy import func, select

    from hcctrial.services.visit_schedule import schedules as computed
    from hcctrial.web.patient_memo import memo_schedules

    if memo is None:
        schedules = computed
    else:
        head = memo.sync(session)

        def schedules(session: Any, patients: Any, regimen: Any, today: date) -> Any:
            return memo_schedules(memo, head, session, list(patients), regimen, today)

    open_q = (
        select(DataQuery.patient_id, func.count(DataQuery.id).label("n"))
        .where(DataQuery.status != QueryStatus.CLOSED)
        .group_by(DataQuery.patient_id)
        .subquery()
    )
    stmt, n_open = _base(user, lq, open_q)
    column = {
        "study_id": m.Patient.study_id,
        "site": m.Site.code,
        "status": m.Patient.status,
        "enrolled": m.Patient.enrolment_date,
        "queries": n_open,
    }[lq.sort]
    order = [column.desc() if lq.desc else column.asc(), m.Patient.study_id]
    stmt = stmt.order_by(*order)

    def late(items: list[Any]) -> int:
        return sum(1 for i in items if i.status is VisitStatus.OVERDUE)

    if lq.overdue:
        found = list(session.execute(stmt))
        grid = schedules(session, [r[0] for r in found], regimen, today)
        found = [r for r in found if late(grid[r[0].id])]
        total = len(found)
        rows = found[(lq.page - 1) * PAGE_SIZE : lq.page * PAGE_SIZE]
    else:
        total = int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
        rows = list(session.execute(stmt.offset((lq.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        grid = schedules(session, [r[0] for r in rows], regimen, today)
    out = [
        {"p": p, "site": code, "open": int(n), "overdue": late(grid.get(p.id, []))}
        for p, code, n in rows
    ]
    return PatientPage(out, total, max(1, -(-total // PAGE_SIZE)), lq)
