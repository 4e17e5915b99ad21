"""The writes of one trial action, as the unit of work and its gates see them.

A service function says what to write with :class:`Insert`, :class:`Amend` and :class:`Remove`;
the unit of work turns them into a :class:`Plan` whose rows the gates check and complete (values
converted, parents and patients resolved, charts before and after the change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hcctrial.services.charts import Chart
from hcctrial.services.rules import Action
from hcctrial.store import models as m

__all__ = [
    "MODELS",
    "Amend",
    "Insert",
    "Plan",
    "PlannedChange",
    "PlannedRows",
    "Remove",
    "Touch",
    "Write",
]

MODELS: dict[str, type[m.Record]] = {x.__tablename__: x for x in m.DATA_TABLES}
_ORDER = {name: i for i, name in enumerate(MODELS)}
_ACCOUNT_TABLES = frozenset({"sites", "users"})


@dataclass(frozen=True)
class Insert:
    """New rows of one table. A row without ``id`` gets a temporary negative one; children in
    the same unit of work may point at it. ``lines``: the file's row numbers (messages)."""

    model: type[m.Record]
    rows: Sequence[Mapping[str, object]]
    lines: Sequence[int] | None = None


@dataclass(frozen=True)
class Amend:
    """Changes to record ``pk``, saved at ``expected_version``."""

    model: type[m.Record]
    pk: int
    changes: Mapping[str, object]
    expected_version: int


@dataclass(frozen=True)
class Remove:
    """Deletion of record ``pk``, saved at ``expected_version``."""

    model: type[m.Record]
    pk: int
    expected_version: int


@dataclass(frozen=True)
class Touch:
    """An action on patient ``patient_id`` that writes no record but may change the patient's
    state (end treatment): the gates check it like a write, the state machine moves it."""

    patient_id: int


Write = Insert | Amend | Remove | Touch


@dataclass
class PlannedRows:
    model: type[m.Record]
    table: str
    rows: list[dict[str, Any]]
    lines: Sequence[int] | None


@dataclass
class PlannedChange:
    model: type[m.Record]
    table: str
    pk: int
    changes: dict[str, Any]
    expected_version: int
    old: dict[str, Any]
    new: dict[str, Any] | None  # None: deleted


@dataclass
class Plan:
    """The writes of one action as the gates see them (values checked, parents resolved)."""

    action: Action
    reason: str
    inserts: list[PlannedRows] = field(default_factory=list)
    changes: list[PlannedChange] = field(default_factory=list)
    #: (table, record id) -> the file's row number, of rows whose values could not be read
    lines: dict[tuple[str, int], int] = field(default_factory=dict)
    #: table -> record id -> patient id (the plan's rows, their parents and the records changed)
    owner: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    #: patient id -> the patient row as saved (None for a new patient)
    saved_patients: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    #: patient id -> the row of a patient the plan inserts
    new_patients: dict[int, dict[str, Any]] = field(default_factory=dict)
    before: dict[int, Chart] = field(default_factory=dict)
    after: dict[int, Chart] = field(default_factory=dict)
    statuses: dict[int, m.PatientStatus] = field(default_factory=dict)
    #: new patients whose state the state machine sets (the action did not give one)
    compute_status: set[int] = field(default_factory=set)
    #: patients an action concerns without writing a record of theirs (:class:`Touch`)
    touched: set[int] = field(default_factory=set)
    #: (id, version) of the signatures the plan invalidates (:mod:`~hcctrial.services.part11_gate`)
    signatures_changed: list[tuple[int, int]] = field(default_factory=list)

    def line_numbers(self) -> dict[tuple[str, int], int] | None:
        """(table, record id) -> the file's row number of every inserted row that has one (built
        when a refusal names rows, not for every write); None without files."""
        out = dict(self.lines)
        for ins in self.inserts:
            if ins.lines is None:
                continue
            for row, line in zip(ins.rows, ins.lines, strict=False):
                pk = row.get("id")
                if isinstance(pk, int):
                    out.setdefault((ins.table, pk), line)
        return out or None
