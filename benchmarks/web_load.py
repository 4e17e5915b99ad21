"""Benchmark: 50 concurrent web clients on loopback against a 1,000-patient trial (SQLite).

Builds a throw-away SQLite trial of 1,000 synthetic patients (the rows of
``benchmarks/db_import.py``, written through the audited service layer), starts the web
application under uvicorn in a separate process on 127.0.0.1, signs in 50 clients (httpx async)
and lets each run a fixed number of operations: saving a lab-result form (POST with its CSRF
token, the server checks, converts units, writes the row and its audit entry) or loading the
dashboard (KM of PFS/OS, responses, toxicity of the 1,000 patients). Reports p50/p95 latency per
operation, errors, and lost writes (saved forms whose row is not in the database afterwards).
Bounded: ``--clients`` x ``--ops`` requests and a ``--timeout`` in seconds.

Target (issue 8): p95 of a form save under 100 ms on SQLite, zero errors, zero lost writes.

    .venv/bin/python benchmarks/web_load.py [--patients 1000] [--clients 50] [--ops 20]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PASSWORD = "benchmark password"
MARKER_DATE = "2030-01-01"


def _synthetic_rows(n: int) -> dict[str, list[dict[str, Any]]]:
    spec = importlib.util.spec_from_file_location("db_import", HERE / "db_import.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows: dict[str, list[dict[str, Any]]] = module.synthetic_rows(n)
    return rows


def build_trial(url: str, n_patients: int) -> list[int]:
    """Create the trial database; return the enrolled patients' ids."""
    from hcctrial.store import models as m
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.services import create, create_many
    from hcctrial.store.session import make_engine, open_session
    from hcctrial.web.security import hash_password

    engine = make_engine(url)
    upgrade_to_head(engine)
    tables = _synthetic_rows(n_patients)
    by_name = {model.__tablename__: model for model in m.DATA_TABLES}
    with open_session(engine) as s:
        for model in m.DATA_TABLES:
            rows = tables.get(model.__tablename__)
            if rows:
                create_many(s, by_name[model.__tablename__], rows, actor="bench", reason="load")
        create(
            s,
            m.User,
            {
                "username": "bench",
                "role": "admin",
                "site_id": None,
                "password_hash": hash_password(PASSWORD),
                "active": True,
            },
            actor="bench",
            reason="load",
        )
    with open_session(engine) as s:
        from sqlalchemy import select

        ids = list(s.scalars(select(m.Patient.id).where(m.Patient.enrolment_date.is_not(None))))
    engine.dispose()
    return ids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn; from hcctrial.web import create_app; "
        f"uvicorn.run(create_app({url!r}, secret_key='bench'), host='127.0.0.1', port={port}, "
        "log_level='warning')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the web server did not start")


async def _sign_in(client: Any) -> str:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    cookie = page.cookies.get("hcctrial_session") or ""
    r = await client.post(
        "/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Cookie": f"hcctrial_session={cookie}"},
    )
    # the session cookie is Secure: httpx keeps it off plain http, so it is sent by hand
    session = r.cookies.get("hcctrial_session")
    assert r.status_code == 303 and session, r.text[:300]
    client.headers["Cookie"] = f"hcctrial_session={session}"
    me = await client.get("/api/me")
    assert "hcctrial_session" not in me.cookies  # the session no longer changes
    return str(me.json()["csrf_token"])


async def run_load(
    base: str,
    patient_ids: list[int],
    clients: int,
    ops: int,
    dashboard_share: float,
    timeout: float,
) -> dict[str, Any]:
    import httpx

    latencies: dict[str, list[float]] = {"save_form": [], "dashboard": []}
    errors: list[str] = []
    saved: list[tuple[int, float]] = []
    rng = random.Random(8)
    targets = rng.sample(patient_ids, clients)

    async def one_client(k: int) -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            csrf = await _sign_in(client)
            pid = targets[k]
            for i in range(ops):
                if rng.random() < dashboard_share:
                    t0 = time.perf_counter()
                    r = await client.get("/dashboard")
                    latencies["dashboard"].append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        errors.append(f"dashboard {r.status_code}")
                    continue
                value = round(100 + k + i / 100, 2)  # unique per (client, op): finds lost rows
                form = {
                    "csrf_token": csrf,
                    "sample_date": MARKER_DATE,
                    "analyte": "platelets",
                    "value_entered": str(value),
                    "unit_entered": "x10^9/L",
                    "lln": "150",
                    "uln": "400",
                }
                t0 = time.perf_counter()
                r = await client.post(f"/patients/{pid}/labs/new", data=form)
                latencies["save_form"].append(time.perf_counter() - t0)
                if r.status_code == 303:
                    saved.append((pid, value))
                else:
                    errors.append(f"save {r.status_code}: {r.text[:200]}")

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one_client(k) for k in range(clients))), timeout)
    wall = time.perf_counter() - started

    def pct(xs: list[float], q: float) -> float | None:
        if not xs:
            return None
        return (
            round(statistics.quantiles(xs, n=100, method="inclusive")[q - 1] * 1000, 1)
            if len(xs) > 1
            else round(xs[0] * 1000, 1)
        )

    return {
        "wall_s": round(wall, 2),
        "requests": sum(len(v) for v in latencies.values()),
        "errors": len(errors),
        "error_examples": errors[:3],
        "saved": saved,
        "latency_ms": {
            name: {
                "n": len(xs),
                "p50": pct(xs, 50),
                "p95": pct(xs, 95),
                "max": round(max(xs) * 1000, 1) if xs else None,
            }
            for name, xs in latencies.items()
        },
    }


def count_lost(url: str, saved: list[tuple[int, float]]) -> int:
    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    with open_session(engine) as s:
        rows = set(
            s.execute(
                select(m.LabResult.patient_id, m.LabResult.value_entered).where(
                    m.LabResult.sample_date
                    == __import__("datetime").date.fromisoformat(MARKER_DATE)
                )
            ).all()
        )
    engine.dispose()
    return sum(1 for x in saved if x not in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--ops", type=int, default=20, help="operations per client")
    ap.add_argument("--dashboard-share", type=float, default=0.1)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hcctrial-web-load-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'trial.sqlite'}"
        t0 = time.perf_counter()
        ids = build_trial(url, args.patients)
        build_s = time.perf_counter() - t0
        port = _free_port()
        server = start_server(url, port)
        try:
            result = asyncio.run(
                run_load(
                    f"http://127.0.0.1:{port}",
                    ids,
                    args.clients,
                    args.ops,
                    args.dashboard_share,
                    args.timeout,
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
        saved = result.pop("saved")
        result.update(
            patients=args.patients,
            clients=args.clients,
            ops_per_client=args.ops,
            build_s=round(build_s, 1),
            saved=len(saved),
            lost_writes=count_lost(url, saved),
            cpu_count=os.cpu_count(),
        )
    if args.json:
        print(json.dumps(result))
        return
    lat = result["latency_ms"]
    print(
        f"{result['patients']} patients, {result['clients']} clients x {result['ops_per_client']}"
        f" operations in {result['wall_s']} s (database built in {result['build_s']} s)"
    )
    for name, v in lat.items():
        print(f"  {name:<10} n={v['n']:<5} p50={v['p50']} ms  p95={v['p95']} ms  max={v['max']} ms")
    print(
        f"  errors={result['errors']}  saved={result['saved']}  lost writes={result['lost_writes']}"
    )
    save_p95 = lat["save_form"]["p95"]
    ok = (
        save_p95 is not None
        and save_p95 < 100
        and not result["errors"]
        and not result["lost_writes"]
    )
    print(f"  target (p95 save < 100 ms, 0 errors, 0 lost): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
