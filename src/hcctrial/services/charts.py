"""A patient's chart: every record of one patient as plain rows, the input of the rules.

The rules that compare records (:mod:`hcctrial.services.checks`) and the state machine
(:mod:`hcctrial.services.states`) read a :class:`Chart`, never the database: the unit of work
loads the charts of the patients a change touches, applies the change to a copy and checks the
copy, so a web form's one lab and an import's 600,000 rows meet the same rules in the same code.

Rows are dicts of column name -> value as the column checkers return them (dates as
:class:`datetime.date`, enums as enum members); a record of the change being made that has no id
yet carries a negative temporary id. Written here rather than reusing
:mod:`hcctrial.derive.records` (frozen, analysis-shaped values without ids): the rules need the ids
to say which record breaks them, and the bulk path needs rows it can append without copying.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "CHART_TABLES",
    "DATE_COLUMNS",
    "PATIENT_PATH",
    "Chart",
    "load_charts",
]

Row = dict[str, Any]

#: How a record reaches its patient: table -> (foreign-key column, the table it points to).
PATIENT_PATH: dict[str, tuple[str, str]] = {
    "screenings": ("patient_id", "patients"),
    "screening_criteria": ("screening_id", "screenings"),
    "baselines": ("patient_id", "patients"),
    "lab_results": ("patient_id", "patients"),
    "treatment_cycles": ("patient_id", "patients"),
    "cycle_doses": ("cycle_id", "treatment_cycles"),
    "adverse_events": ("patient_id", "patients"),
    "imaging_assessments": ("patient_id", "patients"),
    "lesion_measurements": ("imaging_id", "imaging_assessments"),
    "followups": ("patient_id", "patients"),
    "protocol_deviations": ("patient_id", "patients"),
    "withdrawals": ("patient_id", "patients"),
    "derived_overrides": ("patient_id", "patients"),
    "cycle_exams": ("patient_id", "patients"),
}
#: The tables of a chart (besides the patient row), parents before children.
CHART_TABLES: tuple[str, ...] = tuple(
    t.__tablename__ for t in m.DATA_TABLES if t.__tablename__ in PATIENT_PATH
)
#: The clinical dates of each table (the date rules read these).
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("enrolment_date",),
    "screenings": ("screening_date",),
    "baselines": ("assessment_date",),
    "lab_results": ("sample_date",),
    "treatment_cycles": ("cycle_date",),
    "adverse_events": ("onset_date", "resolution_date"),
    "imaging_assessments": ("assessment_date",),
    "followups": ("contact_date",),
    "protocol_deviations": ("deviation_date",),
    "withdrawals": ("withdrawal_date",),
    "cycle_exams": ("exam_date",),
}


@dataclass
class Chart:
    """Every record of one patient: the patient row and the rows of each table by name."""

    patient: Row
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def of(self, table: str) -> list[Row]:
        """The rows of ``table`` (an empty list when there are none)."""
        return self.rows.get(table, _EMPTY)

    def add(self, table: str, row: Row) -> None:
        """Append ``row`` to ``table``."""
        self.rows.setdefault(table, []).append(row)

    def copy(self) -> Chart:
        """A copy whose lists can change without changing this chart (rows are shared)."""
        return Chart(dict(self.patient), {t: list(rows) for t, rows in self.rows.items()})

    def replace(self, table: str, row: Row) -> None:
        """Put ``row`` in place of the row of ``table`` with the same id (or append it)."""
        rows = self.rows.setdefault(table, [])
        for i, old in enumerate(rows):
            if old["id"] == row["id"]:
                rows[i] = row
                return
        rows.append(row)

    def remove(self, table: str, pk: int) -> None:
        """Remove the row ``pk`` of ``table``."""
        self.rows[table] = [r for r in self.of(table) if r["id"] != pk]

    @property
    def screening(self) -> Row | None:
        """The screening row (the first one, when an error gave two)."""
        rows = self.of("screenings")
        return rows[0] if rows else None

    def death_date(self) -> date | None:
        """The date of the first follow-up with vital status dead (None: alive as far as known)."""
        deaths = [
            r["contact_date"]
            for r in self.of("followups")
            if r["vital_status"] is m.VitalStatus.DEAD
        ]
        return min(deaths) if deaths else None


_EMPTY: list[Row] = []


def _chunks(values: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


#: Columns a chart leaves out: when a row was written says nothing the rules compare.
_SKIPPED = frozenset({"created_at", "updated_at"})


@cache
def _statement(table_name: str, many: bool) -> Any:
    """The query of one table's rows of the patient ``:id`` (or, ``many``, of the patients
    ``:ids``), each with its patient's id as ``_patient``; built once, so SQLAlchemy reuses its
    compiled form. A dose line, lesion or criterion is found through its parent's patient."""
    from sqlalchemy import bindparam, select

    by_name = {x.__tablename__: m.table_of(x) for x in m.DATA_TABLES}
    table = by_name[table_name]
    columns = [c for c in table.c if c.name not in _SKIPPED]
    if table_name == "patients":
        key = table.c.id
        stmt = select(*columns, key.label("_patient"))
    else:
        fk, parent_name = PATIENT_PATH[table_name]
        if parent_name == "patients":
            key = table.c[fk]
            stmt = select(*columns, key.label("_patient"))
        else:
            parent = by_name[parent_name]
            key = parent.c.patient_id
            stmt = select(*columns, key.label("_patient")).select_from(
                table.join(parent, table.c[fk] == parent.c.id)
            )
        stmt = stmt.order_by(table.c.id)
    if many:
        return stmt.where(key.in_(bindparam("ids", expanding=True)))
    return stmt.where(key == bindparam("id"))


def _rows(session: Session, table_name: str, ids: list[int]) -> list[Row]:
    out: list[Row] = []
    if len(ids) == 1:  # one patient (a form's save): no expanding IN to render
        batches: Iterable[dict[str, Any]] = [{"id": ids[0]}]
        stmt = _statement(table_name, False)
    else:
        batches = ({"ids": chunk} for chunk in _chunks(ids))
        stmt = _statement(table_name, True)
    for params in batches:
        result = session.execute(stmt, params)
        keys = list(result.keys())
        out.extend(dict(zip(keys, row, strict=True)) for row in result)
    return out


def load_charts(
    session: Session,
    patient_ids: Iterable[int],
    tables: Iterable[str] | None = None,
    *,
    patient_rows: Mapping[int, Mapping[str, Any] | None] | None = None,
) -> dict[int, Chart]:
    """Return the chart of each existing patient of ``patient_ids`` with the rows of ``tables``
    (default: every chart table); one query per table and 500 patients. ``patient_rows``: the
    patients' rows when already read (not read again)."""
    ids = sorted({int(p) for p in patient_ids if p is not None and int(p) > 0})
    if not ids:
        return {}
    charts: dict[int, Chart] = {}
    known = patient_rows or {}
    if all(known.get(pid) is not None for pid in ids):
        for pid in ids:
            row = dict(known[pid])  # type: ignore[arg-type]
            row.pop("created_at", None)
            row.pop("updated_at", None)
            charts[pid] = Chart(row)
    else:
        for row in _rows(session, "patients", ids):
            del row["_patient"]
            charts[int(row["id"])] = Chart(row)
    add_tables(session, charts, CHART_TABLES if tables is None else tables)
    return charts


def add_tables(session: Session, charts: Mapping[int, Chart], tables: Iterable[str]) -> None:
    """Load the rows of ``tables`` (chart tables, in parent-first order) into ``charts``."""
    wanted = set(tables)
    ids = sorted(charts)
    for table in CHART_TABLES:
        if table not in wanted or not ids:
            continue
        for row in _rows(session, table, ids):
            chart = charts.get(row.pop("_patient"))
            if chart is not None:
                chart.add(table, row)
