"""Initial schema: the trial tables, the audit log and its append-only guards.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 11:04:31.898838
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


GENESIS_HASH = "0" * 64

_SQLITE_GUARDS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
)
_POSTGRES_GUARDS = (
    "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
)


def _create_guards() -> None:
    dialect = op.get_bind().dialect.name
    guards = {"sqlite": _SQLITE_GUARDS, "postgresql": _POSTGRES_GUARDS}.get(dialect, ())
    for statement in guards:
        op.execute(statement)


def _drop_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_pk", sa.String(length=64), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "insert",
                "update",
                "delete",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("old_values", sa.Text(), nullable=True),
        sa.Column("new_values", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_table_name"), "audit_log", ["table_name"], unique=False)

    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_sites_code")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "screening",
                "screen_failure",
                "enrolled",
                "on_treatment",
                "follow_up",
                "completed",
                "withdrawn",
                "deceased",
                name="patient_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_patients_site_id_sites"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("study_id", name=op.f("uq_patients_study_id")),
    )
    op.create_index(op.f("ix_patients_site_id"), "patients", ["site_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "investigator",
                "coordinator",
                "monitor",
                "statistician",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_users_site_id_sites"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "adverse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("resolution_date", sa.Date(), nullable=True),
        sa.Column(
            "attribution",
            sa.Enum(
                "unrelated",
                "unlikely",
                "possible",
                "probable",
                "definite",
                name="attribution",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_adverse_events_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_events")),
    )
    op.create_index(
        op.f("ix_adverse_events_patient_id"), "adverse_events", ["patient_id"], unique=False
    )

    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("assessment_date", sa.Date(), nullable=False),
        sa.Column("age_years", sa.Integer(), nullable=False),
        sa.Column(
            "sex",
            sa.Enum(
                "male", "female", name="sex", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("height_cm", sa.Float(), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("n_nodules", sa.Integer(), nullable=False),
        sa.Column("largest_cm", sa.Float(), nullable=False),
        sa.Column("vascular_invasion", sa.Boolean(), nullable=False),
        sa.Column("portal_vein_invasion", sa.Boolean(), nullable=False),
        sa.Column("extrahepatic_spread", sa.Boolean(), nullable=False),
        sa.Column("hbv", sa.Boolean(), nullable=False),
        sa.Column("hbv_dna_iu_ml", sa.Float(), nullable=True),
        sa.Column("cirrhosis", sa.Boolean(), nullable=False),
        sa.Column("ecog", sa.Integer(), nullable=False),
        sa.Column(
            "imaging_modality",
            sa.Enum(
                "mri",
                "ct",
                name="imaging_modality",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "ascites",
            sa.Enum(
                "none",
                "slight",
                "moderate",
                name="ascites",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "encephalopathy",
            sa.Enum(
                "none",
                "grade_1_2",
                "grade_3_4",
                name="encephalopathy",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_baselines_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselines")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_baselines_patient_id")),
    )
    op.create_table(
        "derived_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("computed_value", sa.String(length=200), nullable=False),
        sa.Column("override_value", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("overridden_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_derived_overrides_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derived_overrides")),
    )
    op.create_index(
        op.f("ix_derived_overrides_patient_id"), "derived_overrides", ["patient_id"], unique=False
    )

    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("contact_date", sa.Date(), nullable=False),
        sa.Column(
            "vital_status",
            sa.Enum(
                "alive",
                "dead",
                name="vital_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("cause_of_death", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_followups_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    op.create_index(op.f("ix_followups_patient_id"), "followups", ["patient_id"], unique=False)

    op.create_table(
        "imaging_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("assessment_date", sa.Date(), nullable=False),
        sa.Column(
            "modality",
            sa.Enum(
                "mri",
                "ct",
                name="imaging_modality",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("afp_ng_ml", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_imaging_assessments_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_assessments")),
    )
    op.create_index(
        op.f("ix_imaging_assessments_patient_id"),
        "imaging_assessments",
        ["patient_id"],
        unique=False,
    )

    op.create_table(
        "lab_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("sample_date", sa.Date(), nullable=False),
        sa.Column("analyte", sa.String(length=32), nullable=False),
        sa.Column("value_entered", sa.Float(), nullable=False),
        sa.Column("unit_entered", sa.String(length=32), nullable=False),
        sa.Column("canonical_value", sa.Float(), nullable=False),
        sa.Column("uln", sa.Float(), nullable=True),
        sa.Column("lln", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_lab_results_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_results")),
    )
    op.create_index(op.f("ix_lab_results_patient_id"), "lab_results", ["patient_id"], unique=False)

    op.create_table(
        "protocol_deviations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("deviation_date", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "minor",
                "major",
                name="deviation_severity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_protocol_deviations_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_deviations")),
    )
    op.create_index(
        op.f("ix_protocol_deviations_patient_id"),
        "protocol_deviations",
        ["patient_id"],
        unique=False,
    )

    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("screening_date", sa.Date(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_screenings_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_screenings_patient_id")),
    )
    op.create_table(
        "treatment_cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("cycle_date", sa.Date(), nullable=False),
        sa.Column("sorafenib_daily_mg", sa.Float(), nullable=True),
        sa.Column("sorafenib_level", sa.Integer(), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_treatment_cycles_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_cycles")),
        sa.UniqueConstraint(
            "patient_id", "cycle_number", name=op.f("uq_treatment_cycles_patient_id_cycle_number")
        ),
    )
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("withdrawal_date", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "consent_withdrawn",
                "lost_to_follow_up",
                "adverse_event",
                "investigator_decision",
                "protocol_violation",
                "other",
                name="withdrawal_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_withdrawals_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_withdrawals_patient_id")),
    )
    op.create_table(
        "cycle_doses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("drug", sa.String(length=64), nullable=False),
        sa.Column("planned_mg", sa.Float(), nullable=False),
        sa.Column("given_mg", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["treatment_cycles.id"],
            name=op.f("fk_cycle_doses_cycle_id_treatment_cycles"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_doses")),
        sa.UniqueConstraint("cycle_id", "drug", name=op.f("uq_cycle_doses_cycle_id_drug")),
    )
    op.create_table(
        "lesion_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imaging_id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "target",
                "non_target",
                "new",
                name="lesion_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("organ", sa.String(length=64), nullable=False),
        sa.Column("diameter_mm", sa.Float(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "present",
                "absent",
                "unequivocal_progression",
                "not_evaluable",
                name="lesion_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("typical_pattern", sa.Boolean(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["imaging_id"],
            ["imaging_assessments.id"],
            name=op.f("fk_lesion_measurements_imaging_id_imaging_assessments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesion_measurements")),
        sa.UniqueConstraint(
            "imaging_id", "lesion_id", name=op.f("uq_lesion_measurements_imaging_id_lesion_id")
        ),
    )
    op.create_table(
        "screening_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=64), nullable=False),
        sa.Column(
            "verdict",
            sa.Enum(
                "met",
                "not_met",
                "missing",
                name="criterion_verdict",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("threshold", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_screening_criteria_screening_id_screenings"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_criteria")),
        sa.UniqueConstraint(
            "screening_id",
            "criterion_id",
            name=op.f("uq_screening_criteria_screening_id_criterion_id"),
        ),
    )
    head = sa.table(
        "audit_chain_head",
        sa.column("id", sa.Integer),
        sa.column("last_seq", sa.Integer),
        sa.column("last_hash", sa.String),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}])
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table("screening_criteria")
    op.drop_table("lesion_measurements")
    op.drop_table("cycle_doses")
    op.drop_table("withdrawals")
    op.drop_table("treatment_cycles")
    op.drop_table("screenings")
    op.drop_index(op.f("ix_protocol_deviations_patient_id"), table_name="protocol_deviations")

    op.drop_table("protocol_deviations")
    op.drop_index(op.f("ix_lab_results_patient_id"), table_name="lab_results")

    op.drop_table("lab_results")
    op.drop_index(op.f("ix_imaging_assessments_patient_id"), table_name="imaging_assessments")

    op.drop_table("imaging_assessments")
    op.drop_index(op.f("ix_followups_patient_id"), table_name="followups")

    op.drop_table("followups")
    op.drop_index(op.f("ix_derived_overrides_patient_id"), table_name="derived_overrides")

    op.drop_table("derived_overrides")
    op.drop_table("baselines")
    op.drop_index(op.f("ix_adverse_events_patient_id"), table_name="adverse_events")

    op.drop_table("adverse_events")
    op.drop_table("users")
    op.drop_index(op.f("ix_patients_site_id"), table_name="patients")

    op.drop_table("patients")
    op.drop_table("sites")
    op.drop_index(op.f("ix_audit_log_table_name"), table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_table("audit_chain_head")
