"""``hcctrial init | import | export | audit verify`` on SQLite and PostgreSQL: output, exit codes."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import CliResult
from tests.store.databases import BACKENDS, fresh_database_url


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(request.param, tmp_path) as u:
        yield u


def _sample_dir(tmp_path: Path) -> Path:
    d = tmp_path / "csv"
    d.mkdir()
    (d / "sites.csv").write_text("id,code,name,country\n1,SYSU,Sun Yat-sen,China\n")
    (d / "patients.csv").write_text(
        "id,study_id,site_id,enrolment_date,status\n"
        "1,HCC-001,1,2019-03-04,enrolled\n"
        "2,HCC-002,1,,screening\n"
    )
    (d / "screenings.csv").write_text(
        "id,patient_id,screening_date,eligible,notes\n1,1,2019-03-01,true,\n"
    )
    (d / "lab_results.csv").write_text(
        "id,patient_id,sample_date,analyte,value_entered,unit_entered,uln,lln\n"
        "1,1,2019-03-01,bilirubin,1.2,mg/dL,1.2,0.2\n"
    )
    return d


def test_init_import_export_verify(cli: Callable[..., CliResult], url: str, tmp_path: Path) -> None:
    r = cli("init", "--database", url, "--json")
    assert r.exit_code == 0, r.stderr
    from hcctrial.store.migrations import head_revision

    assert r.json()["revision"] == head_revision()
    r = cli("import", str(_sample_dir(tmp_path)), "--database", url, "--actor", "dm", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["rows"] == {"sites": 1, "patients": 2, "screenings": 1, "lab_results": 1}
    r = cli("export", str(tmp_path / "out"), "--database", url, "--json")
    assert r.exit_code == 0, r.stderr
    with (tmp_path / "out" / "lab_results.csv").open() as handle:
        (lab,) = list(csv.DictReader(handle))
    assert (lab["analyte"], lab["canonical_value"]) == ("bilirubin", "1.2")
    r = cli("audit", "verify", "--database", url)
    assert r.exit_code == 0, r.stderr
    assert "audit trail intact: 5 entries, 5 records match" in r.stdout


def test_audit_verify_exits_1_naming_the_first_broken_record(
    cli: Callable[..., CliResult], url: str, tmp_path: Path
) -> None:
    from hcctrial.store.session import make_engine

    assert cli("init", "--database", url).exit_code == 0
    assert cli("import", str(_sample_dir(tmp_path)), "--database", url).exit_code == 0
    engine: Any = make_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text("UPDATE patients SET status = 'deceased' WHERE id = 2"))
    finally:
        engine.dispose()
    r = cli("audit", "verify", "--database", url, "--json")
    assert r.exit_code == 1
    assert r.json()["ok"] is False
    assert r.json()["problems"][0]["table"] == "patients"
    assert "first broken record: patients id 2" in r.stderr
    assert "status: audited 'screening', now 'deceased'" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_csv_exits_2_naming_table_row_column_and_writes_nothing(
    cli: Callable[..., CliResult], url: str, tmp_path: Path
) -> None:
    d = _sample_dir(tmp_path)
    (d / "patients.csv").write_text(
        "id,study_id,site_id,enrolment_date,status\n"
        "1,HCC-001,1,2019-03-04,enrolled\n"
        "2,HCC-002,1,04/03/2019,screening\n"
    )
    assert cli("init", "--database", url).exit_code == 0
    r = cli("import", str(d), "--database", url)
    assert r.exit_code == 2
    assert (
        "patients.csv row 3, column enrolment_date: got '04/03/2019'; expected a date YYYY-MM-DD"
        in r.stderr
    )
    assert "Traceback" not in r.stderr
    r = cli("export", str(tmp_path / "out"), "--database", url, "--json")
    assert r.json()["rows"]["sites"] == 0 and r.json()["rows"]["audit_log"] == 0


def test_commands_on_a_database_without_tables_exit_2_with_the_fix(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    import sqlite3

    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).execute("PRAGMA user_version = 0").connection.close()
    r = cli("audit", "verify", "--database", str(empty))
    assert r.exit_code == 2
    assert f"database '{empty}' holds no hcctrial tables" in r.stderr
    assert f"run `hcctrial init --database {empty}` first" in r.stderr
