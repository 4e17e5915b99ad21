"""Exports for data managers from the web (issue 19): each form as CSV, all of them as a zip, and
the interoperability formats of ``hcctrial export --format`` -- restricted to the user's sites.

CSV files have the columns and cell format of ``hcctrial export`` (:mod:`hcctrial.store.csv_io`:
:func:`~hcctrial.store.values.format_cell`), so ``hcctrial import`` reads them back; the rows are
those of the patients the user sees (a form reaches its patient directly or through its parent:
lesions through the scan, doses through the cycle, criteria through the screening). Accounts and
the audit log are not exported here (the command line exports them for the database's operator).
The derived formats (SPSS, Stata, SAS, SDTM, ADaM, ODM, REDCap) are trial-wide analysis datasets:
only users who span sites get them (:func:`hcctrial.interop.export.export_database`).

Who: users who review data (investigators, monitors, admins: the audit or manage-data capability).
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from hcctrial.services.permissions import Actor, Capability, can, spans_sites
from hcctrial.store import models as m
from hcctrial.store.values import column_specs, format_cell
from hcctrial.web.deps import db_session, render, signed_in_user

router = APIRouter(include_in_schema=False)

#: The forms exported (every data table but accounts), in import order.
FORM_TABLES: dict[str, type[m.Record]] = {
    x.__tablename__: x for x in m.DATA_TABLES if x not in (m.User,)
}
_PARENT = {
    "lesion_measurements": (m.ImagingAssessment, "imaging_id"),
    "cycle_doses": (m.TreatmentCycle, "cycle_id"),
    "screening_criteria": (m.Screening, "screening_id"),
}


def _exporter(request: Request, session: Any) -> Actor:
    user = signed_in_user(request, session)
    if not (can(user, Capability.VIEW_AUDIT) or can(user, Capability.MANAGE_DATA)):
        raise HTTPException(status_code=403, detail="Your role does not export data.")
    return user


def _rows(session: Any, user: Actor, model: type[m.Record]) -> Any:
    """The rows of ``model`` the user sees, in id order."""
    from sqlalchemy import select

    table = m.table_of(model)
    stmt = select(table).order_by(table.c.id)
    if spans_sites(user):
        return session.execute(stmt).mappings()
    site = user.site_id if user.site_id is not None else -1
    patients = select(m.Patient.id).where(m.Patient.site_id == site)
    name = model.__tablename__
    if model is m.Site:
        stmt = stmt.where(table.c.id == site)
    elif model is m.Patient:
        stmt = stmt.where(table.c.site_id == site)
    elif "patient_id" in table.c:
        stmt = stmt.where(table.c.patient_id.in_(patients))
    elif name in _PARENT:
        parent, column = _PARENT[name]
        owned = select(m.table_of(parent).c.id).where(m.table_of(parent).c.patient_id.in_(patients))
        stmt = stmt.where(table.c[column].in_(owned))
    else:  # pragma: no cover - every exported table is placed above
        raise HTTPException(status_code=404, detail=f"No export of {name}.")
    return session.execute(stmt).mappings()


def form_csv(session: Any, user: Actor, name: str) -> str:
    """One form's CSV text (the columns of ``hcctrial export``), the user's sites only."""
    model = FORM_TABLES[name]
    specs = column_specs(model)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(specs))
    for row in _rows(session, user, model):
        writer.writerow([format_cell(spec, row[n]) for n, spec in specs.items()])
    return out.getvalue()


@router.get("/exports")
def exports_page(request: Request) -> Response:
    """The list of exports the user may download."""
    from hcctrial.interop.export import FORMATS

    with db_session(request) as session:
        user = _exporter(request, session)
        ctx = {
            "tables": list(FORM_TABLES),
            "formats": [f for f in FORMATS if f != "csv"] if spans_sites(user) else [],
            "own_site": not spans_sites(user),
        }
        return render(request, "exports.html", ctx, user=user)


@router.get("/exports/{name}.csv")
def export_form(request: Request, name: str) -> Response:
    """One form as CSV."""
    if name not in FORM_TABLES:
        raise HTTPException(status_code=404, detail=f"No form {name!r} to export.")
    with db_session(request) as session:
        user = _exporter(request, session)
        text = form_csv(session, user, name)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/exports/trial.zip")
def export_zip(request: Request, format: str = "csv") -> Response:
    """Every form as CSV in one zip; or, for users who span sites, a format of
    ``hcctrial export --format`` (the files it writes, zipped)."""
    import tempfile
    from pathlib import Path

    from hcctrial.interop.export import check_format, export_database

    fmt = check_format(format)
    buffer = io.BytesIO()
    with db_session(request) as session:
        user = _exporter(request, session)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            if fmt == "csv":
                for name in FORM_TABLES:
                    zf.writestr(f"{name}.csv", form_csv(session, user, name))
            else:
                if not spans_sites(user):
                    raise HTTPException(
                        status_code=403,
                        detail="The analysis formats cover every site; export your site's "
                        "forms as CSV.",
                    )
                with tempfile.TemporaryDirectory(prefix="hcctrial-export-") as tmp:
                    export_database(session, Path(tmp), fmt)
                    for path in sorted(Path(tmp).rglob("*")):
                        if path.is_file():
                            zf.writestr(path.relative_to(tmp).as_posix(), path.read_bytes())
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="hcctrial-{fmt}.zip"'},
    )
