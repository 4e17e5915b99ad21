"""CSV import/export: round trip, row-level errors, and a failed import changes nothing.

The import is the services' (``hcctrial.services.imports``): the rows pass every rule of the
trial; the rules' own cases are in ``tests/services``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hcctrial.store import models as m
from hcctrial.store.audit import verify_audit
from hcctrial.store.csv_io import CsvImportError, export_directory
from tests.store.sample import write_sample_trial


def import_directory(session: Any, directory: Path, *, actor: str, reason: str) -> dict[str, int]:
    """Import ``directory`` as the database operator ``actor`` (the CLI's default actor)."""
    from hcctrial.services import imports
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork

    uow = UnitOfWork(session, Actor.system(actor))
    return imports.import_directory(uow, directory, reason=reason)


def dump(sessions: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (audit log and chain head included), in key order."""
    out = {}
    with sessions() as s:
        for model in (*m.DATA_TABLES, m.AuditEntry, m.AuditChainHead):
            table = m.table_of(model)
            rows = s.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _shift(directory: Path, by: int) -> None:
    """Move every id and foreign key by ``by`` and rename unique codes: a second, distinct trial."""
    from hcctrial.store.values import column_specs

    for model in m.DATA_TABLES:
        path = directory / f"{model.__tablename__}.csv"
        rows = _rows(path)
        specs = column_specs(model)
        for row in rows:
            for name, spec in specs.items():
                if row[name] and (name == "id" or spec.references):
                    row[name] = str(int(row[name]) + by)
            for name in ("code", "username", "study_id"):
                if name in row:
                    row[name] += "-B"
        _write(path, rows)


@pytest.fixture
def exported(sessions: Any, tmp_path: Path) -> Path:
    with sessions() as s, s.begin():
        write_sample_trial(s)
    with sessions() as s:
        export_directory(s, tmp_path / "out")
    return tmp_path / "out"


def test_export_writes_one_documented_csv_per_table(exported: Path) -> None:
    names = {p.name for p in exported.glob("*.csv")}
    # every audited table (the data, signatures and locks, form states and queries) and the log
    assert names == {f"{t.__tablename__}.csv" for t in m.AUDITED_TABLES} | {"audit_log.csv"}
    patients = _rows(exported / "patients.csv")
    assert list(patients[0]) == [
        "id",
        "study_id",
        "site_id",
        "enrolment_date",
        "status",
        "version",
        "created_at",
        "updated_at",
    ]
    assert [(p["study_id"], p["enrolment_date"], p["status"]) for p in patients] == [
        ("HCC-001", "2019-03-04", "withdrawn"),
        ("HCC-002", "", "screening"),
    ]
    baseline = _rows(exported / "baselines.csv")[0]
    assert (baseline["vascular_invasion"], baseline["height_cm"]) == ("true", "170.0")


def test_export_then_import_into_an_empty_database_reproduces_the_data(
    exported: Path, tmp_path: Path
) -> None:
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, session_factory

    engine = make_engine(tmp_path / "copy.sqlite")
    try:
        upgrade_to_head(engine)
        factory = session_factory(engine)
        with factory() as s, s.begin():
            counts = import_directory(s, exported, actor="dm", reason="migration to new server")
        assert counts["patients"] == 2 and counts["lesion_measurements"] == 1
        with factory() as s:
            export_directory(s, tmp_path / "again")
            assert verify_audit(s).ok
    finally:
        engine.dispose()
    managed = {"version", "created_at", "updated_at"}
    for t in m.DATA_TABLES:
        name = f"{t.__tablename__}.csv"
        strip = [{k: v for k, v in r.items() if k not in managed} for r in _rows(exported / name)]
        again = [
            {k: v for k, v in r.items() if k not in managed}
            for r in _rows(tmp_path / "again" / name)
        ]
        assert strip == again, name


@pytest.mark.parametrize(
    ("file", "row_index", "column", "value", "expected"),
    [
        ("baselines", 0, "ecog", "7", "between 0 and 4"),
        ("adverse_events", 0, "onset_date", "2019-13-01", "a date YYYY-MM-DD"),
        ("patients", 1, "status", "gone", "one of screening"),
        ("patients", 1, "site_id", "42", "the id of a row of sites"),
        ("patients", 1, "study_id", "HCC 002", "letters, digits"),
        ("lab_results", 0, "unit_entered", "furlongs", "convertible to g/dL"),
        ("lab_results", 0, "unit_entered", "mg/zz", "unknown unit"),
        ("lab_results", 0, "canonical_value", "1.0", "3.5"),
        ("patients", 1, "id", "1001", "an id not already used in this file"),
        ("patients", 1, "id", "1", "an id not already used in the database"),
        ("patients", 1, "study_id", "HCC-001", "a study id not already used"),
    ],
)
def test_one_bad_row_is_reported_and_leaves_the_database_exactly_as_it_was(
    sessions: Any,
    exported: Path,
    file: str,
    row_index: int,
    column: str,
    value: str,
    expected: str,
) -> None:
    _shift(exported, 1000)
    rows = _rows(exported / f"{file}.csv")
    rows[row_index][column] = value
    _write(exported / f"{file}.csv", rows)
    before = dump(sessions)
    with sessions() as s, pytest.raises(CsvImportError) as err, s.begin():
        import_directory(s, exported, actor="dm", reason="bulk load")
    assert dump(sessions) == before
    # spreadsheet row numbers: the header is row 1, the first record row 2
    matching = [
        e for e in err.value.errors if (e.table, e.row, e.column) == (file, row_index + 2, column)
    ]
    assert len(err.value.errors) == 1, [e.message for e in err.value.errors]
    assert matching[0].value == value
    assert expected in matching[0].expected
    assert f"{file}.csv row {row_index + 2}, column {column}: got {value!r}" in str(err.value)


def test_a_clean_import_adds_to_existing_data_and_is_audited(sessions: Any, exported: Path) -> None:
    _shift(exported, 1000)  # the control case of the bad-row test above: no row changed
    with sessions() as s, s.begin():
        counts = import_directory(s, exported, actor="dm", reason="site B data")
    assert sum(counts.values()) == 18
    with sessions() as s:
        assert s.scalars(select(m.Patient.study_id).order_by(m.Patient.id)).all() == [
            "HCC-001",
            "HCC-002",
            "HCC-001-B",
            "HCC-002-B",
        ]
        report = verify_audit(s)
        assert report.ok and report.entries == 36


def test_unknown_file_and_unknown_column_are_refused(sessions: Any, tmp_path: Path) -> None:
    (tmp_path / "patient.csv").write_text("id\n1\n")
    (tmp_path / "sites.csv").write_text("id,code,name,colour\n1,A,Alpha,red\n")
    with sessions() as s, pytest.raises(CsvImportError) as err:
        import_directory(s, tmp_path, actor="dm", reason="load")
    found = {(e.table, e.row, e.column) for e in err.value.errors}
    assert ("patient", 0, "(file)") in found
    assert ("sites", 1, "colour") in found
