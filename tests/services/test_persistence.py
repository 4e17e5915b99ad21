"""The audited persistence under the services: CRUD of every record type, audit rows for every
change, optimistic locking (the rules of the trial are tested through the actions)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hcctrial.errors import ConflictError, DataValidationError
from hcctrial.services.persistence import create, create_many, delete, get, update
from hcctrial.store import models as m
from hcctrial.store.audit import verify_audit
from tests.store.sample import ACTOR, REASON, write_sample_trial


def _audit(session: Any) -> list[m.AuditEntry]:
    return list(session.scalars(select(m.AuditEntry).order_by(m.AuditEntry.seq)))


def test_every_table_round_trips_through_the_service_layer(sessions: Any) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
    with sessions() as s:
        baseline = get(s, m.Baseline, ids["baseline"])
        assert (baseline.sex, baseline.height_cm, baseline.ecog) == (m.Sex.MALE, 170.0, 1)
        assert baseline.assessment_date == date(2019, 3, 1)
        assert baseline.portal_vein_invasion is True
        patient = get(s, m.Patient, ids["patient"])
        assert patient.status is m.PatientStatus.WITHDRAWN
        assert (patient.version, patient.created_at.tzinfo) == (1, UTC)
        assert abs(patient.created_at - datetime.now(UTC)) < timedelta(minutes=5)
        lesion = get(s, m.LesionMeasurement, ids["lesion"])
        assert (lesion.kind, lesion.diameter_mm) == (m.LesionKind.TARGET, 61.0)
        for model in m.DATA_TABLES:  # one row per table, two patients
            n = s.scalar(select(func.count()).select_from(m.table_of(model)))
            assert n == (2 if model is m.Patient else 1), model.__tablename__


def test_lab_canonical_value_is_derived_from_value_and_unit(sessions: Any) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
    with sessions() as s, s.begin():
        lab = get(s, m.LabResult, ids["lab"])
        # albumin 35 g/L = 35 / 10 g/dL = 3.5 g/dL (1 dL = 0.1 L)
        assert (lab.value_entered, lab.unit_entered, lab.canonical_value) == (35.0, "g/L", 3.5)
        lab = update(
            s,
            m.LabResult,
            lab.id,
            {"value_entered": 2.8, "unit_entered": "g/dL"},
            expected_version=1,
            actor=ACTOR,
            reason="transcription error",
        )
        assert lab.canonical_value == 2.8
        with pytest.raises(DataValidationError, match="canonical_value"):
            update(
                s,
                m.LabResult,
                lab.id,
                {"canonical_value": 9.0},
                expected_version=2,
                actor=ACTOR,
                reason="typed a derived value",
            )


def test_update_changes_values_bumps_version_and_is_audited(sessions: Any) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
    with sessions() as s, s.begin():
        ae = update(
            s,
            m.AdverseEvent,
            ids["ae"],
            {"grade": 3, "resolution_date": "2019-03-20"},
            expected_version=1,
            actor="dr.chen",
            reason="worsened, then resolved",
        )
        assert (ae.grade, ae.resolution_date, ae.version) == (3, date(2019, 3, 20), 2)
    with sessions() as s:
        last = _audit(s)[-1]
        assert (last.action, last.table_name, last.row_pk) == (
            "update",
            "adverse_events",
            str(ids["ae"]),
        )
        assert (last.actor, last.reason) == ("dr.chen", "worsened, then resolved")
        old, new = json.loads(last.old_values or ""), json.loads(last.new_values or "")
        assert (old["grade"], old["resolution_date"], old["version"]) == (2, None, 1)
        assert (new["grade"], new["resolution_date"], new["version"]) == (3, "2019-03-20", 2)
        assert last.at.tzinfo == UTC


def test_every_insert_update_delete_writes_one_audit_row(sessions: Any) -> None:
    with sessions() as s, s.begin():
        site = create(s, m.Site, {"code": "A", "name": "Alpha"}, actor="admin", reason="opened")
        update(
            s,
            m.Site,
            site.id,
            {"name": "Alpha Hospital"},
            expected_version=1,
            actor="admin",
            reason="full name",
        )
        delete(s, m.Site, site.id, expected_version=2, actor="admin", reason="never recruited")
    with sessions() as s:
        entries = _audit(s)
        assert [(e.seq, e.action, e.table_name) for e in entries] == [
            (1, "insert", "sites"),
            (2, "update", "sites"),
            (3, "delete", "sites"),
        ]
        assert entries[0].old_values is None
        assert json.loads(entries[0].new_values or "")["name"] == "Alpha"
        assert json.loads(entries[2].old_values or "")["name"] == "Alpha Hospital"
        assert entries[2].new_values is None
        assert s.get(m.Site, site.id) is None
        assert verify_audit(s).ok


@pytest.mark.parametrize(
    ("model", "values", "column", "expected"),
    [
        ("Baseline", {"ecog": 5}, "ecog", "between 0 and 4"),
        ("Baseline", {"sex": "x"}, "sex", "one of male, female"),
        ("Baseline", {"assessment_date": "2019-02-30"}, "assessment_date", "a date YYYY-MM-DD"),
        ("AdverseEvent", {"grade": 0}, "grade", "between 1 and 5"),
        ("AdverseEvent", {"grade": "two"}, "grade", "an integer"),
        ("Patient", {"study_id": ""}, "study_id", "required"),
        ("LesionMeasurement", {"kind": "target_lesion"}, "kind", "one of target, non_target, new"),
        ("Site", {"code": "X" * 33}, "code", "at most 32 characters"),
    ],
)
def test_a_bad_value_is_refused_naming_table_column_value_and_expectation(
    sessions: Any, model: str, values: dict[str, Any], column: str, expected: str
) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
    cls = getattr(m, model)
    pk = ids[
        {
            "Baseline": "baseline",
            "AdverseEvent": "ae",
            "Patient": "patient",
            "LesionMeasurement": "lesion",
            "Site": "site",
        }[model]
    ]
    with sessions() as s, s.begin(), pytest.raises(DataValidationError) as err:
        update(s, cls, pk, values, expected_version=1, actor=ACTOR, reason="edit")
    message = str(err.value)
    assert f"{cls.__tablename__}.{column}" in message
    assert repr(values[column]) in message
    assert expected in message


def test_actor_and_reason_are_required(sessions: Any) -> None:
    with sessions() as s, s.begin():
        with pytest.raises(DataValidationError, match="reason"):
            create(s, m.Site, {"code": "A", "name": "A"}, actor="admin", reason=" ")
        with pytest.raises(DataValidationError, match="actor"):
            create(s, m.Site, {"code": "A", "name": "A"}, actor="", reason="why")


def test_override_needs_a_reason_and_records_who(sessions: Any) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
        override = get(s, m.DerivedOverride, ids["override"])
        assert override.overridden_by == ACTOR  # defaults to the actor
        with pytest.raises(DataValidationError, match=r"derived_overrides\[row 0\]\.reason"):
            create(
                s,
                m.DerivedOverride,
                {
                    "patient_id": ids["patient"],
                    "entity": "baselines",
                    "field": "bclc",
                    "computed_value": "C",
                    "override_value": "B",
                    "reason": "",
                },
                actor=ACTOR,
                reason="entry",
            )


def test_deleting_a_record_others_refer_to_is_refused(sessions: Any) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
    with (
        sessions() as s,
        s.begin(),
        pytest.raises(DataValidationError, match="patients id 1 cannot be deleted"),
    ):
        delete(s, m.Patient, ids["patient"], expected_version=1, actor=ACTOR, reason="x")


def test_orm_writes_that_bypass_the_audit_are_refused(sessions: Any) -> None:
    now = datetime.now(UTC)
    with sessions() as s:
        s.add(m.Site(code="Z", name="Z", version=1, created_at=now, updated_at=now))
        with pytest.raises(DataValidationError, match="services"):
            s.flush()
        s.rollback()
        assert s.scalar(select(func.count()).select_from(m.Site)) == 0


def test_second_of_two_concurrent_editors_gets_a_conflict_and_nothing_is_lost(
    sessions: Any,
) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
    a, b = sessions(), sessions()
    try:
        seen_a = get(a, m.Patient, ids["patient"])
        seen_b = get(b, m.Patient, ids["patient"])
        assert seen_a.version == seen_b.version == 1
        a.commit()
        b.commit()  # both have loaded version 1 and ended their read transactions
        update(
            a,
            m.Patient,
            ids["patient"],
            {"status": "follow_up"},
            expected_version=1,
            actor="nurse.a",
            reason="treatment ended",
        )
        a.commit()
        with pytest.raises(ConflictError) as err:
            update(
                b,
                m.Patient,
                ids["patient"],
                {"status": "withdrawn"},
                expected_version=1,
                actor="nurse.b",
                reason="withdrew",
            )
        b.rollback()
        assert "patients id 1 was changed by someone else" in str(err.value)
        assert "version 1" in str(err.value) and "version 2" in str(err.value)
        assert err.value.exit_code == 3
    finally:
        a.close()
        b.close()
    with sessions() as s:
        patient = get(s, m.Patient, ids["patient"])
        assert (patient.status, patient.version) == (m.PatientStatus.FOLLOW_UP, 2)
        assert [e.actor for e in _audit(s) if e.action == "update"] == ["nurse.a"]
        assert verify_audit(s).ok


def test_delete_with_a_stale_version_is_a_conflict(sessions: Any) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
        update(
            s,
            m.Followup,
            ids["followup"],
            {"vital_status": "dead"},
            expected_version=1,
            actor=ACTOR,
            reason="died",
        )
    with sessions() as s, s.begin(), pytest.raises(ConflictError):
        delete(s, m.Followup, ids["followup"], expected_version=1, actor=ACTOR, reason="dup")


def test_create_many_inserts_in_bulk_with_ids_in_order_and_one_audit_row_each(
    sessions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hcctrial.services.persistence.CHUNK_ROWS", 50)
    with sessions() as s, s.begin():
        site = create(s, m.Site, {"code": "S", "name": "S"}, actor="gen", reason="demo")
        rows = [
            {"study_id": f"P{i:05d}", "site_id": site.id, "status": "enrolled"} for i in range(120)
        ]  # three chunks of 50 (CHUNK_ROWS patched above)
        ids = create_many(s, m.Patient, rows, actor="gen", reason="demo")
        explicit = create_many(
            s,
            m.Followup,
            [
                {
                    "id": 100 + i,
                    "patient_id": pid,
                    "contact_date": date(2020, 1, 1),
                    "vital_status": "alive",
                }
                for i, pid in enumerate(ids[:10])
            ],
            actor="gen",
            reason="demo",
        )
    assert explicit == list(range(100, 110))
    with sessions() as s:
        by_id = dict(s.execute(select(m.Patient.id, m.Patient.study_id)).all())
        assert [by_id[i] for i in ids] == [r["study_id"] for r in rows]
        assert s.scalar(select(func.count()).select_from(m.AuditEntry)) == 1 + 120 + 10
        assert verify_audit(s).ok
    with sessions() as s, s.begin():  # the id sequence moved past the explicit ids
        nxt = create(
            s,
            m.Followup,
            {"patient_id": ids[0], "contact_date": "2020-02-01", "vital_status": "alive"},
            actor="gen",
            reason="demo",
        )
        assert nxt.id > 109


def test_create_many_refuses_mixing_rows_with_and_without_id(sessions: Any) -> None:
    with sessions() as s, s.begin(), pytest.raises(DataValidationError, match="every row"):
        create_many(
            s,
            m.Site,
            [{"id": 5, "code": "A", "name": "A"}, {"code": "B", "name": "B"}],
            actor="a",
            reason="r",
        )


def test_duplicate_unique_value_is_refused_by_the_database_with_a_clear_error(
    sessions: Any,
) -> None:
    with sessions() as s, s.begin():
        create(s, m.Site, {"code": "A", "name": "A"}, actor=ACTOR, reason=REASON)
        with pytest.raises(DataValidationError, match="sites: the database refused"):
            create(s, m.Site, {"code": "A", "name": "again"}, actor=ACTOR, reason=REASON)


def test_an_adverse_event_term_must_be_a_ctcae_term_and_is_stored_under_its_ctcae_name(
    sessions: Any,
) -> None:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
    base = {
        "patient_id": ids["patient"],
        "grade": 2,
        "onset_date": date(2019, 4, 1),
        "attribution": "possible",
        "serious": False,
    }
    with sessions() as s, s.begin():
        # the paper's name of the term is a synonym of CTCAE's (docs/ctcae.md)
        ae = create(
            s,
            m.AdverseEvent,
            {**base, "term": "hand-foot skin reaction"},
            actor=ACTOR,
            reason=REASON,
        )
        assert ae.term == "Palmar-plantar erythrodysesthesia syndrome"
    with sessions() as s, s.begin():
        n_before = s.scalar(select(func.count()).select_from(m.table_of(m.AdverseEvent)))
    with sessions() as s:
        with pytest.raises(
            DataValidationError, match=r"adverse_events.*?\.term: got 'Nausia'; expected a term of"
        ) as e:
            create(s, m.AdverseEvent, {**base, "term": "Nausia"}, actor=ACTOR, reason=REASON)
        assert "Nausea" in str(e.value)  # the close match is suggested
        s.rollback()
        # CTCAE v4.03 defines nausea grades 1-3 only
        with pytest.raises(
            DataValidationError, match=r"adverse_events.*?\.grade: got 4; expected a grade CTCAE"
        ):
            create(
                s,
                m.AdverseEvent,
                {**base, "term": "Nausea", "grade": 4},
                actor=ACTOR,
                reason=REASON,
            )
        s.rollback()
    with sessions() as s, s.begin():
        n_after = s.scalar(select(func.count()).select_from(m.table_of(m.AdverseEvent)))
        assert n_after == n_before  # nothing half-written
        with pytest.raises(DataValidationError, match=r"adverse_events\.grade"):
            update(
                s,
                m.AdverseEvent,
                ae.id,
                {"term": "Nausea", "grade": 4},
                expected_version=1,
                actor=ACTOR,
                reason="recoded",
            )
