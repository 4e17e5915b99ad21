"""The trial database's tables: raw observations as a research nurse records them.

Every data table derives from :class:`Record` and so carries

- ``id`` — integer surrogate key (CSV files and foreign keys refer to it);
- ``version`` — optimistic-lock counter, 1 on insert, +1 on every update through the service layer;
- ``created_at`` / ``updated_at`` — UTC timestamps set by the service layer.

Derived values (Child-Pugh class, BCLC stage, CTCAE grades of lab values, mRECIST responses) are
*not* stored: the domain engines compute them from these raw records. The only derived-looking table
is :class:`DerivedOverride`, where a person overrides an engine's result with a mandatory reason.
A lab value keeps what was typed (``value_entered`` + ``unit_entered``) and the canonical value the
unit layer (:mod:`hcctrial.clinical.units`) computed from it.

One vocabulary: the enums the domain declares (ascites and encephalopathy in
:mod:`hcctrial.clinical.scores`, attribution in :mod:`hcctrial.assess.adverse_events`, the
criterion verdict in :mod:`hcctrial.protocol.eligibility`) are imported here, not declared again.

Column ``doc`` strings describe each field with its unit; ``docs/database.md`` lists them as the CSV
columns. ``info`` carries validation bounds (``min``/``max``, inclusive) used by the application services
(:mod:`hcctrial.services`) for every door, so that SQLite and PostgreSQL refuse the same values.

The audit tables (:class:`AuditEntry`, :class:`AuditChainHead`) are written only by
:mod:`hcctrial.store.audit`.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# One vocabulary: the domain declares these enums, the store stores their values.
from hcctrial.assess.adverse_events import Attribution
from hcctrial.clinical.scores import Ascites, Encephalopathy
from hcctrial.protocol.eligibility import Verdict

__all__ = [
    "DATA_TABLES",
    "AdverseEvent",
    "Ascites",
    "Attribution",
    "AuditAction",
    "AuditChainHead",
    "AuditEntry",
    "Base",
    "Baseline",
    "CycleDose",
    "CycleExam",
    "DerivedOverride",
    "DeviationSeverity",
    "Encephalopathy",
    "Followup",
    "IdHighWater",
    "ImagingAssessment",
    "ImagingModality",
    "LabResult",
    "LesionKind",
    "LesionMeasurement",
    "LesionStatus",
    "Patient",
    "PatientStatus",
    "ProtocolDeviation",
    "Record",
    "Role",
    "Screening",
    "ScreeningCriterion",
    "Sex",
    "Site",
    "TreatmentCycle",
    "User",
    "Verdict",
    "VitalStatus",
    "Withdrawal",
    "WithdrawalKind",
    "table_of",
]

#: Deterministic constraint names, so the Alembic migration and the models compare equal.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: How SQLite stores a timestamp: UTC with its offset written out (``2024-05-06 07:08:09.123456
#: +00:00`` without the space), so the stored text says it is UTC, as PostgreSQL's timestamptz
#: does. The space separator (not ``T``) keeps text comparisons right against rows stored before
#: the offset was written (``2024-05-06 07:08:09.123456``), which are read as UTC too.
SQLITE_UTC_FORMAT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d+00:00"
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware; the offset is stored on
    both backends (PostgreSQL ``timestamptz``; SQLite text ending ``+00:00``)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import DATETIME

            return dialect.type_descriptor(
                DATETIME(  # type: ignore[no-untyped-call]
                    storage_format=SQLITE_UTC_FORMAT,
                    regexp=r"(\d+)-(\d+)-(\d+)[ T](\d+):(\d+):(\d+)(?:\.(\d{6}))?",
                )
            )
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base: one metadata with a naming convention; timestamps are aware UTC."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}  # noqa: RUF012


# --------------------------------------------------------------------------------------- enums
class Role(enum.StrEnum):
    """What a user may do (the web issue enforces it)."""

    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"
    MONITOR = "monitor"
    STATISTICIAN = "statistician"
    ADMIN = "admin"
    DATA_MANAGER = "data_manager"


class PatientStatus(enum.StrEnum):
    """Where a patient stands in the trial: screened -> enrolled or screen failure -> on treatment
    -> off treatment -> follow-up -> dead / withdrawn / lost to follow-up.

    The transitions and the records each state accepts are :mod:`hcctrial.services.states`.
    """

    SCREENING = "screening"
    SCREEN_FAILURE = "screen_failure"
    ENROLLED = "enrolled"
    ON_TREATMENT = "on_treatment"
    OFF_TREATMENT = "off_treatment"
    FOLLOW_UP = "follow_up"
    WITHDRAWN = "withdrawn"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    DECEASED = "deceased"


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class ImagingModality(enum.StrEnum):
    MRI = "mri"
    CT = "ct"


class LesionKind(enum.StrEnum):
    TARGET = "target"
    NON_TARGET = "non_target"
    NEW = "new"


class LesionStatus(enum.StrEnum):
    """Status of a lesion at one assessment (non-target and new lesions; targets may use it too)."""

    PRESENT = "present"
    ABSENT = "absent"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    NOT_EVALUABLE = "not_evaluable"


class VitalStatus(enum.StrEnum):
    ALIVE = "alive"
    DEAD = "dead"


class DeviationSeverity(enum.StrEnum):
    MINOR = "minor"
    MAJOR = "major"


class WithdrawalKind(enum.StrEnum):
    """Why a patient left the study before its planned end."""

    CONSENT_WITHDRAWN = "consent_withdrawn"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    ADVERSE_EVENT = "adverse_event"
    INVESTIGATOR_DECISION = "investigator_decision"
    PROTOCOL_VIOLATION = "protocol_violation"
    OTHER = "other"


class AuditAction(enum.StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


def table_of(model: type[Any]) -> Table:
    """Return the :class:`~sqlalchemy.Table` of a mapped class (typed, unlike ``__table__``)."""
    return cast(Table, model.__table__)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable (VARCHAR + CHECK) enum column storing the members' values."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="RESTRICT")


# ------------------------------------------------------------------------------------- records
class Record(Base):
    """Columns every data table has: ``id``, ``version``, ``created_at``, ``updated_at``."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-10, doc="record id")
    version: Mapped[int] = mapped_column(
        Integer, sort_order=10, doc="optimistic-lock version (export only)"
    )
    created_at: Mapped[datetime] = mapped_column(sort_order=11, doc="UTC (export only)")
    updated_at: Mapped[datetime] = mapped_column(sort_order=12, doc="UTC (export only)")


class Site(Record):
    """A participating hospital."""

    __tablename__ = "sites"
    code: Mapped[str] = mapped_column(String(32), unique=True, doc="short site code")
    name: Mapped[str] = mapped_column(String(200), doc="hospital name")
    country: Mapped[str | None] = mapped_column(String(100), doc="country")


class User(Record):
    """A person who records or reviews data. ``password_hash`` is filled by the web layer."""

    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), unique=True, doc="login name")
    full_name: Mapped[str | None] = mapped_column(String(200), doc="staff member's name")
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), doc="one of the roles")
    site_id: Mapped[int | None] = mapped_column(_fk("sites.id"), doc="sites.id (optional)")
    password_hash: Mapped[str | None] = mapped_column(
        String(255),
        doc="password hash (web)",
        # audited as "sha256:<hex>" of the hash: the Argon2 hash never enters the audit log
        info={"audit": "digest"},
    )
    active: Mapped[bool] = mapped_column(Boolean, doc="account enabled")


class Patient(Record):
    """A screened person under a pseudonymous study id (no names are stored anywhere)."""

    __tablename__ = "patients"
    study_id: Mapped[str] = mapped_column(String(32), unique=True, doc="pseudonymous study id")
    site_id: Mapped[int] = mapped_column(_fk("sites.id"), index=True, doc="sites.id")
    enrolment_date: Mapped[date | None] = mapped_column(Date, doc="date enrolled (none if not)")
    status: Mapped[PatientStatus] = mapped_column(
        _enum(PatientStatus, "patient_status"), doc="trial status"
    )


class Screening(Record):
    """One patient's screening visit and its overall eligibility verdict."""

    __tablename__ = "screenings"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), unique=True, doc="patients.id")
    screening_date: Mapped[date] = mapped_column(Date, doc="date of the screening visit")
    eligible: Mapped[bool] = mapped_column(Boolean, doc="overall eligibility")
    notes: Mapped[str | None] = mapped_column(Text, doc="free text")


class ScreeningCriterion(Record):
    """The result of one inclusion/exclusion criterion at screening."""

    __tablename__ = "screening_criteria"
    __table_args__ = (UniqueConstraint("screening_id", "criterion_id"),)
    screening_id: Mapped[int] = mapped_column(_fk("screenings.id"), doc="screenings.id")
    criterion_id: Mapped[str] = mapped_column(String(64), doc="criterion id in the protocol")
    verdict: Mapped[Verdict] = mapped_column(
        _enum(Verdict, "criterion_verdict"), doc="met / not_met / not_evaluable"
    )
    value: Mapped[str | None] = mapped_column(String(200), doc="observed value, as text")
    threshold: Mapped[str | None] = mapped_column(String(200), doc="the protocol's threshold")
    reason: Mapped[str | None] = mapped_column(Text, doc="why the verdict")


class Baseline(Record):
    """Demographics and tumour burden at baseline (baseline labs are rows of ``lab_results``)."""

    __tablename__ = "baselines"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), unique=True, doc="patients.id")
    assessment_date: Mapped[date] = mapped_column(Date, doc="date of the baseline assessment")
    age_years: Mapped[int] = mapped_column(Integer, info={"min": 0, "max": 120}, doc="age, years")
    sex: Mapped[Sex] = mapped_column(_enum(Sex, "sex"), doc="male / female")
    height_cm: Mapped[float] = mapped_column(Float, info={"min": 50, "max": 250}, doc="cm")
    weight_kg: Mapped[float] = mapped_column(Float, info={"min": 20, "max": 300}, doc="kg")
    n_nodules: Mapped[int] = mapped_column(Integer, info={"min": 0, "max": 100}, doc="count")
    largest_cm: Mapped[float] = mapped_column(
        Float, info={"min": 0, "max": 40}, doc="largest nodule diameter, cm"
    )
    vascular_invasion: Mapped[bool] = mapped_column(Boolean, doc="macrovascular invasion")
    portal_vein_invasion: Mapped[bool] = mapped_column(Boolean, doc="portal vein tumour thrombus")
    extrahepatic_spread: Mapped[bool] = mapped_column(Boolean, doc="extrahepatic metastasis")
    hbv: Mapped[bool] = mapped_column(Boolean, doc="HBsAg positive")
    hbv_dna_iu_ml: Mapped[float | None] = mapped_column(
        Float, info={"min": 0}, doc="HBV DNA, IU/mL (empty if not measured)"
    )
    cirrhosis: Mapped[bool] = mapped_column(Boolean, doc="liver cirrhosis")
    ecog: Mapped[int] = mapped_column(Integer, info={"min": 0, "max": 4}, doc="ECOG 0-4")
    imaging_modality: Mapped[ImagingModality] = mapped_column(
        _enum(ImagingModality, "imaging_modality"), doc="mri / ct"
    )
    ascites: Mapped[Ascites] = mapped_column(_enum(Ascites, "ascites"), doc="none/slight/moderate")
    encephalopathy: Mapped[Encephalopathy] = mapped_column(
        _enum(Encephalopathy, "encephalopathy"), doc="none / grade-1-2 / grade-3-4"
    )


class LabResult(Record):
    """One lab value as the laboratory reported it, plus its canonical value.

    ``canonical_value`` is computed by :func:`hcctrial.clinical.units.canonical_value` from
    ``value_entered`` and ``unit_entered`` (never typed in). ``uln``/``lln`` are the laboratory's
    normal limits in the unit as entered.
    """

    __tablename__ = "lab_results"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    sample_date: Mapped[date] = mapped_column(Date, doc="date the sample was taken")
    analyte: Mapped[str] = mapped_column(String(32), doc="analyte name (units layer)")
    value_entered: Mapped[float] = mapped_column(Float, doc="value as reported")
    unit_entered: Mapped[str] = mapped_column(String(32), doc="unit as reported")
    canonical_value: Mapped[float] = mapped_column(
        Float, doc="value in the analyte's canonical unit (derived)"
    )
    uln: Mapped[float | None] = mapped_column(Float, doc="upper limit of normal, unit as entered")
    lln: Mapped[float | None] = mapped_column(Float, doc="lower limit of normal, unit as entered")


class TreatmentCycle(Record):
    """One treatment cycle (TACE-HAIC with FOLFOX) and the sorafenib dose in force."""

    __tablename__ = "treatment_cycles"
    __table_args__ = (UniqueConstraint("patient_id", "cycle_number"),)
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), doc="patients.id")
    cycle_number: Mapped[int] = mapped_column(Integer, info={"min": 1, "max": 100}, doc="1, 2, ..")
    cycle_date: Mapped[date] = mapped_column(Date, doc="date of the procedure")
    sorafenib_daily_mg: Mapped[float | None] = mapped_column(
        Float, info={"min": 0, "max": 800}, doc="sorafenib daily dose, mg"
    )
    sorafenib_level: Mapped[int | None] = mapped_column(
        Integer, info={"min": -3, "max": 0}, doc="dose level: 0 full, -1, -2, ..."
    )
    change_reason: Mapped[str | None] = mapped_column(Text, doc="why a dose changed")


class CycleDose(Record):
    """The planned and given dose of one drug in one cycle."""

    __tablename__ = "cycle_doses"
    __table_args__ = (UniqueConstraint("cycle_id", "drug"),)
    cycle_id: Mapped[int] = mapped_column(_fk("treatment_cycles.id"), doc="treatment_cycles.id")
    drug: Mapped[str] = mapped_column(String(64), doc="drug name, e.g. oxaliplatin")
    planned_mg: Mapped[float] = mapped_column(Float, info={"min": 0}, doc="planned dose, mg")
    given_mg: Mapped[float] = mapped_column(Float, info={"min": 0}, doc="dose given, mg")


class AdverseEvent(Record):
    """A clinical adverse event with the grade the clinician assigned (CTCAE 1-5)."""

    __tablename__ = "adverse_events"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    term: Mapped[str] = mapped_column(String(200), doc="CTCAE term")
    grade: Mapped[int] = mapped_column(Integer, info={"min": 1, "max": 5}, doc="CTCAE grade 1-5")
    onset_date: Mapped[date] = mapped_column(Date, doc="date of onset")
    resolution_date: Mapped[date | None] = mapped_column(Date, doc="date resolved (empty: ongoing)")
    attribution: Mapped[Attribution] = mapped_column(
        _enum(Attribution, "attribution"), doc="relation to treatment"
    )
    serious: Mapped[bool] = mapped_column(Boolean, doc="serious adverse event")


class ImagingAssessment(Record):
    """One imaging time point (with the AFP measured at that visit)."""

    __tablename__ = "imaging_assessments"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    assessment_date: Mapped[date] = mapped_column(Date, doc="date of the scan")
    modality: Mapped[ImagingModality] = mapped_column(
        _enum(ImagingModality, "imaging_modality"), doc="mri / ct"
    )
    afp_ng_ml: Mapped[float | None] = mapped_column(Float, info={"min": 0}, doc="AFP, ng/mL")


class LesionMeasurement(Record):
    """One lesion at one imaging time point (mRECIST: viable, arterially enhancing diameter)."""

    __tablename__ = "lesion_measurements"
    __table_args__ = (UniqueConstraint("imaging_id", "lesion_id"),)
    imaging_id: Mapped[int] = mapped_column(
        _fk("imaging_assessments.id"), doc="imaging_assessments.id"
    )
    lesion_id: Mapped[str] = mapped_column(String(32), doc="lesion label, stable over time")
    kind: Mapped[LesionKind] = mapped_column(
        _enum(LesionKind, "lesion_kind"), doc="target / non_target / new"
    )
    organ: Mapped[str] = mapped_column(String(64), doc="organ, e.g. liver")
    diameter_mm: Mapped[float | None] = mapped_column(
        Float, info={"min": 0, "max": 400}, doc="viable tumour diameter, mm"
    )
    status: Mapped[LesionStatus | None] = mapped_column(
        _enum(LesionStatus, "lesion_status"), doc="present/absent/unequivocal_progression/.."
    )
    typical_pattern: Mapped[bool | None] = mapped_column(
        Boolean, doc="typical HCC enhancement pattern"
    )


class Followup(Record):
    """A follow-up contact and the vital status at that date."""

    __tablename__ = "followups"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    contact_date: Mapped[date] = mapped_column(Date, doc="date of contact (or of death)")
    vital_status: Mapped[VitalStatus] = mapped_column(
        _enum(VitalStatus, "vital_status"), doc="alive / dead"
    )
    cause_of_death: Mapped[str | None] = mapped_column(Text, doc="cause, when dead")


class ProtocolDeviation(Record):
    """A departure from the protocol."""

    __tablename__ = "protocol_deviations"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    deviation_date: Mapped[date] = mapped_column(Date, doc="date of the deviation")
    category: Mapped[str] = mapped_column(String(64), doc="e.g. visit_window, dosing")
    severity: Mapped[DeviationSeverity] = mapped_column(
        _enum(DeviationSeverity, "deviation_severity"), doc="minor / major"
    )
    description: Mapped[str] = mapped_column(Text, doc="what happened")


class Withdrawal(Record):
    """A dropout or withdrawal, with its reason."""

    __tablename__ = "withdrawals"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), unique=True, doc="patients.id")
    withdrawal_date: Mapped[date] = mapped_column(Date, doc="date of withdrawal")
    kind: Mapped[WithdrawalKind] = mapped_column(
        _enum(WithdrawalKind, "withdrawal_kind"), doc="reason category"
    )
    reason: Mapped[str] = mapped_column(Text, doc="reason, free text")


class DerivedOverride(Record):
    """A person's override of an engine-computed value (needs a reason; audited like any row)."""

    __tablename__ = "derived_overrides"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True, doc="patients.id")
    entity: Mapped[str] = mapped_column(
        String(64), doc="what was derived, e.g. imaging_assessments"
    )
    entity_id: Mapped[int | None] = mapped_column(Integer, doc="id of that record, if any")
    field: Mapped[str] = mapped_column(String(64), doc="derived field, e.g. mrecist_response")
    computed_value: Mapped[str] = mapped_column(String(200), doc="the engine's value")
    override_value: Mapped[str] = mapped_column(String(200), doc="the value that replaces it")
    reason: Mapped[str] = mapped_column(Text, doc="why (required)")
    overridden_by: Mapped[str] = mapped_column(String(64), doc="who decided")


# ----------------------------------------------------------------------------------------- audit
class AuditEntry(Base):
    """One append-only, hash-chained audit row (see :mod:`hcctrial.store.audit`).

    ``old_values``/``new_values`` hold canonical JSON text (sorted keys), not a JSON column, so the
    bytes that were hashed are the bytes that are stored on every backend.
    """

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    row_pk: Mapped[str] = mapped_column(String(64))
    action: Mapped[AuditAction] = mapped_column(_enum(AuditAction, "audit_action"))
    old_values: Mapped[str | None] = mapped_column(Text)
    new_values: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class IdHighWater(Base):
    """The largest id ever given in each record table (``table_name`` -> ``last_id``).

    Why: SQLite gives a new row ``max(id) + 1``, so after the newest record of a table is deleted
    its id would be given again -- and the audit trail, form states, queries and signatures that
    name the deleted record by (table, id) would then name the new one. The persistence layer
    (:func:`hcctrial.services.persistence.create_many`) gives ids past this mark on SQLite and
    moves it on; PostgreSQL's sequences never give an id twice and leave it unread. Migration
    ``i19_id_high_water`` seeds it from the audit trail (every id a record ever had).
    """

    __tablename__ = "id_high_water"
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)


class AuditChainHead(Base):
    """The single row holding the chain's last sequence number and hash.

    It is locked (``SELECT ... FOR UPDATE``) by every writing transaction, which serialises audit
    appends, and lets ``audit verify`` detect rows cut off the end of the log.
    """

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    #: The chain's random name: it names the default key file (:mod:`hcctrial.store.audit_key`).
    chain_id: Mapped[str | None] = mapped_column(String(32))
    #: The first keyed entry; entries before it were hashed before issue 16 (plain sha256).
    keyed_from: Mapped[int | None] = mapped_column(Integer)
    #: The hash of entry ``keyed_from - 1`` (64 zeros when none): bound to the key by key_check.
    anchor_hash: Mapped[str | None] = mapped_column(String(64))
    #: HMAC of the chain id, keyed_from and anchor_hash under the audit key.
    key_check: Mapped[str | None] = mapped_column(String(64))


#: The audited data tables in foreign-key order (parents before children): CSV import order.
DATA_TABLES: tuple[type[Record], ...] = (
    Site,
    User,
    Patient,
    Screening,
    ScreeningCriterion,
    Baseline,
    LabResult,
    TreatmentCycle,
    CycleDose,
    AdverseEvent,
    ImagingAssessment,
    LesionMeasurement,
    Followup,
    ProtocolDeviation,
    Withdrawal,
    DerivedOverride,
)

# The pre-cycle examination (issue 13): a model of its own module, appended to the data tables
# (it points to patients only, so after every parent).
from hcctrial.store.models_exam import CycleExam  # noqa: E402

DATA_TABLES = (*DATA_TABLES, CycleExam)
# The sign-in tables (issue 16) join the same metadata (migrations and tests see every table).
# The Part 11 tables (signatures, locks) live in their own module; importing it here puts them
# in Base.metadata wherever the models are imported (migrations, create_all, audit verify).
# The data-management tables (form status, queries; issue 19) join the same metadata wherever the
# models are imported (migrations, sessions, tests).
from hcctrial.store import models_datamgmt as _models_datamgmt  # noqa: E402
from hcctrial.store import models_part11 as _part11  # noqa: E402
from hcctrial.store import models_security as _models_security  # noqa: E402, F401

#: Every audited record table (the one list ``audit verify``, the audit views and the delete check
#: read): the trial's data, the Part 11 signatures and locks, the data management's forms and
#: queries.
AUDITED_TABLES: tuple[type[Record], ...] = (
    *DATA_TABLES,
    *_part11.PART11_TABLES,
    *_models_datamgmt.DATAMGMT_TABLES,
)
