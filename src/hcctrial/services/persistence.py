"""The audited writes underneath the trial's actions: insert, update and delete of rows, checked
against the column specifications and written with their hash-chained audit entries.

Only :mod:`hcctrial.services.unit_of_work` calls these functions (a test keeps it so): every door
goes through a trial action, whose unit of work applies the rules first. They are the persistence
primitives, kept apart so that the rules read in one place and the bulk path stays fast. Each takes
the ``actor`` (who) and the ``reason`` (why), checks the values against the column specifications
(:mod:`hcctrial.store.values`), writes the rows and their audit entries in the caller's
transaction, and leaves commit/rollback to the caller.

Optimistic locking: :func:`update` and :func:`delete` take the ``expected_version`` the user saw;
the row is changed only ``WHERE id = :id AND version = :expected_version``. If someone else changed it
first, :class:`hcctrial.errors.ConflictError` says so and nothing is written — never a lost update.

Bulk: :func:`create_many` inserts thousands of rows with one ``executemany`` per chunk and one audit
``executemany`` per chunk (the import, the demo generator and the benchmark). Rows may carry their
own ``id`` (then foreign keys can be set before inserting); otherwise ids come back from
``INSERT ... RETURNING`` in the order of the rows.

Derived column: a lab result's ``canonical_value`` is computed here from ``value_entered`` and
``unit_entered`` by :func:`hcctrial.clinical.units.canonical_value`; a caller may pass it only if it
agrees. A :class:`~hcctrial.store.models.DerivedOverride` needs a reason and defaults
``overridden_by`` to the actor. Each problem found carries the id of the rule it breaks
(FIELD-VALUE, LAB-UNIT, LAB-PLAUSIBLE, AE-CTCAE-TERM, AE-CTCAE-GRADE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from hcctrial.errors import ConflictError, DataValidationError, UnitError, field_error
from hcctrial.store.audit import PendingChange, append_audit
from hcctrial.store.audit_bulk import append_insert_audit, insert_state_texts
from hcctrial.store.models import (
    AUDITED_TABLES,
    AdverseEvent,
    AuditAction,
    DerivedOverride,
    LabResult,
    Record,
    table_of,
)
from hcctrial.store.values import (
    MANAGED_COLUMNS,
    FieldProblem,
    NeedsFullCheck,
    check_value,
    column_specs,
    fast_checkers,
    row_state,
)

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "adverse_event_problems",
    "conflict",
    "create",
    "create_many",
    "current_version",
    "delete",
    "get",
    "insert_preparer",
    "lab_problems",
    "prepare_insert_row",
    "prepare_row",
    "referencing_rows",
    "update",
]

M = TypeVar("M", bound=Record)

#: Rows per executemany in :func:`create_many` (bounds memory; one audit batch per chunk).
CHUNK_ROWS = 5_000


def _now() -> datetime:
    return datetime.now(UTC)


def _check_actor_reason(actor: str, reason: str) -> None:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 64:
        raise field_error(
            "actor", actor, "the non-empty name of who makes the change (<= 64 chars)"
        )
    if not isinstance(reason, str) or not reason.strip():
        raise field_error("reason", reason, "a non-empty reason for the change")


@lru_cache(maxsize=65_536)
def _canonical_lab_value(analyte: str, value: float, unit: str) -> float:
    """Cached :func:`hcctrial.clinical.units.canonical_value` (pint costs ~0.1 ms per call)."""
    from hcctrial.clinical.units import canonical_value

    return canonical_value(analyte, value, unit, field="value_entered")


def lab_problems(row: dict[str, Any], given_canonical: object) -> list[FieldProblem]:
    analyte, value, unit = row.get("analyte"), row.get("value_entered"), row.get("unit_entered")
    if analyte is None or value is None or unit is None:
        return []
    try:
        canonical = _canonical_lab_value(str(analyte), float(value), str(unit))
    except UnitError as exc:
        column = "analyte" if "unknown analyte" in exc.message else "unit_entered"
        rule = "LAB-UNIT"
        if "physiological range" in exc.message:
            column, rule = "value_entered", "LAB-PLAUSIBLE"
        return [
            FieldProblem(
                column,
                value if column == "value_entered" else row[column],
                exc.message.split(": ", 1)[-1],
                rule,
            )
        ]
    if given_canonical not in (None, ""):
        try:
            given = float(given_canonical)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            given = float("nan")
        if not abs(given - canonical) <= 1e-9 * max(1.0, abs(canonical)):
            return [
                FieldProblem(
                    "canonical_value",
                    given_canonical,
                    f"{canonical!r} (derived from {value} {unit}) or empty",
                )
            ]
    row["canonical_value"] = canonical
    return []


def _version(ctcae_version: str | None) -> str:
    """``ctcae_version``, or the trial's (the default regimen's) when None."""
    if ctcae_version is not None:
        return ctcae_version
    from hcctrial.protocol.regimen import trial_ctcae_version

    return trial_ctcae_version()


@lru_cache(maxsize=4_096)
def _canonical_ae(term: str, grade: int | None, version: str) -> tuple[str, str | None, str | None]:
    """Cached answer of the one keeper of AE terms and grades,
    :func:`hcctrial.assess.adverse_events.canonical_adverse_event` (CTCAE ``version``, the trial's
    from its regimen file): (CTCAE name, None, None), or ("", refused field, what was expected)."""
    from hcctrial.assess.adverse_events import canonical_adverse_event, validate_term

    try:
        if grade is None:  # an update that leaves the grade: the term alone
            return validate_term(term, version), None, None
        return canonical_adverse_event(term, grade, version), None, None
    except DataValidationError as exc:
        if exc.field == "grade":
            # "grade: got 4; CTCAE v4.03 grades of 'Nausea' are 1, 2, 3"
            return "", "grade", "a grade CTCAE defines: " + exc.message.split("; ", 1)[-1]
        return "", "term", exc.message.split("; expected ", 1)[-1]


def adverse_event_problems(
    row: dict[str, Any], ctcae_version: str | None = None
) -> list[FieldProblem]:
    """Check an adverse event's term and grade through the one keeper of the CTCAE vocabulary
    (:func:`hcctrial.assess.adverse_events.canonical_adverse_event`, which ``grade ae`` and the
    course engine's record parser also call) and store the term under its CTCAE name: a synonym
    ("hand-foot skin reaction") is stored as "Palmar-plantar erythrodysesthesia syndrome", so
    every rule sees one spelling; a grade CTCAE does not define for the term (hand-foot skin
    reaction grade 4) is refused (AE-CTCAE-GRADE).

    ``ctcae_version``: the trial's CTCAE version
    (:func:`hcctrial.protocol.regimen.trial_ctcae_version` of the unit of work's regimen; the
    default regimen's when None).

    The term is a controlled vocabulary, not free text: an unknown term would leave the worst-grade
    tables unable to count it, so it is refused here, for every way in (web, API, CSV, REDCap,
    demo).
    """
    term, grade = row.get("term"), row.get("grade")
    if term is None:
        return []
    number = None if grade is None or isinstance(grade, bool) else int(grade)
    name, refused, expected = _canonical_ae(str(term), number, _version(ctcae_version))
    if refused == "term":
        return [FieldProblem("term", term, str(expected), "AE-CTCAE-TERM")]
    if refused == "grade":
        return [FieldProblem("grade", grade, str(expected), "AE-CTCAE-GRADE")]
    row["term"] = name
    return []


def prepare_row(
    model: type[Record],
    values: Mapping[str, object],
    *,
    partial: bool = False,
    ctcae_version: str | None = None,
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Return the checked column values of one row and the problems found (empty when valid).

    ``partial`` checks only the columns given (an update); otherwise every required column must be
    present. ``ctcae_version``: the CTCAE version an adverse event's term and grade are checked
    against (:func:`adverse_event_problems`). Managed columns (``version``, ``created_at``, ``updated_at``) are refused — the
    service layer sets them — except that a CSV export's values are ignored by the importer.
    """
    specs = column_specs(model)
    out: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, raw in values.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(
                FieldProblem(name, raw, f"a column of {model.__tablename__}: {', '.join(specs)}")
            )
            continue
        if name in MANAGED_COLUMNS:
            problems.append(FieldProblem(name, raw, "not to be set (the service layer sets it)"))
            continue
        if model is LabResult and name == "canonical_value":
            continue  # derived below
        value, problem = check_value(spec, raw)
        if problem is not None:
            problems.append(problem)
        else:
            out[name] = value
    if not partial:
        for name, spec in specs.items():
            if name in out or name in MANAGED_COLUMNS or name == "id" or spec.nullable:
                continue
            if model is LabResult and name == "canonical_value":
                continue
            if model is DerivedOverride and name == "overridden_by":
                continue
            if not any(p.column == name for p in problems):
                problems.append(FieldProblem(name, None, spec.expected()))
    if model is LabResult and not problems and not partial:
        problems.extend(lab_problems(out, values.get("canonical_value")))
    if model is AdverseEvent and not problems and not partial:
        problems.extend(adverse_event_problems(out, ctcae_version))
    return out, problems


def _raise_problems(model: type[Record], problems: Sequence[FieldProblem], where: str = "") -> None:
    if not problems:
        return
    table = model.__tablename__
    text = "; ".join(
        f"{table}{where}.{p.column}: got {p.value!r}; expected {p.expected}" for p in problems
    )
    raise DataValidationError(text, field=problems[0].column)


def _refused_by_database(model: type[Record], exc: Exception) -> DataValidationError:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return DataValidationError(
        f"{model.__tablename__}: the database refused the change ({detail}); check unique values "
        "and that referenced records exist"
    )


def get(session: Session, model: type[M], pk: int) -> M:
    """Return the record ``pk`` of ``model`` (fresh from the database) or raise if missing."""
    obj = session.get(model, pk, populate_existing=True)
    if obj is None:
        raise field_error(f"{model.__tablename__}.id", pk, "the id of an existing record")
    return obj


def create(
    session: Session, model: type[M], values: Mapping[str, object], *, actor: str, reason: str
) -> M:
    """Insert one record, audit it, and return it (with its ``id`` and ``version`` 1)."""
    (pk,) = create_many(session, model, [values], actor=actor, reason=reason)
    return get(session, model, pk)


def _required_columns(model: type[Record]) -> frozenset[str]:
    """The columns a new row must give (as :func:`prepare_row` requires them)."""
    return frozenset(
        name
        for name, spec in column_specs(model).items()
        if not (
            name in MANAGED_COLUMNS
            or name == "id"
            or spec.nullable
            or (model is LabResult and name == "canonical_value")
            or (model is DerivedOverride and name == "overridden_by")
        )
    )


_Preparer = Callable[[Mapping[str, object]], tuple[dict[str, Any], list[FieldProblem]]]
_PREPARERS: dict[tuple[type[Record], str | None], _Preparer] = {}


def insert_preparer(model: type[Record], ctcae_version: str | None = None) -> _Preparer:
    """Return :func:`prepare_row` for new rows of ``model``, with a fast path for valid rows.

    The fast path runs the precompiled per-column checkers of
    :func:`hcctrial.store.values.fast_checkers`, which accept only values they convert exactly
    as :func:`~hcctrial.store.values.check_value` does; any other value, an unknown or managed
    column, a missing required column or a lab value the units layer refuses sends the row to
    :func:`prepare_row` itself, so every refusal and its message are those of
    :func:`prepare_row` (adverse events checked against CTCAE ``ctcae_version``).
    """
    cached = _PREPARERS.get((model, ctcae_version))
    if cached is not None:
        return cached
    is_lab = model is LabResult
    checkers = {n: c for n, c in fast_checkers(model).items() if n not in MANAGED_COLUMNS}
    if is_lab:
        del checkers["canonical_value"]  # derived below, as in prepare_row
    required = _required_columns(model)

    def full(values: Mapping[str, object]) -> tuple[dict[str, Any], list[FieldProblem]]:
        return prepare_row(model, values, ctcae_version=ctcae_version)

    def prepare(values: Mapping[str, object]) -> tuple[dict[str, Any], list[FieldProblem]]:
        out: dict[str, Any] = {}
        try:
            for name, raw in values.items():
                check = checkers.get(name)
                if check is None:
                    if is_lab and name == "canonical_value":
                        continue
                    raise NeedsFullCheck
                out[name] = check(raw)
        except NeedsFullCheck:
            return full(values)
        if not required <= out.keys():
            return full(values)
        if is_lab and lab_problems(out, values.get("canonical_value")):
            return full(values)
        if model is AdverseEvent and adverse_event_problems(out, ctcae_version):
            return full(values)
        return out, []

    _PREPARERS[(model, ctcae_version)] = prepare
    return prepare


def prepare_insert_row(
    model: type[Record], values: Mapping[str, object]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Return what ``prepare_row(model, values)`` returns (a new, complete row), faster in bulk."""
    return insert_preparer(model)(values)


def create_many(
    session: Session,
    model: type[Record],
    rows: Iterable[Mapping[str, object]],
    *,
    actor: str,
    reason: str,
    checked: bool = False,
) -> list[int]:
    """Insert many records of one table with their audit entries; return their ids in order.

    ``checked``: the rows are already what :func:`prepare_insert_row` returns for them (the unit
    of work checked them); they are not checked again.

    Either every row carries an ``id`` or none does. All rows are checked before anything of a
    chunk is written; a bad row raises :class:`DataValidationError` naming the row (0-based index),
    the column, the value and what was expected (the caller's transaction should then roll back).

    Speed (see ``docs/performance.md``): rows are checked by precompiled per-column checkers
    (:func:`prepare_insert_row`), kept as tuples, their canonical JSON built with per-column
    encoders (:func:`~hcctrial.store.audit_bulk.insert_state_texts`), the audit chain hashed in one
    loop (:func:`~hcctrial.store.audit_bulk.append_insert_audit`), and rows with ids inserted
    at driver level (:func:`~hcctrial.store.bulk_insert.insert_rows`: ``COPY`` on PostgreSQL,
    ``executemany`` on SQLite). Rows without ids go through ``INSERT ... RETURNING`` on
    PostgreSQL; on SQLite they get ids past every id the table ever gave
    (:mod:`hcctrial.store.record_ids`: a deleted record's id is never given again).
    """
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError as DbIntegrityError

    from hcctrial.store.bulk_insert import insert_rows
    from hcctrial.store.record_ids import gives_own_ids, note_ids, reserve_ids

    _check_actor_reason(actor, reason)
    own_ids = gives_own_ids(session)
    table = table_of(model)
    table_name = str(table.name)  # a plain str: drivers adapt str subclasses slowly
    now = _now()
    prepare = insert_preparer(model)
    constants: dict[str, object] = {"version": 1, "created_at": now, "updated_at": now}
    data_columns = [c.name for c in table.columns if c.name not in MANAGED_COLUMNS]
    names: list[str] = []
    ids: list[int] = []
    explicit: bool | None = None
    chunk: list[tuple[object, ...]] = []
    is_override = model is DerivedOverride

    def flush_chunk() -> None:
        if not chunk:
            return
        try:
            if explicit:
                insert_rows(session, table, names, chunk, constants)
                at = names.index("id")
                chunk_ids = [int(r[at]) for r in chunk]  # type: ignore[call-overload]
                if own_ids:
                    note_ids(session, table, chunk_ids)
            elif own_ids:  # SQLite: ids past every id ever given (store/record_ids.py)
                chunk_ids = reserve_ids(session, table, len(chunk))
                rows_with_ids = [(i, *r) for i, r in zip(chunk_ids, chunk, strict=True)]
                insert_rows(session, table, ["id", *names], rows_with_ids, constants)
            else:
                stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
                params = [{**dict(zip(names, r, strict=True)), **constants} for r in chunk]
                chunk_ids = [int(x) for x in session.execute(stmt, params).scalars()]
        except DbIntegrityError as exc:
            raise _refused_by_database(model, exc) from exc
        news = insert_state_texts(model, names, chunk, chunk_ids, constants)
        append_insert_audit(
            session, table_name, chunk_ids, news, actor=actor, reason=reason, at=now
        )
        ids.extend(chunk_ids)
        chunk.clear()

    for index, values in enumerate(rows):
        prepared: dict[str, Any]
        if checked:
            prepared = values if type(values) is dict else dict(values)
        else:
            prepared, problems = prepare(values)
            _raise_problems(model, problems, f"[row {index}]")
        has_id = prepared.get("id") is not None
        if explicit is None:
            explicit = has_id
            names = data_columns if explicit else [n for n in data_columns if n != "id"]
        elif explicit != has_id:
            raise DataValidationError(
                f"{table.name}[row {index}].id: either every row gives an id or none does"
            )
        if is_override and prepared.get("overridden_by") is None:
            prepared["overridden_by"] = actor
        chunk.append(tuple(map(prepared.get, names)))
        if len(chunk) >= CHUNK_ROWS:
            flush_chunk()
    flush_chunk()
    if explicit and ids:
        advance_id_sequence(session, model)
    return ids


def advance_id_sequence(session: Session, model: type[Record]) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequence past the largest id."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite picks max(rowid) + 1 by itself
    name = model.__tablename__
    session.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
        )
    )


def _load_for_change(
    session: Session, model: type[Record], pk: int, expected_version: int
) -> dict[str, Any]:
    from sqlalchemy import select

    table = table_of(model)
    row = session.execute(select(table).where(table.c.id == pk)).mappings().one_or_none()
    if row is None:
        raise field_error(f"{table.name}.id", pk, "the id of an existing record")
    if row["version"] != expected_version:
        raise conflict(table.name, pk, expected_version, row["version"])
    return dict(row)


def conflict(table: str, pk: int, expected: int, actual: object) -> ConflictError:
    now = "deleted" if actual is None else f"at version {actual}"
    return ConflictError(
        f"[VERSION-STALE] {table} id {pk} was changed by someone else since you loaded it (you edited version "
        f"{expected}, the record is now {now}); reload it and apply your change again"
    )


def update(
    session: Session,
    model: type[M],
    pk: int,
    changes: Mapping[str, object],
    *,
    expected_version: int,
    actor: str,
    reason: str,
    ctcae_version: str | None = None,
) -> M:
    """Change some columns of record ``pk``, if it is still at ``expected_version``; audit it
    (an adverse event's term and grade checked against CTCAE ``ctcae_version``).

    Raises :class:`ConflictError` when the record has another version (someone else saved first).
    Returns the updated record (``version`` = ``expected_version + 1``).
    """
    from sqlalchemy import update as sql_update
    from sqlalchemy.exc import IntegrityError as DbIntegrityError

    _check_actor_reason(actor, reason)
    if "id" in changes:
        raise field_error(f"{model.__tablename__}.id", changes["id"], "no change of the id")
    prepared, problems = prepare_row(model, changes, partial=True)
    _raise_problems(model, problems)
    table = table_of(model)
    old = _load_for_change(session, model, pk, expected_version)
    new = {**old, **prepared}
    if model is LabResult:
        _raise_problems(model, lab_problems(new, changes.get("canonical_value")))
        prepared["canonical_value"] = new["canonical_value"]
    if model is AdverseEvent and ("term" in changes or "grade" in changes):
        _raise_problems(model, adverse_event_problems(new, ctcae_version))
        prepared["term"] = new["term"]
    now = _now()
    prepared.update(version=expected_version + 1, updated_at=now)
    new.update(prepared)
    try:
        result = session.execute(
            sql_update(table)
            .where(table.c.id == pk, table.c.version == expected_version)
            .values(**prepared)
        )
    except DbIntegrityError as exc:
        raise _refused_by_database(model, exc) from exc
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict(table.name, pk, expected_version, current_version(session, model, pk))
    change = PendingChange(
        table.name, pk, AuditAction.UPDATE, row_state(model, old), row_state(model, new)
    )
    append_audit(session, [change], actor=actor, reason=reason, at=now)
    return get(session, model, pk)


def current_version(session: Session, model: type[Record], pk: int) -> int | None:
    from sqlalchemy import select

    table = table_of(model)
    return session.execute(select(table.c.version).where(table.c.id == pk)).scalar_one_or_none()


def referencing_rows(session: Session, model: type[Record], pk: int) -> list[str]:
    from sqlalchemy import func, select

    found = []
    for other in AUDITED_TABLES:
        for column in table_of(other).columns:
            for fk in column.foreign_keys:
                if fk.column.table is table_of(model):
                    n = session.execute(
                        select(func.count()).select_from(table_of(other)).where(column == pk)
                    ).scalar_one()
                    if n:
                        found.append(f"{n} row(s) of {other.__tablename__}.{column.name}")
    return found


def delete(
    session: Session,
    model: type[Record],
    pk: int,
    *,
    expected_version: int,
    actor: str,
    reason: str,
) -> None:
    """Delete record ``pk`` if it is still at ``expected_version`` and nothing refers to it; audit.

    Raises :class:`ConflictError` on another version, and :class:`DataValidationError` while other
    records refer to it (delete those first: nothing disappears silently by cascade).
    """
    from sqlalchemy import delete as sql_delete

    _check_actor_reason(actor, reason)
    table = table_of(model)
    old = _load_for_change(session, model, pk, expected_version)
    referencing = referencing_rows(session, model, pk)
    if referencing:
        raise DataValidationError(
            f"{table.name} id {pk} cannot be deleted: {', '.join(referencing)} refer to it; "
            "delete or re-assign those first"
        )
    result = session.execute(
        sql_delete(table).where(table.c.id == pk, table.c.version == expected_version)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict(table.name, pk, expected_version, current_version(session, model, pk))
    change = PendingChange(table.name, pk, AuditAction.DELETE, row_state(model, old), None)
    append_audit(session, [change], actor=actor, reason=reason, at=_now())
    obj = session.get(model, pk)
    if obj is not None:
        session.expunge(obj)
