"""The fast bulk path gives exactly what the general path gives: same checks, JSON, hashes, rows.

References: the general, per-value functions the bulk path replaces — ``prepare_row`` (checking),
``canonical_json(row_state(...))`` (the audited state), ``entry_hash`` (the documented chain
formula) — and, end to end, ``verify_audit`` plus the values read back from each database.
"""

from __future__ import annotations

import enum
import json
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hcctrial.errors import DataValidationError
from hcctrial.services.persistence import create, create_many, prepare_insert_row, prepare_row
from hcctrial.store import models as m
from hcctrial.store.audit import GENESIS_HASH, canonical_json, entry_hash, verify_audit
from hcctrial.store.audit_bulk import insert_entry_hashes, insert_state_texts
from hcctrial.store.audit_verify import entry_body, stored_state_text
from hcctrial.store.values import MANAGED_COLUMNS, column_specs, row_state

_TEXT = (
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
    | st.sampled_from(
        ["", " ", "\t", " 7 ", "1_0", "1e3", "nan", "inf", "true", " Yes", "2019-03-01"]
    )
    | st.sampled_from([32, 33, 64, 65, 200, 201]).map(lambda n: "x" * n)
)  # at/over max lengths

#: Values of every kind, valid or not for any column: the two paths must agree on all of them.
_RAW = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([*m.PatientStatus, *m.Sex, *m.LesionKind, *m.Role, m.AuditAction.INSERT]),
)


def _valid_value(model: type[m.Record], name: str) -> st.SearchStrategy[Any]:
    """Values a column accepts (so that whole rows pass and the fast path is taken)."""
    spec = column_specs(model)[name]
    lo = -1e6 if spec.minimum is None else spec.minimum
    hi = 1e6 if spec.maximum is None else spec.maximum
    base: st.SearchStrategy[Any]
    if spec.kind == "int":
        base = st.integers(min_value=math.ceil(lo), max_value=int(hi))
        base = base | base.map(str)
    elif spec.kind == "float":
        base = st.floats(min_value=lo, max_value=hi, allow_nan=False)
        base = base | base.map(repr) | st.integers(min_value=math.ceil(lo), max_value=int(hi))
    elif spec.kind == "bool":
        base = st.booleans() | st.sampled_from(["true", "F", " yes ", "0"])
    elif spec.kind == "date":
        base = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))
        base = base | base.map(date.isoformat)
    elif spec.kind == "enum":
        assert spec.enum_class is not None
        members = list(spec.enum_class)
        base = st.sampled_from(members) | st.sampled_from([str(x.value) for x in members])
    else:
        base = st.text(min_size=1, max_size=spec.max_length or 40).filter(lambda s: s.strip())
    return (base | st.none()) if spec.nullable else base


def _edges(model: type[m.Record], name: str) -> st.SearchStrategy[Any]:
    """Values at and just past a column's limits (length, minimum, maximum), as value and text."""
    spec = column_specs(model)[name]
    edges: list[Any] = [" ", ""]
    if spec.max_length:
        edges += ["x" * spec.max_length, "x" * (spec.max_length + 1)]
    for bound in (spec.minimum, spec.maximum):
        if bound is not None:
            for x in (bound - 1, bound, bound + 1, bound - 1e-9, bound + 1e-9):
                edges += [x, int(x), str(x), repr(float(x))]
    return st.sampled_from(edges)


_MODELS = [m.Site, m.Patient, m.Baseline, m.TreatmentCycle, m.LesionMeasurement, m.DerivedOverride]


@st.composite
def _rows(draw: st.DrawFn, model: type[m.Record]) -> dict[str, Any]:
    names = [n for n in column_specs(model) if n not in MANAGED_COLUMNS]
    row = {n: draw(_valid_value(model, n)) for n in names if n != "id" or draw(st.booleans())}
    if draw(st.booleans()):  # spoil the row: a wrong value, a dropped or unknown column
        how = draw(st.sampled_from(["value", "drop", "unknown", "managed"]))
        if how == "value":
            name = draw(st.sampled_from(names))
            row[name] = draw(_edges(model, name) if draw(st.booleans()) else _RAW)
        elif how == "drop":
            row.pop(draw(st.sampled_from(names)), None)
        elif how == "unknown":
            row["colour"] = "red"
        else:
            row["version"] = 1
    return row


@pytest.mark.parametrize("model", _MODELS, ids=lambda x: x.__tablename__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_checking_returns_what_prepare_row_returns(model: Any, data: st.DataObject) -> None:
    row = data.draw(_rows(model))
    assert prepare_insert_row(model, row) == prepare_row(model, row)


_ODD = [
    None,
    "",
    " ",
    "\t",
    True,
    False,
    0,
    1,
    -1,
    2**60,
    1.5,
    -0.0,
    float("nan"),
    float("inf"),
    "abc",
    " 3 ",
    "1_0",
    "1e3",
    "true",
    "NO",
    "met",
    "male ",
    "MRI",
    date(2020, 1, 1),
    datetime(2020, 1, 1, 12),
    "2020-02-30",
    "2020-01-01T00:00",
    m.Sex.MALE,
    m.Role.ADMIN,
    "x" * 300,
]


def _base_row(model: type[m.Record]) -> dict[str, Any]:
    """A valid row of ``model``: every column at a plain valid value."""
    row: dict[str, Any] = {}
    for name, spec in column_specs(model).items():
        if name in MANAGED_COLUMNS:
            continue
        if spec.kind == "int":
            row[name] = 1 if spec.minimum is None else int(spec.minimum)
        elif spec.kind == "float":
            row[name] = 1.0 if spec.minimum is None else float(spec.minimum) + 1.0
        elif spec.kind == "bool":
            row[name] = True
        elif spec.kind == "date":
            row[name] = date(2020, 1, 1)
        elif spec.kind == "enum":
            assert spec.enum_class is not None
            row[name] = next(iter(spec.enum_class))
        else:
            row[name] = "a"
    return row


@pytest.mark.parametrize("model", _MODELS, ids=lambda x: x.__tablename__)
def test_fast_checking_agrees_on_every_column_at_its_edges_and_on_odd_values(model: Any) -> None:
    # Table-driven complement of the property test: each column, each limit +-1 (and 1e-9), as
    # number and as text, and a fixed list of odd values; the rest of the row stays valid.
    base = _base_row(model)
    assert prepare_insert_row(model, base) == prepare_row(model, base) == (base, [])
    for name in base:
        values = list(_ODD)
        spec = column_specs(model)[name]
        if spec.max_length:
            values += ["x" * spec.max_length, "x" * (spec.max_length + 1)]
        for bound in (spec.minimum, spec.maximum):
            if bound is not None:
                for x in (bound - 1, bound, bound + 1, bound - 1e-9, bound + 1e-9):
                    values += [x, int(x), str(x), repr(float(x))]
        for value in values:
            row = {**base, name: value}
            assert prepare_insert_row(model, row) == prepare_row(model, row), (name, value)
        row = {k: v for k, v in base.items() if k != name}
        assert prepare_insert_row(model, row) == prepare_row(model, row), name


@settings(max_examples=150, deadline=None)
@given(
    analyte=st.sampled_from(["albumin", "bilirubin", "afp", "platelets", "unobtainium"]),
    unit=st.sampled_from(["g/L", "g/dL", "umol/L", "mg/dL", "ng/mL", "x10^9/L", "furlongs"]),
    value=st.one_of(st.floats(min_value=-1, max_value=5000), st.integers(0, 3000), _TEXT),
    canonical=st.one_of(st.none(), st.just(""), st.floats(0, 100), st.just("3.5")),
)
def test_fast_checking_of_lab_values_returns_what_prepare_row_returns(
    analyte: str, unit: str, value: Any, canonical: Any
) -> None:
    row = {
        "id": 1,
        "patient_id": 1,
        "sample_date": "2019-03-01",
        "analyte": analyte,
        "value_entered": value,
        "unit_entered": unit,
    }
    if canonical is not None:
        row["canonical_value"] = canonical
    assert prepare_insert_row(m.LabResult, row) == prepare_row(m.LabResult, row)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prev=st.sampled_from([GENESIS_HASH, "ab" * 32]),
    first=st.integers(1, 10**9),
    actor=st.text(min_size=1, max_size=20),
    reason=st.text(min_size=1, max_size=40),
    table=st.sampled_from(["sites", "lab_results", 'we"ird\\tab\u00e9']),
    news=st.lists(st.text(max_size=60), min_size=1, max_size=5),
    key=st.sampled_from([None, b"k" * 32, bytes(range(64))]),
)
def test_bulk_hashes_follow_the_documented_entry_hash(
    prev: str, first: int, actor: str, reason: str, table: str, news: list[str], key: bytes | None
) -> None:
    pks = [str(first + 7 * i) for i in range(len(news))]
    at = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC).isoformat()
    got = insert_entry_hashes(
        prev, first, at=at, actor=actor, table=table, pks=pks, news=news, reason=reason, key=key
    )
    expected, link = [], prev
    for k, (pk, new) in enumerate(zip(pks, news, strict=True)):
        link = entry_hash(
            link,
            seq=first + k,
            at=at,
            actor=actor,
            table=table,
            pk=pk,
            action="insert",
            old=None,
            new=new,
            reason=reason,
            key=key,
        )
        expected.append(link)
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(
    seq=st.integers(1, 10**12),
    texts=st.lists(st.text(max_size=30), min_size=5, max_size=5),
    old=st.none() | st.text(max_size=40),
    new=st.none() | st.text(max_size=40),
    action=st.sampled_from(["insert", "update", "delete"]),
)
def test_verify_entry_body_is_the_canonical_json_of_the_entry(
    seq: int, texts: list[str], old: str | None, new: str | None, action: str
) -> None:
    # audit verify builds the hashed body by concatenation; json.dumps is the reference.
    at, actor, table, pk, reason = texts
    fields = dict(seq=seq, at=at, actor=actor, table=table, pk=pk, action=action, old=old, new=new)
    reference = json.dumps(
        {**fields, "reason": reason}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert entry_body(**fields, reason=reason) == reference  # type: ignore[arg-type]


@pytest.mark.parametrize("model", _MODELS, ids=lambda x: x.__tablename__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_bulk_row_json_is_the_canonical_json_of_row_state(model: Any, data: st.DataObject) -> None:
    values, problems = prepare_row(model, data.draw(_rows(model)))
    if problems:
        return
    names = [n for n in column_specs(model) if n not in MANAGED_COLUMNS and n != "id"]
    pk = data.draw(st.integers(1, 2**40))
    now = datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    constants = {"version": 1, "created_at": now, "updated_at": now}
    row = tuple(values.get(n) for n in names)
    full = {**dict(zip(names, row, strict=True)), **constants, "id": pk}
    assert insert_state_texts(model, names, [row], [pk], constants) == [
        canonical_json(row_state(model, full))
    ]


def test_bulk_row_json_handles_values_outside_the_fast_forms() -> None:
    # A value the fast encoders do not special-case (here a str subclass, an enum member, in a
    # text column) takes the general form canonical_json(state_value(...)); escapes as json does.
    names = ["code", "name", "country"]
    now = datetime(2024, 1, 1, tzinfo=UTC)
    constants = {"version": 1, "created_at": now, "updated_at": now}
    row = (m.Sex.MALE, 'x\ty\n"z\\', None)
    texts = insert_state_texts(m.Site, names, [row], [5], constants)
    full = {**dict(zip(names, row, strict=True)), **constants, "id": 5}
    assert texts == [canonical_json(row_state(m.Site, full))]
    assert '"code":"male"' in texts[0] and '"country":null' in texts[0]


# ----------------------------------------------------------------------- end to end, both DBs
_AWKWARD = ["tab\there", "new\nline", "back\\slash", 'quote"s', "é中文", "\\N", "carriage\rret"]


def test_bulk_insert_of_awkward_values_reads_back_exactly_and_verifies(sessions: Any) -> None:
    # COPY (PostgreSQL) and executemany (SQLite) must store these strings and floats unchanged.
    floats = [0.1, 1e-300, 799.1234567890123, 2.0**-30, 1 / 3]
    with sessions() as s, s.begin():
        create(s, m.Site, {"code": "S", "name": "S"}, actor="a", reason="r")
        pids = create_many(
            s,
            m.Patient,
            [
                {"id": 10 + i, "study_id": f"P{i}", "site_id": 1, "status": "enrolled"}
                for i in range(len(_AWKWARD))
            ],
            actor="bulk \t actor é",
            reason='reason with "quotes" and \\ and \n',
        )
        create_many(
            s,
            m.DerivedOverride,
            [
                {
                    "id": 100 + i,
                    "patient_id": pid,
                    "entity": "x",
                    "field": "f",
                    "computed_value": text,
                    "override_value": text[::-1],
                    "reason": text,
                    "entity_id": None if i % 2 else i,
                }
                for i, (pid, text) in enumerate(zip(pids, _AWKWARD, strict=True))
            ],
            actor="doc",
            reason="review",
        )
        create_many(
            s,
            m.CycleDose,
            [],
            actor="doc",
            reason="nothing",
        )
        create_many(
            s,
            m.TreatmentCycle,
            [
                {
                    "id": 50 + i,
                    "patient_id": pids[0],
                    "cycle_number": i + 1,
                    "cycle_date": date(2019, 1, 1) + timedelta(days=21 * i),
                    "sorafenib_daily_mg": x,
                }
                for i, x in enumerate(floats)
            ],
            actor="doc",
            reason="cycles",
        )
    with sessions() as s:
        overrides = s.execute(
            select(m.DerivedOverride.computed_value, m.DerivedOverride.overridden_by).order_by(
                m.DerivedOverride.id
            )
        ).all()
        assert [tuple(r) for r in overrides] == [(t, "doc") for t in _AWKWARD]
        doses = s.scalars(
            select(m.TreatmentCycle.sorafenib_daily_mg).order_by(m.TreatmentCycle.id)
        ).all()
        assert doses == floats
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.row_pk == "10")).one()
        assert (entry.actor, entry.reason) == (
            "bulk \t actor é",
            'reason with "quotes" and \\ and \n',
        )
        report = verify_audit(s)
        assert report.ok, [p.message for p in report.problems]
        assert report.entries == 1 + 2 * len(_AWKWARD) + len(floats)


def _counts(sessions: Any) -> tuple[int, int, Any]:
    with sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(m.Patient)) or 0,
            s.scalar(select(func.count()).select_from(m.AuditEntry)) or 0,
            s.execute(select(m.AuditChainHead.last_seq, m.AuditChainHead.last_hash)).one(),
        )


def _patients(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [
        {"id": start + i, "study_id": f"P{start + i}", "site_id": 1, "status": "enrolled"}
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        # a bad value in the third chunk: the general checker's message, with the row index
        (lambda rows: rows[125].update(status="gone"), r"patients\[row 125\]\.status: got 'gone'"),
        # a duplicate id: refused by the database (COPY / executemany), named as such
        (lambda rows: rows[110].update(id=3), "patients: the database refused"),
        # a foreign key to a missing site
        (lambda rows: rows[70].update(site_id=99), "patients: the database refused"),
    ],
)
def test_a_failed_bulk_insert_leaves_the_database_as_it_was(
    sessions: Any, monkeypatch: pytest.MonkeyPatch, spoil: Any, message: str
) -> None:
    monkeypatch.setattr("hcctrial.services.persistence.CHUNK_ROWS", 50)
    with sessions() as s, s.begin():
        create(s, m.Site, {"code": "S", "name": "S"}, actor="a", reason="r")
        create_many(s, m.Patient, _patients(2, start=1000), actor="a", reason="first")
    before = _counts(sessions)
    rows = _patients(150)
    spoil(rows)
    with sessions() as s, pytest.raises(DataValidationError, match=message), s.begin():
        create_many(s, m.Patient, rows, actor="a", reason="second")
    assert _counts(sessions) == before
    with sessions() as s:
        assert verify_audit(s).ok


def _value_of(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _as_sqlite_stores(spec: Any, value: Any) -> Any:
    """The value as the SQLite driver returns it (dates and times as text, booleans as 0/1)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


@pytest.mark.parametrize("model", _MODELS, ids=lambda x: x.__tablename__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_verify_row_json_is_the_canonical_json_of_row_state(
    model: Any, data: st.DataObject
) -> None:
    # audit verify encodes the stored row itself; row_state of the typed row is the reference,
    # for values as PostgreSQL's driver returns them and as SQLite's does.
    values, problems = prepare_row(model, data.draw(_rows(model)))
    if problems:
        return
    now = datetime(2024, 1, 2, 3, 4, 5, data.draw(st.sampled_from([0, 678])), tzinfo=UTC)
    specs = column_specs(model)
    full = {n: None for n in specs} | values | {"id": data.draw(st.integers(1, 2**40))}
    full |= {"version": 3, "created_at": now, "updated_at": now}
    reference = canonical_json(row_state(model, full))
    postgres = [_value_of(full.get(n)) for n in specs]  # VARCHAR enums come back as text
    assert stored_state_text(model, postgres) == reference
    sqlite = [_as_sqlite_stores(specs[n], full.get(n)) for n in specs]
    assert stored_state_text(model, sqlite) == reference
