"""A REDCap "records" export (flat CSV, raw coded values) of the trial, as REDCap writes one.

Columns: ``record_id``, ``redcap_event_name``, ``redcap_repeat_instrument``,
``redcap_repeat_instance``, then every field in dictionary order (a checkbox as one column per
choice, ``bl_findings___1``), with ``<instrument>_complete`` after each instrument's fields (2 =
complete). Rows: per record, one row per event holding its non-repeating instruments, and one row
per instance of each repeating instrument (instances numbered 1, 2, ... per record, event and
instrument, in id order). Values: dates ``YYYY-MM-DD``, yes/no ``1``/``0``, checkboxes
``1``/``0``, choices by code, numbers as Python writes them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from hcctrial.interop.redcap_dictionary import (
    CHECKBOX_FINDINGS,
    EVENTS,
    FORMS,
    RedcapField,
    fields,
    write_dictionary,
)
from hcctrial.interop.snapshot import TrialSnapshot

__all__ = ["RECORDS_FILE", "record_columns", "records_rows", "write_redcap_export"]

RECORDS_FILE = "redcap_records.csv"
SPECIAL = ("record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")


def record_columns(fs: list[RedcapField]) -> list[str]:
    """Return the header of a records export for the fields ``fs`` (dictionary order)."""
    cols = list(SPECIAL)
    forms_done: list[str] = []
    current = ""
    for f in fs:
        if f.name == "record_id":
            continue
        if f.form != current:
            if current:
                cols.append(f"{current}_complete")
                forms_done.append(current)
            current = f.form
        if f.field_type == "checkbox":
            cols += [f"{f.name}___{code}" for code, _ in f.choices]
        else:
            cols.append(f.name)
    if current:
        cols.append(f"{current}_complete")
    return cols


def _cell(f: RedcapField, value: Any) -> str:
    value = getattr(value, "value", value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _event_of(form: str, table: str, row: dict[str, Any], first_cycle: date | None) -> str:
    events = next(e for fm, _, _, _, e in FORMS if fm == form)
    if table == "lab_results" and len(events) > 1:
        before = first_cycle is None or row["sample_date"] < first_cycle
        return EVENTS["screening"] if before else EVENTS["treatment"]
    return EVENTS[events[0]]


def write_redcap_export(snap: TrialSnapshot, directory: Path) -> dict[str, int]:
    """Write ``redcap_dictionary.csv``, its instrument-event mapping and ``redcap_records.csv``."""
    directory.mkdir(parents=True, exist_ok=True)
    dict_path, map_path, n_fields = write_dictionary(directory / "redcap_dictionary.csv")
    header, rows = records_rows(snap)
    with (directory / RECORDS_FILE).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
    return {dict_path.name: n_fields, map_path.name: sum(len(e) for *_, e in FORMS),
            RECORDS_FILE: len(rows)}


def records_rows(snap: TrialSnapshot) -> tuple[list[str], list[dict[str, str]]]:
    """Return (header, rows) of the records export of ``snap`` (see the module docstring)."""
    if "redcap_rows" not in snap.cache:
        snap.cache["redcap_rows"] = _records_rows(snap)
    return snap.cache["redcap_rows"]  # type: ignore[no-any-return]


def _records_rows(snap: TrialSnapshot) -> tuple[list[str], list[dict[str, str]]]:
    fs = fields()
    by_form: dict[str, list[RedcapField]] = defaultdict(list)
    for f in fs:
        if f.name != "record_id":
            by_form[f.form].append(f)
    patients = snap.by_id("patients")
    sites = snap.by_id("sites")
    cycles = snap.by_id("treatment_cycles")
    scans = snap.by_id("imaging_assessments")
    screening_patient = {s["id"]: s["patient_id"] for s in snap.rows("screenings")}
    span = snap.cycle_span()
    # (patient id, event) -> {form: values}; repeating: (patient id, event, form) -> [values]
    single: dict[tuple[int, str], dict[str, dict[str, str]]] = defaultdict(dict)
    repeats: dict[tuple[int, str, str], list[dict[str, str]]] = defaultdict(list)
    for form, table, _, repeating, _ in FORMS:
        for row in sorted(snap.rows(table), key=lambda r: r["id"]):
            if table == "patients":
                pid = row["id"]
            elif table == "screening_criteria":
                pid = screening_patient[row["screening_id"]]
            elif table == "cycle_doses":
                pid = cycles[row["cycle_id"]]["patient_id"]
            elif table == "lesion_measurements":
                pid = scans[row["imaging_id"]]["patient_id"]
            else:
                pid = row["patient_id"]
            values: dict[str, str] = {}
            for f in by_form[form]:
                if f.field_type == "checkbox":
                    for code, column in CHECKBOX_FINDINGS.items():
                        values[f"{f.name}___{code}"] = "1" if row[column] else "0"
                elif f.name == "pat_site":
                    values[f.name] = sites[row["site_id"]]["code"]
                elif f.name == "dose_cycle_number":
                    values[f.name] = str(cycles[row["cycle_id"]]["cycle_number"])
                elif f.name == "les_scan_date":
                    values[f.name] = scans[row["imaging_id"]]["assessment_date"].isoformat()
                else:
                    values[f.name] = _cell(f, row[f.column])
            values[f"{form}_complete"] = "2"
            event = _event_of(form, table, row, span.get(pid, (None, None))[0])
            if repeating:
                repeats[(pid, event, form)].append(values)
            else:
                single[(pid, event)][form] = values
    out: list[dict[str, str]] = []
    for pid in sorted(patients):
        sid = patients[pid]["study_id"]
        for event in EVENTS.values():
            forms = single.get((pid, event))
            if forms:
                event_row: dict[str, str] = {"record_id": sid, "redcap_event_name": event}
                for values in forms.values():
                    event_row.update(values)
                out.append(event_row)
            for form, _, _, repeating, _ in FORMS:
                if not repeating:
                    continue
                for k, values in enumerate(repeats.get((pid, event, form), []), start=1):
                    out.append({"record_id": sid, "redcap_event_name": event,
                                "redcap_repeat_instrument": form,
                                "redcap_repeat_instance": str(k)} | values)
    return record_columns(fs), out
