"""``hcctrial import FILE.csv --format redcap --dictionary DICT.csv``: a REDCap records export in.

The REDCap export is parsed into exactly the tables ``hcctrial import DIR`` consumes (one list of
text rows per table, the CSV columns of ``docs/database.md``) and handed to the SAME import
function through ONE adapter, :func:`import_tables` — so every rule of the CSV import (types,
ranges, vocabularies, unique keys, foreign keys, the service layer's rules) applies, and the
import is all or nothing. Errors are translated back to REDCap's coordinates: record, event,
repeat instrument and instance, field.

REDCap's quirks handled: longitudinal ``redcap_event_name``; repeating instruments
(``redcap_repeat_instrument``/``redcap_repeat_instance``); checkbox columns ``field___code``
(``1``/``0`` or ``Checked``/``Unchecked``); rows of an event with nothing filled (skipped);
blank cells (no value); yes/no as ``1``/``0`` (or Yes/No); choices by code or by label; dates as
the field's validation says (``date_ymd`` ``2019-03-04``; ``date_mdy`` ``03-04-2019``;
``date_dmy`` ``04-03-2019``; ``/`` accepted for ``-``; a time part is refused for a date);
``<instrument>_complete`` and ``redcap_data_access_group`` / ``redcap_survey_identifier``
and ``<instrument>_timestamp`` columns are ignored. Sites are matched by code (``pat_site``,
else the data access group; in a single-site database it may be left empty); a code the database
does not know creates that site (named by its code) in the same all-or-nothing import. Ids are
assigned after the database's largest.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError
from hcctrial.interop.redcap_dictionary import (
    CHECKBOX_FINDINGS,
    DICTIONARY_COLUMNS,
    FORMS,
    RedcapField,
    fields,
)

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = ["RedcapImportError", "import_redcap_file", "import_tables", "redcap_tables"]

_IGNORED = {"redcap_data_access_group", "redcap_survey_identifier"}
_TRUE = {"1", "checked", "yes", "y", "true"}
_FALSE = {"0", "unchecked", "no", "n", "false"}


@dataclass(frozen=True)
class Where:
    """Where a value came from in the REDCap file."""

    line: int
    record: str
    event: str
    instrument: str
    instance: str
    dag: str = ""

    def text(self, field: str) -> str:
        inst = f", {self.instrument} instance {self.instance}" if self.instance else ""
        return (f"REDCap line {self.line}, record {self.record!r}, event {self.event or '-'}"
                f"{inst}, field {field}")


class RedcapImportError(DataValidationError):
    """The REDCap file does not fit; nothing was written. ``errors`` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        shown = "\n  ".join(errors[:25])
        more = f"\n  ... and {len(errors) - 25} more" if len(errors) > 25 else ""
        super().__init__(f"REDCap import refused, nothing written: {len(errors)} problem(s)\n  "
                         f"{shown}{more}", field="redcap")
        self.errors = errors


def _read_csv(path: Path, what: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = [{k: (v or "") for k, v in r.items() if k is not None} for r in reader]
            return list(reader.fieldnames or []), rows
    except FileNotFoundError:
        raise DataValidationError(f"{what} {str(path)!r}: file not found", field=what) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{what} {str(path)!r}: cannot read ({exc})",
                                  field=what) from None


def read_dictionary(path: Path) -> dict[str, dict[str, str]]:
    """Return field name -> dictionary row of a REDCap data dictionary; raise if malformed or if
    it does not describe hcctrial's eCRF (every hcctrial field must be there, with its type)."""
    header, rows = _read_csv(path, "--dictionary")
    if not header or header[0].strip() != DICTIONARY_COLUMNS[0]:
        raise DataValidationError(
            f"--dictionary {str(path)!r}: first column {header[0] if header else None!r}; "
            f"expected a REDCap data dictionary starting with {DICTIONARY_COLUMNS[0]!r}",
            field="dictionary")
    out = {r[header[0]].strip(): {k.strip(): v for k, v in r.items()} for r in rows}
    problems = []
    for f in fields():
        row = out.get(f.name)
        if row is None:
            problems.append(f"field {f.name} (instrument {f.form}) is missing")
        elif row.get("Field Type", "").strip() != f.field_type:
            problems.append(f"field {f.name}: type {row.get('Field Type')!r}; expected "
                            f"{f.field_type!r}")
    known = {f.name for f in fields()}
    for name, row in out.items():
        if name not in known and row.get("Field Type", "").strip() not in ("descriptive", ""):
            problems.append(f"field {name} (instrument {row.get('Form Name')}) is not a field of "
                            "the hcctrial eCRF (see `hcctrial redcap dictionary`)")
    if problems:
        raise DataValidationError(f"--dictionary {str(path)!r} does not describe the hcctrial "
                                  "eCRF: " + "; ".join(problems[:20]), field="dictionary")
    return out


_DATE_PATTERNS = {
    "date_ymd": (re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$"), (0, 1, 2), "YYYY-MM-DD"),
    "date_mdy": (re.compile(r"^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$"), (2, 0, 1), "MM-DD-YYYY"),
    "date_dmy": (re.compile(r"^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$"), (2, 1, 0), "DD-MM-YYYY"),
}


def _date(text: str, validation: str) -> str:
    """Return ``text`` (a REDCap date of ``validation``) as YYYY-MM-DD; ValueError if not one."""
    pattern, order, shown = _DATE_PATTERNS.get(validation, _DATE_PATTERNS["date_ymd"])
    m = pattern.match(text)
    if not m:
        iso = _DATE_PATTERNS["date_ymd"][0].match(text)  # REDCap's raw exports are Y-M-D
        if iso is None:
            raise ValueError(f"a date {shown}")
        m, order = iso, (0, 1, 2)
    y, mo, d = (int(m.group(k + 1)) for k in order)
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        raise ValueError(f"a date {shown} that exists") from None


def _value(f: RedcapField, raw: str, dict_row: dict[str, str]) -> str:
    """Return the import-CSV text of one REDCap value; ValueError(expected) if it does not fit."""
    text = raw.strip()
    if text == "":
        return ""
    if f.field_type == "yesno":
        low = text.lower()
        if low in _TRUE:
            return "true"
        if low in _FALSE:
            return "false"
        raise ValueError("1 (yes) or 0 (no)")
    if f.field_type in ("radio", "dropdown"):
        for code, label in f.choices:
            if text == code or text.lower() == label.lower():
                return code
        raise ValueError("one of the codes " + ", ".join(c for c, _ in f.choices))
    validation = dict_row.get("Text Validation Type OR Show Slider Number", "").strip()
    if validation.startswith("date_") or f.validation == "date_ymd":
        return _date(text, validation or f.validation)
    return text


def redcap_tables(
    records_path: Path, dictionary_path: Path, site_ids: dict[str, int], next_ids: dict[str, int]
) -> tuple[dict[str, list[dict[str, str]]], dict[tuple[str, int], tuple[Where, dict[str, str]]]]:
    """Parse a records export into {table: rows of text cells} (the tables ``import DIR`` reads)
    and the provenance of each row: (table, spreadsheet row number) -> (where, column -> field).

    ``site_ids``: site code -> id in the database; ``next_ids``: table -> first free id.
    """
    dictionary = read_dictionary(dictionary_path)
    header, rows = _read_csv(records_path, "REDCap records file")
    fs = [f for f in fields() if f.name != "record_id"]
    by_form: dict[str, list[RedcapField]] = defaultdict(list)
    for f in fs:
        by_form[f.form].append(f)
    errors: list[str] = []
    allowed = {"record_id", "redcap_event_name", "redcap_repeat_instrument",
               "redcap_repeat_instance", *_IGNORED}
    for f in fs:
        allowed |= ({f"{f.name}___{c}" for c, _ in f.choices} if f.field_type == "checkbox"
                    else {f.name})
    allowed |= {f"{form}_{end}" for form, *_ in FORMS for end in ("complete", "timestamp")}
    if not header or header[0] != "record_id":
        raise RedcapImportError([f"REDCap records file: first column {header[:1]}; expected "
                                 "record_id (a REDCap 'records' export, raw values)"])
    unknown = [h for h in header if h not in allowed]
    if unknown:
        raise RedcapImportError([f"REDCap records file: column {h!r} is not a field of the "
                                 "dictionary" for h in unknown])
    forms = {fm: (table, rep) for fm, table, _, rep, _ in FORMS}
    tables: dict[str, list[dict[str, str]]] = defaultdict(list)
    origin: dict[tuple[str, int], tuple[Where, dict[str, str]]] = {}
    ids = dict(next_ids)
    keys: dict[str, dict[Any, int]] = defaultdict(dict)  # natural keys -> ids, for the links
    pending: list[tuple[str, dict[str, str], Where, dict[str, str]]] = []
    for line, row in enumerate(rows, start=2):
        record = row.get("record_id", "").strip()
        instrument = row.get("redcap_repeat_instrument", "").strip()
        where = Where(line, record, row.get("redcap_event_name", "").strip(), instrument,
                      row.get("redcap_repeat_instance", "").strip(),
                      row.get("redcap_data_access_group", "").strip())
        if not record:
            errors.append(where.text("record_id") + ": got ''; expected the study id")
            continue
        if instrument and instrument not in forms:
            errors.append(where.text("redcap_repeat_instrument") + f": got {instrument!r}; "
                          "expected a repeating instrument of the dictionary")
            continue
        candidates = [instrument] if instrument else [fm for fm, (_, rep) in forms.items()
                                                      if not rep]
        for form in candidates:
            table, _ = forms[form]
            cells: dict[str, str] = {}
            columns: dict[str, str] = {}
            filled = False
            for f in by_form[form]:
                if f.field_type == "checkbox":
                    for code, column in CHECKBOX_FINDINGS.items():
                        raw = row.get(f"{f.name}___{code}", "")
                        filled = filled or raw.strip() not in ("", "0", "Unchecked")
                        low = raw.strip().lower()
                        if low not in _TRUE | _FALSE | {""}:
                            errors.append(where.text(f"{f.name}___{code}") + f": got {raw!r}; "
                                          "expected 1 (checked) or 0")
                        cells[column] = "true" if low in _TRUE else "false"
                        columns[column] = f"{f.name}___{code}"
                    continue
                raw = row.get(f.name, "")
                filled = filled or raw.strip() != ""
                try:
                    cells[f.column] = _value(f, raw, dictionary.get(f.name, {}))
                except ValueError as exc:
                    errors.append(where.text(f.name) + f": got {raw!r}; expected {exc}")
                columns[f.column] = f.name
            if filled:
                pending.append((table, cells, where, columns))
    site_ids = dict(site_ids)
    for code in sorted({c["site_id"] or w.dag for t, c, w, _ in pending if t == "patients"}
                       - set(site_ids) - {""}):
        # a site the database does not know yet: created with the patients (named by its code)
        site_ids[code] = ids.get("sites", 1)
        ids["sites"] = site_ids[code] + 1
        tables["sites"].append({"id": str(site_ids[code]), "code": code,
                                "name": f"{code} (created by the REDCap import)"})
    # ids, parents and links, in table order (parents first)
    for _, table, *_ in FORMS:
        for t, cells, where, columns in pending:
            if t != table:
                continue
            _link(table, cells, where, columns, site_ids, keys, errors)
            cells["id"] = str(ids.get(table, 1))
            ids[table] = ids.get(table, 1) + 1
            _remember(table, cells, where, keys)
            tables[table].append(cells)
            origin[(table, len(tables[table]) + 1)] = (where, columns)
    if errors:
        raise RedcapImportError(errors)
    return dict(tables), origin


def _link(table: str, cells: dict[str, str], where: Where, columns: dict[str, str],
          site_ids: dict[str, int], keys: dict[str, dict[Any, int]], errors: list[str]) -> None:
    """Replace natural keys by ids (patient, screening, site, cycle, scan) in ``cells``."""
    if table == "patients":
        cells["study_id"] = where.record
        columns["study_id"] = "record_id"
        code = cells.pop("site_id", "") or where.dag
        if not code and len(site_ids) == 1:
            code = next(iter(site_ids))  # a single-site trial: the site need not be repeated
        if code not in site_ids:
            errors.append(where.text("pat_site") + f": got {code!r}; expected the code of the "
                          f"patient's site (sites: {', '.join(sorted(site_ids)) or 'none yet'})")
        cells["site_id"] = str(site_ids.get(code, ""))
        return
    patient = keys["patients"].get(where.record)
    if patient is None:
        errors.append(where.text("record_id") + f": record {where.record!r} has no patient "
                      "instrument (pat_site, pat_status) in the file")
        return
    if table == "screening_criteria":
        screening = keys["screenings"].get(where.record)
        if screening is None:
            errors.append(where.text("crit_criterion_id") + ": the record has no screening")
        cells["screening_id"] = str(screening or "")
        columns["screening_id"] = "(the record's screening)"
    elif table == "cycle_doses":
        number = cells.pop("cycle_id", "")
        cycle = keys["treatment_cycles"].get((where.record, number))
        if cycle is None:
            errors.append(where.text("dose_cycle_number") + f": got {number!r}; expected the "
                          "number of a treatment_cycle of the record")
        cells["cycle_id"] = str(cycle or "")
    elif table == "lesion_measurements":
        day = cells.pop("imaging_id", "")
        scan = keys["imaging_assessments"].get((where.record, day))
        if scan == -1:
            errors.append(where.text("les_scan_date") + f": got {day!r}; the record has two "
                          "imaging instances on that date (a lesion cannot say which)")
            scan = None
        elif scan is None:
            errors.append(where.text("les_scan_date") + f": got {day!r}; expected the date of "
                          "one imaging instance of the record")
        cells["imaging_id"] = str(scan or "")
    else:
        cells["patient_id"] = str(patient)
        columns["patient_id"] = "record_id"


def _remember(table: str, cells: dict[str, str], where: Where,
              keys: dict[str, dict[Any, int]]) -> None:
    pk = int(cells["id"])
    if table == "patients":
        keys["patients"][where.record] = pk
    elif table == "screenings":
        keys["screenings"][where.record] = pk
    elif table == "treatment_cycles":
        keys["treatment_cycles"][(where.record, cells.get("cycle_number", "").strip())] = pk
    elif table == "imaging_assessments":
        day = cells.get("assessment_date", "")
        seen = keys["imaging_assessments"]
        seen[(where.record, day)] = -1 if (where.record, day) in seen else pk


def import_tables(uow: UnitOfWork, tables: dict[str, list[dict[str, str]]], *,
                  reason: str) -> dict[str, int]:
    """THE adapter to the import path: feed ``tables`` (table -> rows of text cells, the columns
    of ``<table>.csv``) to the same function as ``hcctrial import DIR``; return rows per table.

    That function (:func:`hcctrial.services.imports.import_directory`) reads a directory with the
    project's one CSV reader and applies every rule of the trial through ``uow`` (the acting
    user's unit of work), so the tables are written as ``<table>.csv`` into a temporary directory
    first.
    """
    from hcctrial.services.imports import import_directory

    with tempfile.TemporaryDirectory(prefix="hcctrial-redcap-") as tmp:
        for table, rows in tables.items():
            columns: list[str] = []
            for r in rows:
                columns += [c for c in r if c not in columns]
            with (Path(tmp) / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", restval="")
                writer.writeheader()
                writer.writerows(rows)
        return import_directory(uow, Path(tmp), reason=reason)


def import_redcap_file(uow: UnitOfWork, records: Path, dictionary: Path | None, *, fmt: str,
                       reason: str) -> dict[str, int]:
    """Import a REDCap records export (all or nothing); errors name record, event and field."""
    from sqlalchemy import func, select

    from hcctrial.store.csv_io import CsvImportError
    from hcctrial.store.models import DATA_TABLES, Site, table_of

    if fmt.strip().lower() != "redcap":
        raise DataValidationError(f"--format: got {fmt!r}; expected csv or redcap",
                                  field="format")
    if dictionary is None:
        raise DataValidationError("--dictionary: missing; expected the REDCap data dictionary "
                                  "CSV of the project (hcctrial redcap dictionary OUT.csv)",
                                  field="dictionary")
    session = uow.session
    sites = {code: pk for pk, code in session.execute(select(Site.id, Site.code))}
    next_ids = {m.__tablename__: int(session.scalar(select(func.max(table_of(m).c.id))) or 0) + 1
                for m in DATA_TABLES}
    tables, origin = redcap_tables(Path(records), Path(dictionary), sites, next_ids)
    try:
        return import_tables(uow, tables, reason=reason)
    except CsvImportError as exc:
        messages = []
        for e in exc.errors:
            where, columns = origin.get((e.table, e.row), (None, {}))
            if where is None:
                messages.append(e.message)
            else:
                messages.append(f"{where.text(columns.get(e.column, e.column))}: got "
                                f"{e.value!r}; expected {e.expected}")
        raise RedcapImportError(messages) from None
