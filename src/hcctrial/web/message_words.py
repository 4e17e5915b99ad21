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
from hcctrial.web.record_words import FORM_LABELS, field_label, record_name, table_words

__all__ = ["message_in_words"]


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


def _cannot_delete(match: re.Match[str]) -> str:
    name = record_name(match.group(1))
    return f"This {name[:1].lower()}{name[1:]} (number {match.group(2)}) cannot be deleted"


def _column(match: re.Match[str]) -> str:
    """A column named in a message, by its form label ("lesion label T1"); other columns
    (``imaging_id 3``) are left to the plain words of :func:`finding_in_words`."""
    column = match.group(0)
    label = FORM_LABELS.get(column)
    if label is None:
        return column
    if label[:2].isupper():  # an acronym keeps its capitals: "HBV DNA", not "hBV DNA"
        return label
    return label[:1].lower() + label[1:]


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
        words = field_label(column)
        head = f"{words}: " if label else ""
        text = text[m.end() :]
    text = _GOT.sub(_got, text)
    text = _BUNDLED_FILE.sub("", text)
    text = _ROWS.sub(lambda r: f"{r.group(1)} {table_words(r.group(2))}", text)
    text = _CANNOT_DELETE.sub(_cannot_delete, text)
    text = _COLUMN.sub(_column, text)
    return head + finding_in_words(text, not head)
