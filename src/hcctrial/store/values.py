"""Column specifications, value checking and the canonical (JSON) form of a row.

One checker for every way data enter the database — service calls with Python values and CSV cells
with text — so that SQLite and PostgreSQL accept and refuse exactly the same values (SQLite alone
would store ``"abc"`` in an integer column). The canonical form of a row (:func:`row_state`) is what
the audit trail stores and hashes, and what ``audit verify`` recomputes from the current tables:
dates as ``YYYY-MM-DD``, timestamps as UTC ISO 8601, enums as their value, floats as floats.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Enum, Float, Integer, String, Text, TypeDecorator

from hcctrial.dates import EARLIEST, LATEST
from hcctrial.store.models import table_of

__all__ = [
    "ColumnSpec",
    "FieldProblem",
    "NeedsFullCheck",
    "check_value",
    "column_specs",
    "fast_checkers",
    "format_cell",
    "row_state",
    "state_value",
]

#: Columns the service layer sets itself; callers and CSV files cannot set them.
MANAGED_COLUMNS = frozenset({"version", "created_at", "updated_at"})

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True)
class ColumnSpec:
    """What one column accepts.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``date``, ``datetime``, ``enum``, ``str``;
    ``minimum``/``maximum`` are inclusive bounds in the column's unit; ``references`` names the
    table a foreign key points to.
    """

    name: str
    kind: str
    nullable: bool
    max_length: int | None = None
    enum_values: tuple[str, ...] = ()
    enum_class: type[enum.Enum] | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: str | None = None
    doc: str = ""
    #: Audited as ``"sha256:<hex>"`` of the value, never the value (``users.password_hash``).
    audit_digest: bool = False

    def expected(self) -> str:
        """Return a human description of the accepted values (used in error messages)."""
        base = {
            "int": "an integer",
            "float": "a number",
            "bool": "true or false",
            "date": f"a date YYYY-MM-DD from {EARLIEST} to {LATEST}",
            "datetime": "a UTC timestamp YYYY-MM-DDTHH:MM:SS",
            "str": "text",
        }.get(self.kind, "")
        if self.kind == "enum":
            base = "one of " + ", ".join(self.enum_values)
        if self.kind == "str" and self.max_length:
            base = f"text of at most {self.max_length} characters"
        if self.minimum is not None and self.maximum is not None:
            base += f" between {self.minimum:g} and {self.maximum:g}"
        elif self.minimum is not None:
            base += f" >= {self.minimum:g}"
        elif self.maximum is not None:
            base += f" <= {self.maximum:g}"
        if self.references:
            base += f" (an id in {self.references})"
        if not self.nullable:
            base += " (required)"
        return base


@dataclass(frozen=True)
class FieldProblem:
    """A value that does not fit its column: the column, the value given, what was expected, and
    the id of the rule it breaks (``docs/rules.md``; the column checks here are FIELD-VALUE)."""

    column: str
    value: object
    expected: str
    rule: str = "FIELD-VALUE"


class _Invalid(Exception):
    pass


_SPECS: dict[object, dict[str, ColumnSpec]] = {}


def column_specs(model: Any) -> dict[str, ColumnSpec]:
    """Return the column specifications of a mapped class, in table column order (cached)."""
    cached = _SPECS.get(model)
    if cached is not None:
        return cached
    specs: dict[str, ColumnSpec] = {}
    for col in table_of(model).columns:
        t: Any = col.type
        if isinstance(t, TypeDecorator):
            t = t.impl_instance
        enum_values: tuple[str, ...] = ()
        enum_class = None
        max_length = None
        if isinstance(t, Enum):
            kind = "enum"
            enum_values = tuple(t.enums)
            enum_class = t.enum_class
        elif isinstance(t, Boolean):
            kind = "bool"
        elif isinstance(t, Integer):
            kind = "int"
        elif isinstance(t, Float):
            kind = "float"
        elif isinstance(t, DateTime):
            kind = "datetime"
        elif isinstance(t, Date):
            kind = "date"
        elif isinstance(t, String | Text):
            kind = "str"
            max_length = getattr(t, "length", None)
        else:  # pragma: no cover - every model column is one of the above
            raise TypeError(f"unsupported column type {t!r} in {model.__tablename__}.{col.name}")
        fks = list(col.foreign_keys)
        specs[col.name] = ColumnSpec(
            name=col.name,
            kind=kind,
            nullable=bool(col.nullable),
            max_length=max_length,
            enum_values=enum_values,
            enum_class=enum_class,
            # ids and foreign keys are positive integers (SQLite would store -4 or 0)
            minimum=col.info.get("min", 1 if kind == "int" and (col.primary_key or fks) else None),
            maximum=col.info.get("max"),
            references=fks[0].column.table.name if fks else None,
            doc=getattr(col, "doc", None) or "",
            audit_digest=col.info.get("audit") == "digest",
        )
    _SPECS[model] = specs
    return specs


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _convert(spec: ColumnSpec, raw: object) -> object:
    kind = spec.kind
    if kind == "str":
        if not isinstance(raw, str):
            raise _Invalid
        if spec.max_length is not None and len(raw) > spec.max_length:
            raise _Invalid
        return raw
    if kind == "int":
        if isinstance(raw, bool):
            raise _Invalid
        if isinstance(raw, int):
            value: Any = raw
        elif isinstance(raw, str):
            try:
                value = int(raw.strip())
            except ValueError:
                raise _Invalid from None
        else:
            raise _Invalid
    elif kind == "float":
        if isinstance(raw, bool):
            raise _Invalid
        if isinstance(raw, int | float):
            value = float(raw)
        elif isinstance(raw, str):
            try:
                value = float(raw.strip())
            except ValueError:
                raise _Invalid from None
        else:
            raise _Invalid
        if not math.isfinite(value):
            raise _Invalid
    elif kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
        raise _Invalid
    elif kind == "date":
        if isinstance(raw, datetime):
            raise _Invalid
        if isinstance(raw, date):
            day = raw
        elif isinstance(raw, str):
            try:
                day = date.fromisoformat(raw.strip())
            except ValueError:
                raise _Invalid from None
        else:
            raise _Invalid
        if not EARLIEST <= day <= LATEST:  # hcctrial.dates: the calendar range of user dates
            raise _Invalid
        return day
    elif kind == "datetime":
        if isinstance(raw, datetime):
            return _as_utc(raw)
        if isinstance(raw, str):
            try:
                return _as_utc(datetime.fromisoformat(raw.strip()))
            except ValueError:
                raise _Invalid from None
        raise _Invalid
    elif kind == "enum":
        assert spec.enum_class is not None
        if isinstance(raw, spec.enum_class):
            return raw
        if isinstance(raw, str):
            try:
                return spec.enum_class(raw.strip())
            except ValueError:
                raise _Invalid from None
        raise _Invalid
    else:  # pragma: no cover
        raise _Invalid
    if spec.minimum is not None and value < spec.minimum:
        raise _Invalid
    if spec.maximum is not None and value > spec.maximum:
        raise _Invalid
    return value


def check_value(spec: ColumnSpec, raw: object) -> tuple[object, FieldProblem | None]:
    """Return ``(value, None)`` with ``raw`` converted to the column's Python type, or a problem.

    An empty string or ``None`` means "no value" and is refused for a required column.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if spec.nullable:
            return None, None
        return None, FieldProblem(spec.name, raw, spec.expected())
    try:
        return _convert(spec, raw), None
    except _Invalid:
        return None, FieldProblem(spec.name, raw, spec.expected())


def state_value(spec: ColumnSpec, value: object) -> object:
    """Return the canonical JSON value of one column value (as stored, or as read back)."""
    if value is None:
        return None
    kind = spec.kind
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    if kind == "int":
        return int(value)  # type: ignore[call-overload]
    if kind == "bool":
        return bool(value)
    if kind == "date":
        assert isinstance(value, date)
        return value.isoformat()
    if kind == "datetime":
        assert isinstance(value, datetime)
        return _as_utc(value).isoformat()
    if kind == "enum":
        return value.value if isinstance(value, enum.Enum) else str(value)
    return str(value)


def row_state(model: type[Any], row: Any) -> dict[str, object]:
    """Return the canonical JSON form of a row (a mapping of column name to value): what the
    audit trail stores, with a secret column (``audit_digest``) as :func:`audited_digest`."""
    state = {name: state_value(spec, row[name]) for name, spec in column_specs(model).items()}
    for name in _digest_columns(model):
        state[name] = audited_digest(state[name])
    return state


def audited_digest(value: object) -> object:
    """Return what the audit trail keeps of a secret column's value: ``"sha256:<hex>"`` of its
    text (None stays None). A change of the secret shows as a change, and ``audit verify`` finds
    one made behind the application's back, but the secret itself (an Argon2 hash, whose salt is
    not in the log) never enters the append-only log."""
    if value is None:
        return None
    import hashlib

    return "sha256:" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()


_DIGESTS: dict[object, tuple[str, ...]] = {}


def _digest_columns(model: type[Any]) -> tuple[str, ...]:
    found = _DIGESTS.get(model)
    if found is None:
        found = tuple(n for n, spec in column_specs(model).items() if spec.audit_digest)
        _DIGESTS[model] = found
    return found


def format_cell(spec: ColumnSpec, value: object) -> str:
    """Return the CSV text of a value: empty for none, ``true``/``false``, ISO dates."""
    state = state_value(spec, value)
    if state is None:
        return ""
    if isinstance(state, bool):
        return "true" if state else "false"
    return str(state) if not isinstance(state, float) else repr(state)


# ----------------------------------------------------------------------------------- bulk path
class NeedsFullCheck(Exception):
    """Raised by a fast column checker: the value needs :func:`check_value` to decide."""


FastChecker = Callable[[object], object]


def _fast_checker(spec: ColumnSpec) -> FastChecker:
    """Return a checker of one column for the common, valid values (the bulk path's speed).

    It returns exactly what :func:`check_value` returns for the values it accepts, and raises
    :class:`NeedsFullCheck` for every other value (wrong type, empty, out of range, unusual
    text), so the caller falls back to :func:`check_value`, whose verdict and message then stand.
    The conversions below mirror :func:`_convert` branch by branch.
    """
    kind, nullable = spec.kind, spec.nullable
    lo = -math.inf if spec.minimum is None else spec.minimum
    hi = math.inf if spec.maximum is None else spec.maximum

    if kind == "str":
        max_length = spec.max_length

        def check_str(raw: object) -> object:
            if (
                type(raw) is str
                and raw
                and (max_length is None or len(raw) <= max_length)
                and not raw.isspace()  # same whitespace set as str.strip()
            ):
                return raw
            if raw is None and nullable:
                return None
            raise NeedsFullCheck

        return check_str
    if kind == "int":

        def check_int(raw: object) -> object:
            if type(raw) is int and lo <= raw <= hi:
                return raw
            if type(raw) is str:  # CSV cell
                try:
                    value = int(raw.strip())
                except ValueError:
                    raise NeedsFullCheck from None
                if lo <= value <= hi:
                    return value
            if raw is None and nullable:
                return None
            raise NeedsFullCheck

        return check_int
    if kind == "float":

        def check_float(raw: object) -> object:
            if type(raw) is float and lo <= raw <= hi and math.isfinite(raw):
                return raw
            if type(raw) is int and -(2**53) <= raw <= 2**53:
                value = float(raw)
                if lo <= value <= hi:
                    return value
            if type(raw) is str:  # CSV cell
                try:
                    value = float(raw.strip())
                except ValueError:
                    raise NeedsFullCheck from None
                if lo <= value <= hi and math.isfinite(value):
                    return value
            if raw is None and nullable:
                return None
            raise NeedsFullCheck

        return check_float
    if kind == "bool":

        def check_bool(raw: object) -> object:
            if type(raw) is bool:
                return raw
            if type(raw) is str:  # CSV cell
                low = raw.strip().lower()
                if low in _TRUE:
                    return True
                if low in _FALSE:
                    return False
            if raw is None and nullable:
                return None
            raise NeedsFullCheck

        return check_bool
    if kind == "date":

        def check_date(raw: object) -> object:
            if type(raw) is date and EARLIEST <= raw <= LATEST:
                return raw
            if type(raw) is str:  # CSV cell
                try:
                    day = date.fromisoformat(raw.strip())
                except ValueError:
                    raise NeedsFullCheck from None
                if EARLIEST <= day <= LATEST:
                    return day
            if raw is None and nullable:
                return None
            raise NeedsFullCheck

        return check_date
    if kind == "enum":
        assert spec.enum_class is not None
        enum_class = spec.enum_class
        by_value = {str(m.value): m for m in enum_class}

        def check_enum(raw: object) -> object:
            if type(raw) is enum_class:
                return raw
            if type(raw) is str:
                member = by_value.get(raw)
                if member is not None:
                    return member
            if raw is None and nullable:
                return None
            raise NeedsFullCheck

        return check_enum

    def check_other(raw: object) -> object:  # datetime: no bulk shortcut
        raise NeedsFullCheck

    return check_other


_FAST: dict[object, dict[str, FastChecker]] = {}


def fast_checkers(model: Any) -> dict[str, FastChecker]:
    """Return the fast checker of every column of ``model`` (cached; see :func:`_fast_checker`)."""
    cached = _FAST.get(model)
    if cached is None:
        cached = {name: _fast_checker(spec) for name, spec in column_specs(model).items()}
        _FAST[model] = cached
    return cached
