"""Migrations: upgrade from an empty database creates every table, and the models match it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select

from hcctrial.store.migrations import current_revision, head_revision, upgrade_to_head
from hcctrial.store.models import AuditChainHead, Base
from hcctrial.store.session import make_engine, session_factory

# The tables the issue asks for, written out by hand (not read from the models).
#: The sign-in tables (not records: no version, not audited; issue 16).
SIGNIN_TABLES = {"web_sessions", "login_failures", "api_tokens", "totp_secrets"}
EXPECTED_TABLES = SIGNIN_TABLES | {
    "signatures",
    "locks",
    "sites",
    "users",
    "patients",
    "screenings",
    "screening_criteria",
    "baselines",
    "lab_results",
    "treatment_cycles",
    "cycle_doses",
    "adverse_events",
    "imaging_assessments",
    "lesion_measurements",
    "followups",
    "protocol_deviations",
    "withdrawals",
    "derived_overrides",
    "cycle_exams",
    "form_states",
    "field_verifications",
    "data_queries",
    "audit_log",
    "audit_chain_head",
    "id_high_water",
    "alembic_version",
}


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        assert inspect(engine).get_table_names() == []
        revision = head_revision()
        assert upgrade_to_head(engine) == revision
        assert set(inspect(engine).get_table_names()) == EXPECTED_TABLES
        assert current_revision(engine) == revision
        not_records = {"alembic_version", "audit_log", "audit_chain_head", "id_high_water"}
        for table in EXPECTED_TABLES - not_records - SIGNIN_TABLES:
            columns = {c["name"] for c in inspect(engine).get_columns(table)}
            assert {"id", "version", "created_at", "updated_at"} <= columns, table
        with session_factory(engine)() as s:
            head = s.execute(select(AuditChainHead)).scalar_one()
            assert (head.last_seq, head.last_hash) == (0, "0" * 64)
        assert upgrade_to_head(engine) == revision  # idempotent
    finally:
        engine.dispose()


def test_models_match_the_migration_autogenerate_finds_no_difference(engine: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path: Any) -> None:
    engine = make_engine(tmp_path / "x.sqlite")
    try:
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def _write_at_0001(engine: Any) -> None:
    """Write, as revision 0001 stored them, a patient of status ``completed`` with a baseline of
    encephalopathy ``grade_1_2`` and a criterion of verdict ``missing`` -- audited rows."""
    from datetime import UTC, date, datetime

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from hcctrial.store import models as m
    from hcctrial.store.audit import PendingChange, append_audit
    from hcctrial.store.values import column_specs, row_state

    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    meta = {"version": 1, "created_at": now, "updated_at": now}
    rows = [
        (m.Site, {"id": 1, "code": "S", "name": "Site", "country": None}),
        (
            m.Patient,
            {"id": 1, "study_id": "P1", "site_id": 1, "enrolment_date": date(2019, 1, 2)}
            | {"status": "completed"},
        ),
        (
            m.Screening,
            {"id": 1, "patient_id": 1, "screening_date": date(2019, 1, 1)}
            | {"eligible": True, "notes": None},
        ),
        (
            m.ScreeningCriterion,
            {"id": 1, "screening_id": 1, "criterion_id": "lvef", "verdict": "missing"}
            | {"value": None, "threshold": None, "reason": "not measured"},
        ),
        (
            m.Baseline,
            {"id": 1, "patient_id": 1, "assessment_date": date(2019, 1, 1), "age_years": 60}
            | {"sex": "male", "height_cm": 170.0, "weight_kg": 70.0, "n_nodules": 2}
            | {"largest_cm": 5.0, "vascular_invasion": False, "portal_vein_invasion": False}
            | {"extrahepatic_spread": False, "hbv": True, "hbv_dna_iu_ml": None}
            | {"cirrhosis": True, "ecog": 0, "imaging_modality": "ct", "ascites": "none"}
            | {"encephalopathy": "grade_1_2"},
        ),
    ]
    with engine.begin() as connection:
        session = Session(bind=connection)
        for model, values in rows:
            values = {**values, **meta}
            plain = sa.table(model.__tablename__, *(sa.column(n) for n in column_specs(model)))
            connection.execute(
                sa.insert(plain).values(
                    {
                        k: (v.replace(tzinfo=None) if isinstance(v, datetime) else v)
                        for k, v in values.items()
                    }
                )
            )
            change = PendingChange(
                model.__tablename__,
                values["id"],
                m.AuditAction.INSERT,
                None,
                row_state(model, values),
            )
            append_audit(session, [change], actor="old", reason="written at 0001", at=now)


def test_vocabulary_migration_rewrites_stored_values_and_audits_them(db_url: str) -> None:
    from alembic import command

    from hcctrial.store import models as m
    from hcctrial.store.audit import verify_audit
    from hcctrial.store.migrations import alembic_config

    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection=connection), "0001")
        if engine.dialect.name == "postgresql":  # 0001 wrote naive UTC only on SQLite
            pass
        _write_at_0001(engine)
        upgrade_to_head(engine)
        with session_factory(engine)() as s:
            patient = s.get(m.Patient, 1)
            assert patient is not None and patient.status is m.PatientStatus.FOLLOW_UP
            assert patient.version == 2
            baseline = s.get(m.Baseline, 1)
            assert baseline is not None and baseline.encephalopathy.value == "grade-1-2"
            criterion = s.get(m.ScreeningCriterion, 1)
            assert criterion is not None and criterion.verdict.value == "not_evaluable"
            report = verify_audit(s)
            assert report.ok, report.first_problem
            assert report.entries == 5 + 3  # the inserts, then one audited rewrite per row
    finally:
        engine.dispose()


def test_keying_migration_anchors_an_existing_chain_and_digests_password_hashes(
    db_url: str,
) -> None:
    """A database written before issue 16 (plain sha256 chain, an Argon2 hash in a user's audited
    state) upgrades to a keyed chain that verifies, with the hash replaced by its digest."""
    import hashlib

    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.orm import Session

    from hcctrial.store import models as m
    from hcctrial.store.audit import PendingChange, append_audit
    from hcctrial.store.audit_verify import verify_audit
    from hcctrial.store.migrations import alembic_config
    from hcctrial.store.values import row_state

    argon = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection=connection), "i12_vocabulary")
        now = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        user: dict[str, Any] = {
            "id": 1,
            "username": "dr.li",
            "full_name": None,
            "role": "investigator",
        }
        user |= {"site_id": None, "password_hash": argon, "active": True, "version": 1}
        user |= {"created_at": now, "updated_at": now}
        with engine.begin() as connection:
            plain = sa.table("users", *(sa.column(n) for n in user))
            stored = {
                k: v.replace(tzinfo=None) if k.endswith("_at") else v for k, v in user.items()
            }
            connection.execute(sa.insert(plain).values(stored))
            legacy_state = {**row_state(m.User, user), "password_hash": argon}  # as stored then
            change = PendingChange("users", 1, m.AuditAction.INSERT, None, legacy_state)
            append_audit(Session(bind=connection), [change], actor="old", reason="r", at=now)
            (legacy_hash,) = connection.execute(sa.text("SELECT hash FROM audit_log")).one()
        upgrade_to_head(engine)
        with session_factory(engine)() as s:
            head = s.execute(sa.text("SELECT * FROM audit_chain_head")).mappings().one()
            assert (head["keyed_from"], head["anchor_hash"]) == (2, legacy_hash)
            last = s.scalars(sa.select(m.AuditEntry).order_by(m.AuditEntry.seq.desc())).first()
            assert last is not None and (last.seq, last.actor) == (2, "migration i16_audit")
            digest = "sha256:" + hashlib.sha256(argon.encode()).hexdigest()
            assert json.loads(last.new_values or "{}")["password_hash"] == digest
            report = verify_audit(s)
            assert report.ok, report.problems
        # The entries written before keying are plain sha256 (public formula): rewriting one is
        # still found, since the key check anchors the last of them.
        row = _rewrite_legacy_entry(engine)
        with session_factory(engine)() as s:
            kinds = {(p.kind.value, p.seq) for p in verify_audit(s).problems}
        assert ("anchor_changed", 1) in kinds and ("audit_chain_broken", 2) in kinds, (row, kinds)
    finally:
        engine.dispose()


def _rewrite_legacy_entry(engine: Any) -> str:
    """Give entry 1 another reason and its recomputed plain sha256 (as before keying)."""
    import hashlib

    import sqlalchemy as sa

    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.execute(sa.text("DROP TRIGGER audit_log_no_update"))
        else:
            c.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        e = c.execute(sa.text("SELECT * FROM audit_log WHERE seq = 1")).mappings().one()
        at = e["at"] if isinstance(e["at"], datetime) else datetime.fromisoformat(e["at"])
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        body = {"seq": 1, "at": at.isoformat(), "actor": e["actor"], "table": e["table_name"]}
        body |= {"pk": e["row_pk"], "action": e["action"], "old": e["old_values"]}
        body |= {"new": e["new_values"], "reason": "harmless"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(("0" * 64 + text).encode()).hexdigest()
        c.execute(
            sa.text("UPDATE audit_log SET reason = 'harmless', hash = :h WHERE seq = 1"),
            {"h": digest},
        )
    return digest


def enrolled_patient(uow: Any) -> int:
    """Site GZ and patient GZ-1 screened and enrolled on 2026-01-05 (tests/services ELIGIBLE);
    return the patient's id."""
    from hcctrial.services.accounts import add_site
    from hcctrial.services.patients import screen_and_enrol
    from tests.services.test_actions import ELIGIBLE

    site = add_site(uow, code="GZ", name="Guangzhou", reason="setup")
    return int(
        screen_and_enrol(
            uow,
            study_id="GZ-1",
            site_id=site,
            screening_date="2026-01-05",
            patient=ELIGIBLE,
            reason="form",
        ).patient_id
    )


def test_field_verification_migration_down_and_up_keeps_the_form_states(db_url: str) -> None:
    """i19_sdv_fields adds only ``field_verifications``: down to i19_datamgmt drops it (a form
    state written before stays), up again brings it back empty and writable."""
    from hcctrial.services.field_sdv import field_marks, verify_fields
    from hcctrial.services.form_status import mark_complete
    from hcctrial.services.patients import record_baseline
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.migrations import downgrade_to
    from hcctrial.store.session import open_session
    from tests.services.test_actions import BASELINE, TODAY

    engine = make_engine(db_url)
    admin = Actor.system("test")
    try:
        assert upgrade_to_head(engine) == "i19_id_high_water"
        with open_session(engine) as s:
            uow = UnitOfWork(s, admin, today=TODAY)
            pid = enrolled_patient(uow)
            values = {**BASELINE, "hbv_dna_iu_ml": 1200}
            bid = record_baseline(uow, pid, values, reason="form")
            mark_complete(uow, "baselines", bid)
            verify_fields(uow, "baselines", bid, ["sex"])
        downgrade_to(engine, "i19_datamgmt")
        assert current_revision(engine) == "i19_datamgmt"
        tables = set(inspect(engine).get_table_names())
        assert "field_verifications" not in tables and "form_states" in tables
        assert upgrade_to_head(engine) == "i19_id_high_water"
        with open_session(engine) as s:
            assert field_marks(s, [("baselines", bid)]) == {("baselines", bid): {}}
            assert s.get(m.Baseline, bid) is not None
            marks = verify_fields(UnitOfWork(s, admin, today=TODAY), "baselines", bid, ["ecog"])
            assert [(f, k.verified) for f, k in marks.items()] == [("ecog", True)]
    finally:
        engine.dispose()
