"""Reading stored rows for ``audit verify``: values as the database holds them, to canonical JSON.

Every column is read through the driver's cursor as the database stores it (no SQLAlchemy type
conversion: fast, and a value of the wrong type — text in a date column, a timestamp that does not
parse — reaches these encoders and becomes a named problem on its row, :class:`Unreadable`, never a
crash). The canonical JSON of a row is built here from those stored values by per-column encoders
that write exactly what :func:`hcctrial.store.audit.canonical_json` of
:func:`hcctrial.store.values.row_state` writes (property tests check both drivers' value forms).
Written by hand, not by ``json``: a generated expression per table keeps ``audit verify`` of
~600,000 records within seconds (docs/performance.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from hcctrial.store.values import ColumnSpec, audited_digest, column_specs

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "Unreadable",
    "at_cached",
    "at_text",
    "state_encoder",
    "stored_rows",
    "stored_state_text",
]


class Unreadable(Exception):
    """A stored value that is not of its column's type: the message says which and what."""


def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text_value(name: str, value: object, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if type(value) is not str:
        raise Unreadable(f"{name} holds {shown(value)}, expected text")
    return value


def at_text(value: object) -> str:
    """The canonical text of a stored audit time (SQLite: naive UTC text; PostgreSQL: aware)."""
    if type(value) is str:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Unreadable(f"at holds {shown(value)}, expected a UTC timestamp") from None
    if not isinstance(value, datetime):
        raise Unreadable(f"at holds {shown(value)}, expected a UTC timestamp")
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat()


# ------------------------------------------------------------------------------ stored rows
#: Canonical texts of stored times and dates already seen (a bulk import writes thousands of rows
#: with one time; a trial has a few thousand distinct days): parse each stored text once.
_SEEN_TIMES: dict[object, str] = {}
_SEEN_DAYS: dict[object, str] = {}
_SEEN_LIMIT = 200_000


def at_cached(value: object) -> str:
    """:func:`at_text` of a stored time, remembered (raises :class:`Unreadable` likewise)."""
    try:
        return _SEEN_TIMES[value]
    except KeyError:
        pass
    except TypeError:  # unhashable: a value no column holds legitimately
        return at_text(value)
    text = at_text(value)
    if len(_SEEN_TIMES) >= _SEEN_LIMIT:
        _SEEN_TIMES.clear()
    _SEEN_TIMES[value] = text
    return text


def _day_text(value: object) -> str:
    """The canonical ``"YYYY-MM-DD"`` (quoted) of a stored date (raises ValueError/TypeError)."""
    try:
        return _SEEN_DAYS[value]
    except KeyError:
        pass
    if type(value) is date:
        text = f'"{value.isoformat()}"'
    elif type(value) is str:
        text = f'"{date.fromisoformat(value).isoformat()}"'
    else:
        raise TypeError(value)
    if len(_SEEN_DAYS) >= _SEEN_LIMIT:
        _SEEN_DAYS.clear()
    _SEEN_DAYS[value] = text
    return text


def _value_encoder(spec: ColumnSpec) -> Callable[[object], str]:
    """Return stored value -> its canonical JSON text (as ``row_state`` gives it), or raise
    :class:`Unreadable` naming the column, the value and what it should be. One closure per
    kind of column (no branching on the kind per value)."""
    kind, name = spec.kind, spec.name

    def bad(v: object, expected: str) -> Unreadable:
        return Unreadable(f"column {name} holds {shown(v)}, expected {expected}")

    if spec.audit_digest:

        def digest(v: object) -> str:
            if v is None:
                return "null"
            if type(v) is str:
                return encode_basestring(audited_digest(v))  # type: ignore[no-any-return,arg-type]
            raise bad(v, "text")

        return digest
    if kind == "float":

        def number(v: object) -> str:
            t = type(v)
            if t is float and math.isfinite(v):  # type: ignore[arg-type]
                return float.__repr__(v)  # type: ignore[arg-type]
            if v is None:
                return "null"
            if t is int:
                return float.__repr__(float(v))  # type: ignore[arg-type]
            raise bad(v, "a number")

        return number
    if kind == "int":

        def integer(v: object) -> str:
            if type(v) is int:
                return int.__repr__(v)
            if v is None:
                return "null"
            raise bad(v, "an integer")

        return integer
    if kind == "bool":

        def boolean(v: object) -> str:
            if v is None:
                return "null"
            if type(v) is bool or (type(v) is int and v in (0, 1)):
                return "true" if v else "false"
            raise bad(v, "true or false")

        return boolean
    if kind == "date":

        def day(v: object) -> str:
            if v is None:
                return "null"
            try:
                return _day_text(v)
            except (TypeError, ValueError):
                raise bad(v, "a date YYYY-MM-DD") from None

        return day
    if kind == "datetime":

        def moment(v: object) -> str:
            if v is None:
                return "null"
            try:
                return f'"{at_cached(v)}"'
            except Unreadable:
                raise bad(v, "a UTC timestamp") from None

        return moment

    def textual(v: object) -> str:  # str and enum (stored as their value)
        if type(v) is str:
            return encode_basestring(v)  # type: ignore[no-any-return]
        if v is None:
            return "null"
        raise bad(v, "text")

    return textual


def stored_state_text(model: type[Any], row: Sequence[object]) -> str:
    """Return the canonical JSON of a stored row (values in :func:`column_specs` order), exactly
    ``canonical_json(row_state(model, typed row))``; :class:`ValueError` names a bad value."""
    try:
        return state_encoder(model)(row)
    except Unreadable as exc:
        raise ValueError(str(exc)) from None


_ENCODERS: dict[type[Any], Callable[[Sequence[object]], str]] = {}


def state_encoder(model: type[Any]) -> Callable[[Sequence[object]], str]:
    """Return the row -> canonical JSON function of ``model``, compiled once per table.

    The function is generated (one expression per column, keys in sorted order) so that the
    common values — an int, a finite float, a text — are written inline; anything else (None, a
    date, a time, a secret column, a value of the wrong type) goes to the column's
    :func:`_value_encoder`, whose answer or named problem stands. Tests check the result against
    ``canonical_json(row_state(...))`` on both backends.
    """
    cached = _ENCODERS.get(model)
    if cached is not None:
        return cached
    specs = list(column_specs(model).values())
    order = sorted(range(len(specs)), key=lambda i: specs[i].name)
    namespace: dict[str, Any] = {
        "enc": encode_basestring,
        "fr": float.__repr__,
        "ir": int.__repr__,
        "INF": math.inf,
        "slow": [_value_encoder(spec) for spec in specs],
    }
    parts = []
    for position, i in enumerate(order):
        spec = specs[i]
        prefix = ("{" if position == 0 else ",") + encode_basestring(spec.name) + ":"
        v = f"row[{i}]"
        general = f"slow[{i}]({v})"
        if spec.audit_digest or spec.kind in ("date", "datetime", "bool"):
            expr = general
        elif spec.kind == "int":
            expr = f"(ir({v}) if type({v}) is int else {general})"
        elif spec.kind == "float":
            expr = f"(fr({v}) if type({v}) is float and -INF < {v} < INF else {general})"
        else:  # str, enum
            expr = f"(enc({v}) if type({v}) is str else {general})"
        parts.append(f"{prefix!r} + {expr}")
    source = "def encode(row):\n    return " + " + ".join(parts or ["'{'"]) + " + '}'\n"
    exec(compile(source, f"<audit state of {model.__tablename__}>", "exec"), namespace)
    encode: Callable[[Sequence[object]], str] = namespace["encode"]
    _ENCODERS[model] = encode
    return encode


_CURSORS = iter(range(1, 1 << 62))


def stored_rows(session: Session, sql: str, batch_size: int) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` as the driver returns them (no SQLAlchemy processing: fast, and a value
    of the wrong type reaches the checks instead of failing in a converter), streamed in batches
    (PostgreSQL: a server-side cursor), inside the session's transaction."""
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name=f"hcctrial_verify_{next(_CURSORS)}")
        cursor.itersize = batch_size
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(batch_size):
            yield from batch
    finally:
        cursor.close()
