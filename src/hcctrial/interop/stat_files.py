"""Write datasets as SPSS (.sav), Stata (.dta) and SAS transport v5 (.xpt) files with pyreadstat.

Per format (limits in :data:`hcctrial.interop.dataset.FORMAT_LIMITS`):

- **sav** (SPSS): names up to 64 bytes, labels up to 256; coded variables and booleans as numbers
  with value labels; measurement levels nominal / ordinal / scale; dates ``DATE11``, timestamps
  ``DATETIME20`` (UTC); empty text is ``""`` (SPSS has no missing text).
- **dta** (Stata 15): names up to 32 characters, labels up to 80; value labels as in SPSS; dates
  ``%td``, timestamps ``%tc`` (UTC).
- **xpt** (SAS transport version 5, the FDA's format): upper-case names up to 8 characters,
  labels up to 40, dataset names up to 8; no value labels exist in a transport file, so a coded
  variable holds its text value and a boolean 0/1; dates ``DATE9.``, timestamps ``DATETIME20.``.

Names longer than a format allows are shortened by :func:`hcctrial.interop.dataset.file_names`;
``variables.csv`` written beside the files maps every dataset and variable to its name in the file,
with its label, kind, measurement level and value labels (the documented mapping).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hcctrial.interop.dataset import FORMAT_LIMITS, Dataset, Variable, file_names

__all__ = ["MAPPING_FILE", "frame_of", "write_dataset", "write_statistics_files"]

MAPPING_FILE = "variables.csv"
#: Readable 8-character member names of the raw tables and analysis datasets in XPT.
XPT_MEMBERS = {
    "screenings": "SCREEN", "screening_criteria": "SCRCRIT", "baselines": "BASELINE",
    "lab_results": "LABS", "treatment_cycles": "CYCLES", "cycle_doses": "DOSES",
    "adverse_events": "AES", "imaging_assessments": "IMAGING", "lesion_measurements": "LESIONS",
    "followups": "FOLLOWUP", "protocol_deviations": "DEVIATNS", "withdrawals": "WITHDRWL",
    "derived_overrides": "OVERRIDE", "endpoints": "ENDPOINT", "cycle_exams": "EXAMS",
}


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _column(v: Variable, values: list[Any], fmt: str) -> list[Any]:
    """Return the values of one variable as the writer wants them for ``fmt``."""
    if v.kind == "code":
        if fmt == "xpt":
            return ["" if x is None else str(getattr(x, "value", x)) for x in values]
        return [v.code_number(x) for x in values]
    if v.kind == "bool":
        return [None if x is None else int(bool(x)) for x in values]
    if v.kind == "str":
        return ["" if x is None else str(x) for x in values]
    if v.kind == "datetime":
        return [_naive_utc(x) for x in values]
    return list(values)


def frame_of(ds: Dataset, fmt: str) -> tuple[Any, dict[str, Any]]:
    """Return (pandas DataFrame with the names of ``fmt``, writer keyword arguments)."""
    import numpy as np
    import pandas as pd

    names = file_names([v.name for v in ds.variables], fmt)
    label_max = FORMAT_LIMITS[fmt][1]
    data: dict[str, Any] = {}
    for v in ds.variables:
        values = _column(v, ds.columns[v.name], fmt)
        if v.kind in {"date", "datetime"} and all(x is None for x in values):
            # no date at all (an empty dataset, nobody died): a numeric column, not text
            data[names[v.name]] = np.full(len(values), np.nan)
        elif v.kind in {"int", "float", "bool"} or (v.kind == "code" and fmt != "xpt"):
            data[names[v.name]] = np.array(
                [np.nan if x is None else float(x) for x in values], dtype=float
            )
        elif v.kind == "datetime":
            data[names[v.name]] = pd.to_datetime(pd.Series(values, dtype=object))
        else:
            data[names[v.name]] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(data, columns=[names[v.name] for v in ds.variables])
    labels = {names[v.name]: _fit(v.label, label_max, fmt) for v in ds.variables}
    kwargs: dict[str, Any] = {"column_labels": labels, "file_label": _fit(ds.label, label_max, fmt)}
    if fmt in {"sav", "dta"}:
        kwargs["variable_value_labels"] = {
            names[v.name]: {float(k): lab for k, lab in v.value_labels().items()}
            for v in ds.variables
            if v.value_labels()
        }
    if fmt == "sav":
        kwargs["variable_measure"] = {names[v.name]: v.measure for v in ds.variables}
    if fmt == "xpt" and ds.n_rows:  # (R haven cannot read a date format on an empty member)
        formats = {}
        for v in ds.variables:
            if v.kind == "date":
                formats[names[v.name]] = "DATE9."
            elif v.kind == "datetime":
                formats[names[v.name]] = "DATETIME20."
        kwargs["variable_format"] = formats
    return frame, kwargs


def _fit(text: str, limit: int, fmt: str) -> str:
    """Cut ``text`` to ``limit`` characters (bytes in UTF-8 for SPSS), ASCII for XPT."""
    if fmt == "xpt":
        text = text.encode("ascii", "replace").decode("ascii")
    if fmt == "sav":
        raw = text.encode("utf-8")[:limit]
        return raw.decode("utf-8", "ignore").rstrip()
    return text[:limit].rstrip()


def write_dataset(ds: Dataset, path: Path, fmt: str, *, member: str | None = None) -> Path:
    """Write ``ds`` to ``path`` in ``fmt`` (``sav``, ``dta``, ``xpt``); return the path.

    ``member`` is the XPT member (dataset) name (default: the shortened dataset name).
    """
    import pyreadstat

    frame, kwargs = frame_of(ds, fmt)
    if fmt == "sav":
        pyreadstat.write_sav(frame, str(path), **kwargs)
    elif fmt == "dta":
        pyreadstat.write_dta(frame, str(path), version=15, **kwargs)
    elif fmt == "xpt":
        table = member or file_names([ds.name], "xpt")[ds.name]
        pyreadstat.write_xport(
            frame, str(path), table_name=table, file_format_version=5, **kwargs
        )
    else:
        raise ValueError(f"unknown statistics file format {fmt!r}")
    return path


def write_statistics_files(datasets: list[Dataset], directory: Path, fmt: str) -> dict[str, int]:
    """Write every dataset as ``<name>.<fmt>`` into ``directory``, and ``variables.csv``.

    File names use the dataset names shortened for the format (8 characters for XPT). Returns
    file name -> number of rows.
    """
    directory.mkdir(parents=True, exist_ok=True)
    members = file_names([ds.name for ds in datasets], fmt)
    if fmt == "xpt":
        members.update({n: m for n, m in XPT_MEMBERS.items() if n in members})
    counts: dict[str, int] = {}
    mapping: list[list[str]] = []
    for ds in datasets:
        member = members[ds.name]
        file_name = f"{member.lower() if fmt == 'xpt' else member}.{fmt}"
        write_dataset(ds, directory / file_name, fmt, member=member)
        counts[file_name] = ds.n_rows
        names = file_names([v.name for v in ds.variables], fmt)
        for v in ds.variables:
            labels = "; ".join(f"{k}={lab}" for k, lab in v.value_labels().items())
            if fmt == "xpt":
                labels = "" if v.kind == "code" else labels
            written = _fit(v.label, FORMAT_LIMITS[fmt][1], fmt)
            mapping.append(
                [ds.name, file_name, v.name, names[v.name], v.label, written, v.kind, v.measure,
                 labels]
            )
    with (directory / MAPPING_FILE).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["dataset", "file", "variable", "name_in_file", "label", "label_in_file", "kind",
             "measure", "value_labels"]
        )
        writer.writerows(mapping)
    return counts
