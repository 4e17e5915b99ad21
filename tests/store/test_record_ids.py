"""A deleted record's id is never given again (store/record_ids.py, migration i19_id_high_water).

SQLite gives a new row ``max(id) + 1``: before this, deleting the newest lab and saving another
gave the new lab the deleted one's id, and the audit trail, form state, queries and signatures of
the deleted lab named the new one. Each test runs on SQLite and PostgreSQL (whose sequences never
gave an id twice); the expected ids are counted by hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hcctrial.services import amend, labs
from hcctrial.services.permissions import Actor
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m
from hcctrial.store.migrations import downgrade_to, head_revision, upgrade_to_head
from hcctrial.store.session import make_engine, open_session
from tests.services.test_actions import TODAY, _treated, work

__all__ = ["work"]

ALT = {"sample_date": "2026-01-20", "analyte": "alt", "unit_entered": "U/L", "uln": 40}


def _lab(work: Any, pid: int, value: float) -> int:
    row = {**ALT, "value_entered": value}
    return int(work(lambda u: labs.record_lab(u, pid, row, reason="form")))


def _delete(work: Any, lab_id: int) -> None:
    work(
        lambda u: amend.delete_record(
            u, m.LabResult, lab_id, expected_version=1, reason="entered on the wrong patient"
        )
    )


def test_the_newest_record_deleted_its_id_is_not_given_again(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)
    first = _lab(work, pid, 30)
    second = _lab(work, pid, 31)
    assert second == first + 1
    _delete(work, second)  # the newest lab: SQLite alone would give its id again
    third = _lab(work, pid, 32)
    assert third == second + 1
    _delete(work, third)
    _delete(work, first)  # every lab gone: the table is empty
    assert _lab(work, pid, 33) == third + 1
    with sessions() as s:
        # the audit trail of the second lab holds its own insert and delete, nothing of another
        pks = s.scalars(
            select(m.AuditEntry.action).where(
                m.AuditEntry.table_name == "lab_results", m.AuditEntry.row_pk == str(second)
            )
        ).all()
        assert [a.value for a in pks] == ["insert", "delete"]


def test_ids_given_by_an_import_move_the_mark_too(work: Any, sessions: Any) -> None:
    from hcctrial.services.plan import Insert
    from hcctrial.services.rules import Action

    pid, _ = _treated(work)
    with sessions() as s:
        top = int(s.scalar(select(func.max(m.LabResult.id))) or 0)
    given = [top + 100, top + 101]
    rows = [
        {**ALT, "id": i, "patient_id": pid, "value_entered": 30.0 + k} for k, i in enumerate(given)
    ]
    work(lambda u: u.run(Action.IMPORT, [Insert(m.LabResult, rows)], reason="import"))
    _delete(work, top + 101)
    assert _lab(work, pid, 35) == top + 102  # past the deleted imported id


def test_the_migration_marks_every_id_the_audit_trail_has_seen(db_url: str) -> None:
    """A database written before i19_id_high_water, whose newest lab was deleted: the upgrade
    seeds the mark from the audit trail, so the next lab does not take the deleted one's id."""
    from tests.store.test_migrations import enrolled_patient

    engine = make_engine(db_url)
    admin = Actor.system("test")
    try:
        upgrade_to_head(engine)
        with open_session(engine) as s:
            uow = UnitOfWork(s, admin, today=TODAY)
            pid = enrolled_patient(uow)
            newest = labs.record_lab(uow, pid, {**ALT, "value_entered": 30}, reason="form")
        downgrade_to(engine, "i19_sdv_fields")  # as a database of yesterday
        with open_session(engine) as s:
            amend.delete_record(
                UnitOfWork(s, admin, today=TODAY),
                m.LabResult,
                newest,
                expected_version=1,
                reason="entered on the wrong patient",
            )
        assert upgrade_to_head(engine) == head_revision() == "i19_id_high_water"
        with open_session(engine) as s:
            mark = s.get(m.IdHighWater, "lab_results")
            assert mark is not None and mark.last_id == newest
            again = labs.record_lab(
                UnitOfWork(s, admin, today=TODAY), pid, {**ALT, "value_entered": 31}, reason="form"
            )
            assert again == newest + 1
    finally:
        engine.dispose()
