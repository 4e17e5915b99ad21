"""Benchmark: import 10,000 synthetic patients' full records into SQLite and PostgreSQL.

Each patient gets a screening with 8 criteria, a baseline, 12 lab results, 6 cycles with 3 doses
each, 2 adverse events, 4 imaging assessments with 2 lesions each, 2 follow-ups: 63 rows, imported
through :func:`hcctrial.services.imports.import_rows` -- the path of ``hcctrial import`` and the
demo: every rule of the trial applied (values, links, sites, the patients' states, every rule
comparing records), audited, hash-chained -- in one transaction. The same rows are also written
in the same run through the audited persistence alone
(:func:`hcctrial.services.persistence.create_many`: column checks and audit, no rules), the path
the import took before the rules; the ratio says what the rules cost. Prints rows/s and seconds
per backend, the time to import the 66-patient demo trial's records (built beforehand, untimed)
and the 1-minute load average. After each load, ``audit verify`` must pass (not timed). Target
(issue 12): the import with the rules at least 20,000 rows/s on SQLite.
PostgreSQL: ``HCCTRIAL_TEST_POSTGRES_URL`` (default 127.0.0.1:5432/test), in a throw-away schema;
skipped if unreachable.

    .venv/bin/python benchmarks/db_import.py [--patients 10000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PG_URL = os.environ.get(
    "HCCTRIAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def synthetic_rows(n_patients: int, seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """Return rows per table name for ``n_patients`` patients, with explicit ids."""
    rng = random.Random(seed)
    t: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "sites",
            "patients",
            "screenings",
            "screening_criteria",
            "baselines",
            "lab_results",
            "treatment_cycles",
            "cycle_doses",
            "adverse_events",
            "imaging_assessments",
            "lesion_measurements",
            "followups",
        )
    }
    t["sites"].append({"id": 1, "code": "S1", "name": "Site 1"})
    ids = dict.fromkeys(t, 0)

    def nid(table: str) -> int:
        ids[table] += 1
        return ids[table]

    analytes = [
        ("bilirubin", "umol/L", 5, 40),
        ("albumin", "g/L", 28, 48),
        ("platelets", "x10^9/L", 60, 300),
        ("afp", "ng/mL", 2, 2000),
    ]
    for _ in range(n_patients):
        pid = nid("patients")
        start = date(2017, 1, 1) + timedelta(days=rng.randrange(900))
        t["patients"].append(
            {
                "id": pid,
                "study_id": f"P{pid:06d}",
                "site_id": 1,
                "enrolment_date": start,
                "status": "follow_up",  # the state its records give (cycles, then follow-up)
            }
        )
        sid = nid("screenings")
        t["screenings"].append(
            {"id": sid, "patient_id": pid, "screening_date": start, "eligible": True}
        )
        for c in range(8):
            t["screening_criteria"].append(
                {
                    "id": nid("screening_criteria"),
                    "screening_id": sid,
                    "criterion_id": f"c{c}",
                    "verdict": "met",
                }
            )
        t["baselines"].append(
            {
                "id": nid("baselines"),
                "patient_id": pid,
                "assessment_date": start,
                "age_years": rng.randint(30, 75),
                "sex": rng.choice(["male", "female"]),
                "height_cm": round(rng.uniform(150, 185), 1),
                "weight_kg": round(rng.uniform(45, 90), 1),
                "n_nodules": rng.randint(1, 6),
                "largest_cm": round(rng.uniform(2, 15), 1),
                "vascular_invasion": rng.random() < 0.5,
                "portal_vein_invasion": rng.random() < 0.4,
                "extrahepatic_spread": rng.random() < 0.3,
                "hbv": True,
                "cirrhosis": True,
                "ecog": rng.randint(0, 1),
                "imaging_modality": "mri",
                "ascites": "none",
                "encephalopathy": "none",
            }
        )
        for k in range(12):
            name, unit, lo, hi = analytes[k % 4]
            t["lab_results"].append(
                {
                    "id": nid("lab_results"),
                    "patient_id": pid,
                    "sample_date": start + timedelta(days=21 * (k // 4)),
                    "analyte": name,
                    "value_entered": round(rng.uniform(lo, hi), 1),
                    "unit_entered": unit,
                }
            )
        for c in range(6):
            cid = nid("treatment_cycles")
            t["treatment_cycles"].append(
                {
                    "id": cid,
                    "patient_id": pid,
                    "cycle_number": c + 1,
                    "cycle_date": start + timedelta(days=21 * c),
                    "sorafenib_daily_mg": 800.0,
                    "sorafenib_level": 0,
                }
            )
            for drug, mg in (
                ("oxaliplatin", 150.0),
                ("leucovorin", 350.0),
                ("fluorouracil", 4000.0),
            ):
                t["cycle_doses"].append(
                    {
                        "id": nid("cycle_doses"),
                        "cycle_id": cid,
                        "drug": drug,
                        "planned_mg": mg,
                        "given_mg": mg,
                    }
                )
        for term in ("Fatigue", "Nausea"):
            t["adverse_events"].append(
                {
                    "id": nid("adverse_events"),
                    "patient_id": pid,
                    "term": term,
                    "grade": rng.randint(1, 3),
                    "onset_date": start + timedelta(days=5),
                    "attribution": "possible",
                    "serious": False,
                }
            )
        for v in range(4):
            iid = nid("imaging_assessments")
            t["imaging_assessments"].append(
                {
                    "id": iid,
                    "patient_id": pid,
                    "assessment_date": start + timedelta(days=42 * v),
                    "modality": "mri",
                    "afp_ng_ml": 100.0,
                }
            )
            for les in ("T1", "T2"):
                t["lesion_measurements"].append(
                    {
                        "id": nid("lesion_measurements"),
                        "imaging_id": iid,
                        "lesion_id": les,
                        "kind": "target",
                        "organ": "liver",
                        "diameter_mm": round(rng.uniform(10, 90), 1),
                    }
                )
        for f in range(2):
            t["followups"].append(
                {
                    "id": nid("followups"),
                    "patient_id": pid,
                    "contact_date": start + timedelta(days=200 + 100 * f),
                    "vital_status": "alive",
                }
            )
    return t


def load(url: str, tables: dict[str, list[dict[str, Any]]], *, rules: bool) -> tuple[int, float]:
    """Write ``tables`` in one transaction -- through the import with every rule (``rules``), or
    through the audited persistence alone; return (data rows, seconds). Verifies the audit."""
    from hcctrial.services.imports import import_rows
    from hcctrial.services.permissions import Actor
    from hcctrial.services.persistence import create_many
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.audit import verify_audit
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, session_factory

    by_name = {model.__tablename__: model for model in m.DATA_TABLES}
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        start = time.perf_counter()
        with session_factory(engine)() as session, session.begin():
            if rules:
                uow = UnitOfWork(session, Actor.system("bench"))
                n = sum(import_rows(uow, tables, reason="benchmark").values())
            else:
                n = 0
                for name, rows in tables.items():
                    n += len(
                        create_many(session, by_name[name], rows, actor="bench", reason="bench")
                    )
        secs = time.perf_counter() - start
        with session_factory(engine)() as session:
            report = verify_audit(session)
        if not report.ok or report.entries != n:
            raise SystemExit(f"audit verify failed after the load: {report.first_problem}")
        return n, secs
    finally:
        engine.dispose()


def demo_tables() -> dict[str, list[dict[str, Any]]]:
    """The 66-patient demo trial's rows per table (as ``hcctrial demo`` writes them), in order."""
    from hcctrial.demo.cohort import build_cohort
    from hcctrial.demo.generate import build_records
    from hcctrial.store.models import DATA_TABLES

    rows = build_records(build_cohort())
    return {m.__tablename__: rows[m.__tablename__] for m in DATA_TABLES if m.__tablename__ in rows}


def _loadavg() -> str:
    return f"{os.getloadavg()[0]:.2f}"


@contextmanager
def _postgres_url() -> Iterator[str | None]:
    """Yield the URL of a fresh PostgreSQL schema (dropped afterwards), or None without server."""
    try:
        import psycopg

        admin = psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True, connect_timeout=5)
    except Exception as exc:  # no server: report and skip
        print(f"postgresql  skipped ({exc})")
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            sep = "&" if "?" in PG_URL else "?"
            yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per backend (best is shown)")
    args = parser.parse_args()
    tables = synthetic_rows(args.patients)
    demo = demo_tables()
    total = sum(len(v) for v in tables.values())
    n_demo = sum(len(v) for v in demo.values())
    print(f"{args.patients} patients, {total} rows (+ {total} audit entries); load {_loadavg()}")
    for backend in ("sqlite", "postgresql"):
        for label, data in ((f"{args.patients} patients", tables), ("demo (66 patients)", demo)):
            best: dict[bool, tuple[int, float]] = {}
            for rules in (True, False):
                runs = []
                for _ in range(args.repeat):
                    server = _postgres_url() if backend == "postgresql" else nullcontext(None)
                    with tempfile.TemporaryDirectory() as tmp, server as pg:
                        url = (
                            f"sqlite:///{Path(tmp) / 'bench.sqlite'}" if backend == "sqlite" else pg
                        )
                        if url is None:
                            break
                        runs.append(load(url, data, rules=rules))
                if not runs:
                    break
                n, secs = min(runs, key=lambda r: r[1])
                best[rules] = (n, secs)
                path = "import, all rules" if rules else "persistence only "
                print(
                    f"{backend:11s} {label:20s} {path} {n:7d} rows {secs:8.2f} s "
                    f"{n / secs:9.0f} rows/s  (runs: {', '.join(f'{r[1]:.2f}' for r in runs)}; "
                    f"load {_loadavg()})"
                )
            if len(best) == 2:
                ratio = best[True][1] / best[False][1]
                print(f"{'':11s} {label:20s} the rules cost x{ratio:.2f} the persistence's time")
    print(f"demo trial: {n_demo} rows")


if __name__ == "__main__":
    main()
