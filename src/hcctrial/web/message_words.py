"""The refusals a form shows, in words (issue 19, "messages without column names, internal paths
or engine jargon").

The rules of :mod:`hcctrial.services.rules` word their messages for every door at once, the
import and the command line included: ``followups.contact_date: got 2027-01-01; expected a date
on or before 2026-03-03``. Those messages stay as they are (scripts and tests read them); a form
shows them through :func:`message_in_words`: the field's label instead of ``table.column``, "you
entered" instead of "got", no file path of a bundled list, no Python repr. The rule's id in
brackets stays (every door names it; the data manager looks it up in ``hcctrial rules``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from hcctrial.web.decision_words import finding_in_words
from hcctrial.web.records import RECORD_TYPES

__all__ = ["FIELD_LABELS", "message_in_words"]


def _labels() -> dict[str, str]:
    out: dict[str, str] = {
        "study_id": "Study id",
        "site_id": "Site",
        "screening_date": "Screening date",
        "enrolment_date": "Enrolment date",
        "eligible": "Eligible",
        "username": "User name",
        "password": "Password",
    }
    for rt in RECORD_TYPES.values():
        for f in rt.fields:
            out.setdefault(f.name, f.label)
    return out


#: column -> the label of its form field (the first form that shows it).
FIELD_LABELS: dict[str, str] = _labels()

#: table -> its records in words (plural), for "2 lesion measurements refer to it".
TABLE_WORDS: dict[str, str] = {
    "cycle_doses": "dose lines",
    "cycle_exams": "pre-cycle examinations",
    "data_queries": "queries",
    "lesion_measurements": "lesion measurements",
    "imaging_assessments": "imaging assessments",
    "treatment_cycles": "treatment cycles",
    "lab_results": "lab results",
    "adverse_events": "adverse events",
    "screening_criteria": "screening criteria",
    "protocol_deviations": "protocol deviations",
}

_LEADING = re.compile(r"^(?:[a-z_]+\.)?([a-z_]+)(?:\[\d+\])?: ")
_GOT = re.compile(r"^got (.*?); expected ")
_BUNDLED_FILE = re.compile(r":? ?\b[\w.-]+(?:/[\w.-]+)+\.(?:json|toml|csv|txt)\b")
_ROWS = re.compile(r"\b(\d+) row\(s\) of ([a-z_]+)\.[a-z_]+")
_CANNOT_DELETE = re.compile(r"^([a-z_]+) id (\d+) cannot be deleted")
_COLUMN = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _got(match: re.Match[str]) -> str:
    value = match.group(1)
    said = "nothing was entered" if value == "None" else f"you entered {value}"
    return f"{said}; it should be "


def _table(name: str) -> str:
    return TABLE_WORDS.get(name, name.replace("_", " "))


def _column(match: re.Match[str]) -> str:
    label = FIELD_LABELS.get(match.group(0))
    return match.group(0) if label is None else label[:1].lower() + label[1:]


@lru_cache(maxsize=4096)
def message_in_words(text: str, label: bool = True) -> str:
    """A rule's message as a form shows it: the leading ``table.column:`` becomes the field's
    label (or goes, with ``label=False``, where the label is already beside it), ``got X;
    expected Y`` reads "you entered X; it should be Y", and the rest goes through
    :func:`hcctrial.web.decision_words.finding_in_words` (reprs, codes, snake_case)."""
    head = ""
    m = _LEADING.match(text)
    if m is not None:
        column = m.group(1)
        words = FIELD_LABELS.get(column, column.replace("_", " ").capitalize())
        head = f"{words}: " if label else ""
        text = text[m.end() :]
    text = _GOT.sub(_got, text)
    text = _BUNDLED_FILE.sub("", text)
    text = _ROWS.sub(lambda r: f"{r.group(1)} {_table(r.group(2))}", text)
    text = _CANNOT_DELETE.sub(
        lambda r: f"This record ({_table(r.group(1))}, number {r.group(2)}) cannot be deleted", text
    )
    text = _COLUMN.sub(_column, text)
    return head + finding_in_words(text, not head)
