"""Benchmark: ``hcctrial audit verify`` of the 1,000-patient trial (issue 16: under 10 s).

Builds a throw-away SQLite trial (copies of the demo trial, as ``benchmarks/web_load.py`` builds
it, through the import with every rule; not timed), then times, in the same run and process:

1. ``verify_audit`` — what ``hcctrial audit verify`` runs: the key check, every entry's HMAC
   recomputed and linked, the head, and every record compared with its last audited state;
2. the floor it cannot beat: reading the same rows (every audit entry, every record of every
   table) without checking anything — the ratio says what the checking costs;
3. the same verify with a checkpoint at the head (``--checkpoint``).

``--patients`` sets the trial size (default 1,000: ~123,000 entries; ``--patients 5000``: ~615,000
entries, the issue's ~600,000). Prints wall and CPU seconds (the machine is shared: CPU time is
what an idle machine would take), entries/s and the load average.
PostgreSQL: with ``--postgres`` the same on ``HCCTRIAL_TEST_POSTGRES_URL`` in a throw-away schema.

    .venv/bin/python benchmarks/audit_verify.py [--patients 1000] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from web_load import build_trial

PG_URL = os.environ.get(
    "HCCTRIAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _read_only(session: Any) -> int:
    """Read every audit entry and every record as verify does (driver rows, streamed), checking
    nothing: the floor."""
    from hcctrial.store import models as m
    from hcctrial.store.audit_rows import stored_rows as _stored_rows
    from hcctrial.store.values import column_specs

    n = 0
    for _ in _stored_rows(session, "SELECT * FROM audit_log ORDER BY seq", 20_000):
        n += 1
    for model in m.DATA_TABLES:
        cols = ", ".join(column_specs(model))
        sql = f"SELECT {cols} FROM {model.__tablename__} ORDER BY id"
        for _ in _stored_rows(session, sql, 20_000):
            n += 1
    return n


def measure(url: str, label: str) -> None:
    from hcctrial.store.audit_verify import Checkpoint, verify_audit
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    try:
        with open_session(engine) as s:
            t0, c0 = time.perf_counter(), time.process_time()
            report = verify_audit(s)
            t_verify, c_verify = time.perf_counter() - t0, time.process_time() - c0
        assert report.ok, report.problems[:3]
        with open_session(engine) as s:
            t0 = time.perf_counter()
            c0 = time.process_time()
            _read_only(s)
            t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
        checkpoint = Checkpoint(report.entries, report.head_hash)
        with open_session(engine) as s:
            t0 = time.perf_counter()
            again = verify_audit(s, checkpoints=[checkpoint])
            t_checkpoint = time.perf_counter() - t0
        assert again.ok
    finally:
        engine.dispose()
    print(
        f"{label}: {report.entries:,} entries, {report.records:,} records: verify "
        f"{t_verify:.2f} s wall, {c_verify:.2f} s CPU ({report.entries / t_verify:,.0f} "
        f"entries/s), with a checkpoint {t_checkpoint:.2f} s; reading the same rows unchecked "
        f"{t_read:.2f} s wall, {c_read:.2f} s CPU (verify / read CPU = {c_verify / c_read:.1f}x);"
        f" load {_loadavg()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("HCCTRIAL_STATE_DIR", str(Path(tmp) / "state"))
        url = f"sqlite:///{Path(tmp) / 'trial.sqlite'}"
        t0 = time.perf_counter()
        build_trial(url, args.patients)
        print(f"built the {args.patients}-patient trial in {time.perf_counter() - t0:.1f} s "
              "(not timed below)")  # fmt: skip
        measure(url, "SQLite")
        if args.postgres:
            _postgres(url)


def _postgres(sqlite_url: str) -> None:
    """Copy the trial to a throw-away PostgreSQL schema (export, import --with-history); time it."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    from hcctrial.services.history import restore_history
    from hcctrial.store.csv_io import export_directory
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, open_session

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        with tempfile.TemporaryDirectory() as tmp:
            source = make_engine(sqlite_url)
            with open_session(source) as s:
                export_directory(s, Path(tmp))
            source.dispose()
            target = make_engine(url.render_as_string(hide_password=False))
            upgrade_to_head(target)
            t0 = time.perf_counter()
            with open_session(target) as s:
                restore_history(s, Path(tmp))
            print(f"import --with-history into PostgreSQL: {time.perf_counter() - t0:.1f} s")
            target.dispose()
        measure(url.render_as_string(hide_password=False), "PostgreSQL")
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


if __name__ == "__main__":
    main()
