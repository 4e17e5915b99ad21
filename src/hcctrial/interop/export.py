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
``DIR/<format>/``. All formats but csv read the database once (:func:`hcctrial.interop.snapshot.load_snapshot`)
and derive the analysis datasets as the statistical analysis plan defines them (``--sap``; default
the seed plan): its adverse-event table, its endpoints (ADTTE's parameters), its populations (ADSL's
flags) and TS's objectives, outcome measures and planned subjects.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.analysis.plan import PlanFile
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
        plan = snap.plan.plan
        datasets = [*snap.tables.values(), subject_dataset(subjects, plan),
                    endpoint_dataset(snap.endpoints, plan)]
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


def export_database(
    session: Session, directory: Path, fmt: str = "csv", *, plan: PlanFile | None = None
) -> dict[str, Any]:
    """Export the database in ``fmt`` into ``directory``; return file name -> rows (csv: table ->
    rows, as before) and, for derived formats, the patients left out of derived datasets.

    ``plan``: the statistical analysis plan the derived formats follow (default: the seed plan;
    csv does not use it).

    ``fmt`` may list several formats (``sav,sdtm,adam``) or be ``all``: then each goes into
    ``directory/<format>/``, the database is read and derived once for all of them, and the
    formats are written by two forked processes (:func:`_write_in_two`): the machine has 2 cores.
    """
    from hcctrial.interop.snapshot import load_snapshot

    formats = check_formats(fmt)
    many = len(formats) > 1 or fmt.strip().lower() == "all"
    if many:
        return _export_many(session, directory, formats, plan)
    one = formats[0]
    if one == "csv":
        from hcctrial.store.csv_io import export_directory

        return {"files": export_directory(session, directory), "not_derived": {}}
    snap = load_snapshot(session, plan=plan)
    return {"files": export_snapshot(snap, directory, one), "not_derived": snap.not_derived,
            "plan": snap.plan.reference()}


#: The snapshot the forked writers share (set in the parent just before the fork).
_SHARED: dict[str, Any] = {}
#: Per format, a rough cost (CPU seconds at 1,000 patients) to balance the two writers.
_COST = {"csv": 3.2, "sav": 1.0, "dta": 0.6, "xpt": 0.7, "sdtm": 3.5, "adam": 1.4, "odm": 1.4,
         "redcap": 0.8}


def _write_group(formats: list[str]) -> dict[str, dict[str, int]]:
    """Write ``formats`` from the shared snapshot (runs in a forked worker or in this process)."""
    from hcctrial.store.csv_io import export_directory
    from hcctrial.store.session import make_engine, open_session

    snap, directory, url = _SHARED["snap"], _SHARED["directory"], _SHARED["url"]
    out: dict[str, dict[str, int]] = {}
    for one in formats:
        if one == "csv":
            engine = make_engine(url)
            try:
                with open_session(engine) as session:
                    out[one] = export_directory(session, directory / one)
            finally:
                engine.dispose()
        else:
            out[one] = export_snapshot(snap, directory / one, one)
    return out


def _write_in_two(formats: list[str]) -> dict[str, dict[str, int]]:
    """Write the formats in two groups of about equal cost, one in a forked process."""
    import multiprocessing

    order = sorted(formats, key=lambda f: -_COST[f])
    groups: tuple[list[str], list[str]] = ([], [])
    for one in order:  # greedy: the next-costliest format to the lighter group
        min(groups, key=lambda g: sum(_COST[f] for f in g)).append(one)
    if not groups[1] or "fork" not in multiprocessing.get_all_start_methods():
        return _write_group(formats)
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        other = pool.submit(_write_group, groups[1])
        mine = _write_group(groups[0])
        return mine | other.result()


def _export_many(
    session: Session, directory: Path, formats: list[str], plan: PlanFile | None
) -> dict[str, Any]:
    from hcctrial.interop.snapshot import load_snapshot

    derived = [f for f in formats if f != "csv"]
    snap = load_snapshot(session, plan=plan) if derived else None
    url = session.get_bind().engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if snap is not None and not in_memory:
        _SHARED.update(snap=snap, directory=directory, url=url.render_as_string(False))
        try:
            written = _write_in_two(formats)
        finally:
            _SHARED.clear()
    else:  # an in-memory database cannot be opened by a second process
        written = {}
        for one in formats:
            if one == "csv":
                from hcctrial.store.csv_io import export_directory

                written[one] = export_directory(session, directory / one)
            else:
                assert snap is not None
                written[one] = export_snapshot(snap, directory / one, one)
    files = {f"{one}/{k}": n for one in formats for k, n in written[one].items()}
    out: dict[str, Any] = {"files": files, "not_derived": snap.not_derived if snap else {}}
    if snap is not None:
        out["plan"] = snap.plan.reference()
    return out
