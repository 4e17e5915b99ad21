"""``hcctrial export DIR --format csv|sav|dta|xpt|sdtm|adam|odm|redcap``: one entry point.

- ``csv`` (default): today's ``<table>.csv`` files (:func:`hcctrial.store.csv_io.export_directory`),
  which ``hcctrial import DIR`` reads back;
- ``sav`` / ``dta`` / ``xpt``: every raw table and the two analysis datasets (``subjects``,
  ``endpoints``) as SPSS / Stata / SAS transport v5 files, plus ``variables.csv`` (names, labels,
  value labels);
- ``sdtm`` / ``adam``: the CDISC package (``<domain>.xpt`` + ``define.xml``);
- ``odm``: ``clinical_data.xml``, CDISC ODM 1.3 (metadata + clinical data);
- ``redcap``: ``redcap_dictionary.csv``, ``redcap_instrument_event_mapping.csv`` and
  ``redcap_records.csv`` (what ``hcctrial import FILE --format redcap`` reads back).

``--format`` may also list several formats (``sav,sdtm``) or say ``all``: each then goes into
``DIR/<format>/``. All formats but csv read the database once (:func:`hcctrial.interop.snapshot.load_snapshot`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.interop.snapshot import TrialSnapshot

__all__ = ["FORMATS", "check_format", "check_formats", "export_database", "export_snapshot"]

FORMATS = ("csv", "sav", "dta", "xpt", "sdtm", "adam", "odm", "redcap")


def check_format(fmt: str) -> str:
    """Return ``fmt`` lower-cased if it is an export format; raise naming the allowed ones."""
    from hcctrial.errors import DataValidationError

    value = (fmt or "").strip().lower()
    if value not in FORMATS:
        raise DataValidationError(
            f"--format: got {fmt!r}; expected one of {', '.join(FORMATS)}", field="format")
    return value


def check_formats(text: str) -> list[str]:
    """Return the formats of ``--format``: one, a comma-separated list, or ``all``."""
    if text.strip().lower() == "all":
        return list(FORMATS)
    formats = [check_format(part) for part in text.split(",")]
    return list(dict.fromkeys(formats))


def export_snapshot(snap: TrialSnapshot, directory: Path, fmt: str) -> dict[str, int]:
    """Write ``snap`` into ``directory`` in ``fmt`` (not csv); return file name -> rows."""
    from hcctrial.interop.raw_datasets import endpoint_dataset, subject_dataset

    directory.mkdir(parents=True, exist_ok=True)
    if fmt in ("sav", "dta", "xpt"):
        from hcctrial.interop.stat_files import write_statistics_files

        subjects = tuple(snap.subjects[k] for k in sorted(snap.subjects))
        datasets = [*snap.tables.values(), subject_dataset(subjects),
                    endpoint_dataset(snap.endpoints)]
        return write_statistics_files(datasets, directory, fmt)
    if fmt == "sdtm":
        from hcctrial.interop.cdisc import write_sdtm

        return write_sdtm(snap, directory)
    if fmt == "adam":
        from hcctrial.interop.cdisc import write_adam

        return write_adam(snap, directory)
    if fmt == "odm":
        from hcctrial.interop.odm import write_odm

        return write_odm(snap, directory)
    if fmt == "redcap":
        from hcctrial.interop.redcap_records import write_redcap_export

        return write_redcap_export(snap, directory)
    raise ValueError(f"export_snapshot: unknown format {fmt!r}")


def export_database(session: Session, directory: Path, fmt: str = "csv") -> dict[str, Any]:
    """Export the database in ``fmt`` into ``directory``; return file name -> rows (csv: table ->
    rows, as before) and, for derived formats, the patients left out of derived datasets.

    ``fmt`` may list several formats (``sav,sdtm,adam``) or be ``all``: then each goes into
    ``directory/<format>/`` and the database is read and derived once for all of them.
    """
    from hcctrial.interop.snapshot import load_snapshot

    formats = check_formats(fmt)
    many = len(formats) > 1 or fmt.strip().lower() == "all"
    files: dict[str, int] = {}
    snap = None
    for one in formats:
        target = directory / one if many else directory
        if one == "csv":
            from hcctrial.store.csv_io import export_directory

            written = export_directory(session, target)
        else:
            snap = snap or load_snapshot(session)
            written = export_snapshot(snap, target, one)
        files.update({(f"{one}/{k}" if many else k): n for k, n in written.items()})
    return {"files": files, "not_derived": snap.not_derived if snap else {}}
