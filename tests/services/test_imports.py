"""The import applies every rule: a file set that breaks one is refused whole, naming the file, the
row and the rule; the demo trial passes every rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from hcctrial.services.imports import import_rows
from hcctrial.services.permissions import Actor
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m
from hcctrial.store.csv_io import CsvImportError

TODAY = date(2026, 3, 2)


def _trial(**patient: Any) -> dict[str, list[dict[str, Any]]]:
    """A site, an enrolled patient with an eligible screening and a lab."""
    return {
        "sites": [{"id": 1, "code": "GZ", "name": "Guangzhou"}],
        "patients": [
            {"id": 1, "study_id": "P1", "site_id": 1, "enrolment_date": "2019-03-04"}
            | {"status": "enrolled"}
            | patient
        ],
        "screenings": [
            {"id": 1, "patient_id": 1, "screening_date": "2019-03-01", "eligible": True}
        ],
        "screening_criteria": [
            {"id": 1, "screening_id": 1, "criterion_id": "wbc", "verdict": "met"}
        ],
        "lab_results": [
            {"id": 1, "patient_id": 1, "sample_date": "2019-03-01", "analyte": "albumin"}
            | {"value_entered": 35, "unit_entered": "g/L"}
        ],
    }


def _import(sessions: Any, tables: Any, actor: Actor | None = None) -> dict[str, int]:
    with sessions() as s, s.begin():
        uow = UnitOfWork(s, actor or Actor.system("dm"), today=TODAY)
        return import_rows(uow, tables, reason="load")


def _count(sessions: Any) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(m.AuditEntry)) or 0)


def test_a_consistent_trial_is_imported(sessions: Any) -> None:
    assert _import(sessions, _trial())["patients"] == 1


@pytest.mark.parametrize(
    ("change", "rule", "where"),
    [
        # the records make the patient enrolled (an eligible screening, no cycle)
        ({"patients": {"status": "on_treatment"}}, "STATUS-RECORDS", "patients.csv row 2"),
        ({"patients": {"enrolment_date": ""}}, "ENROL-ELIGIBLE", "patients.csv row 2"),
        ({"screening_criteria": {"verdict": "not_met"}}, "SCREEN-VERDICTS", "screenings.csv row 2"),
        ({"lab_results": {"sample_date": "2035-01-01"}}, "DATE-FUTURE", "lab_results.csv row 2"),
        (
            {"lab_results": {"sample_date": "1900-01-01"}},
            "DATE-BEFORE-SCREENING",
            "lab_results.csv row 2",
        ),
        ({"patients": {"study_id": "P 1"}}, "STUDY-ID", "patients.csv row 2"),
        ({"lab_results": {"unit_entered": "furlongs"}}, "LAB-UNIT", "lab_results.csv row 2"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_one_broken_rule_refuses_the_whole_file_set_naming_file_row_and_rule(
    sessions: Any, change: dict[str, dict[str, Any]], rule: str, where: str
) -> None:
    tables = _trial()
    for table, values in change.items():
        tables[table][0] |= values
    before = _count(sessions)
    with pytest.raises(CsvImportError) as err:
        _import(sessions, tables)
    assert [e.rule for e in err.value.errors] == [rule], str(err.value)
    assert where in str(err.value) and f"[{rule}]" in str(err.value)
    assert _count(sessions) == before  # nothing written


def test_enrolment_after_the_recorded_death_is_refused(sessions: Any) -> None:
    tables = _trial(enrolment_date="2019-06-01", status="deceased")
    tables["followups"] = [
        {"id": 1, "patient_id": 1, "contact_date": "2019-05-01", "vital_status": "dead"}
    ]
    with pytest.raises(CsvImportError) as err:
        _import(sessions, tables)
    assert {(e.table, e.column, e.rule) for e in err.value.errors} == {
        ("patients", "enrolment_date", "AFTER-DEATH")
    }


def test_a_site_bound_user_imports_only_its_own_sites_patients(sessions: Any) -> None:
    _import(sessions, {"sites": _trial()["sites"] + [{"id": 2, "code": "SH", "name": "SH"}]})
    tables = {k: v for k, v in _trial().items() if k != "sites"}
    inv_sh = Actor(5, "inv_sh", m.Role.INVESTIGATOR, 2)
    with pytest.raises(CsvImportError) as err:
        _import(sessions, tables, inv_sh)
    assert {e.rule for e in err.value.errors} == {"AUTH-SITE"}
    with pytest.raises(CsvImportError) as err:  # nor sites or accounts
        _import(sessions, {"sites": [{"id": 3, "code": "BJ", "name": "Beijing"}]}, inv_sh)
    assert [e.rule for e in err.value.errors] == ["AUTH-ROLE"]
    inv_gz = Actor(6, "inv_gz", m.Role.INVESTIGATOR, 1)
    assert _import(sessions, tables, inv_gz)["lab_results"] == 1


def test_the_demo_trial_passes_every_rule(tmp_path: Any) -> None:
    from hcctrial.demo.generate import write_demo_trial
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(tmp_path / "demo.sqlite")
    try:
        upgrade_to_head(engine)
        summary = write_demo_trial(engine)  # the import: refused if any rule broke
        with open_session(engine) as s:
            states = dict(
                s.execute(select(m.Patient.status, func.count()).group_by(m.Patient.status)).all()
            )
    finally:
        engine.dispose()
    assert summary.rows["patients"] == 82
    # 16 screen failures; every enrolled patient dead, withdrawn or in follow-up at the cut-off
    assert states[m.PatientStatus.SCREEN_FAILURE] == 16
    assert sum(states.values()) == 82
    assert set(states) <= {
        m.PatientStatus.SCREEN_FAILURE,
        m.PatientStatus.DECEASED,
        m.PatientStatus.WITHDRAWN,
        m.PatientStatus.FOLLOW_UP,
    }
