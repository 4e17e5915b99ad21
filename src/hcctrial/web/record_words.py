"""The stored records and their columns in words, for the pages that show what was stored: the
audit trail (``lab_results 27`` reads "Lab result 27", ``value_entered`` reads "Value"), the
export list, and the refusals of :mod:`hcctrial.web.message_words`.

Display only: the audit trail's CSV export, the JSON API and the command line keep the table and
column names (they are the data dictionary's, and scripts read them).
"""

from __future__ import annotations

from hcctrial.web.records import RECORD_TYPES

__all__ = [
    "ACTION_WORDS",
    "FIELD_LABELS",
    "FORM_LABELS",
    "RECORD_NAMES",
    "TABLE_WORDS",
    "field_label",
    "record_name",
    "stored_value",
    "table_words",
]


#: column -> the label of its form field (the first form that shows it).
FORM_LABELS: dict[str, str] = {}
for _rt in RECORD_TYPES.values():
    for _f in _rt.fields:
        FORM_LABELS.setdefault(_f.name, _f.label)

#: every column a page may name -> its label: the form labels, and the columns no form shows.
FIELD_LABELS: dict[str, str] = {
    "id": "Record number",
    "patient_id": "Patient",
    "study_id": "Study id",
    "site_id": "Site",
    "screening_date": "Screening date",
    "enrolment_date": "Enrolment date",
    "eligible": "Eligible",
    "status": "Status",
    "username": "User name",
    "password": "Password",
    "criterion_id": "Criterion",
    "screening_id": "Screening",
    "cycle_id": "Treatment cycle",
    "imaging_id": "Scan",
    "haic_level": "HAIC dose level",
    "value_canonical": "Value in the standard unit",
    "unit_canonical": "Standard unit",
    **FORM_LABELS,
}

#: table -> one of its records in words ("Lab result").
RECORD_NAMES: dict[str, str] = {
    "sites": "Site",
    "users": "User",
    "patients": "Patient",
    "screenings": "Screening",
    "screening_criteria": "Screening criterion",
    "derived_overrides": "Overridden result",
    "form_states": "Form status",
    "data_queries": "Query",
    "signatures": "Signature",
    "locks": "Lock",
    **{rt.model.__tablename__: rt.title for rt in RECORD_TYPES.values()},
}

#: table -> its records in words (plural), for "2 lesion measurements refer to it".
TABLE_WORDS: dict[str, str] = {
    "cycle_doses": "dose lines",
    "cycle_exams": "pre-cycle examinations",
    "data_queries": "queries",
    "screening_criteria": "screening criteria",
}

#: the audit trail's actions in words.
ACTION_WORDS: dict[str, str] = {"insert": "entered", "update": "changed", "delete": "deleted"}

_VALUE_WORDS = {"True": "yes", "False": "no", "None": "—", "": "—"}


def field_label(column: str) -> str:
    """A column by its form label ("Value"); an unknown one in words."""
    return FIELD_LABELS.get(column) or column.replace("_", " ").capitalize()


def record_name(table: str) -> str:
    """One record of ``table`` in words ("Lab result"); an unknown table in words."""
    return RECORD_NAMES.get(table) or table.replace("_", " ").capitalize()


def table_words(table: str) -> str:
    """The records of ``table`` in words, plural ("lesion measurements")."""
    return TABLE_WORDS.get(table) or table.replace("_", " ")


def stored_value(value: object) -> str:
    """A stored value as the audit trail shows it: yes/no for booleans, a dash for nothing."""
    text = str(value) if value is not None else ""
    return _VALUE_WORDS.get(text, text)
