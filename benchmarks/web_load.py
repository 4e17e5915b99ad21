"""Benchmark: 50 concurrent web clients on loopback against a 1,000-patient trial (SQLite).

Builds a throw-away SQLite trial of 1,000 patients (copies of the demo trial, so every patient has
realistic records: screening, baseline labs, cycles, AEs, scans with lesions, follow-up; imported
through the application services, every rule applied; for the ``pages`` run, 20 patients topped up
to 100+ labs), starts the web application under one uvicorn process on 127.0.0.1 with the warm-up
``hcctrial serve`` starts, loads the dashboard once (the cold build, reported), waits until the
server is idle (its warm-up done; the time is reported), then runs 50 closed-loop clients
(httpx async, one connection each, all signed in before the clock starts). Each client performs
``--ops`` actions: with probability ``--dashboard-share`` it loads the dashboard (KM of PFS/OS,
responses, toxicity of all patients), otherwise it saves a lab-result form (POST with its CSRF
token; the server runs the "record lab" action: access, the patient's state and every rule on the
patient's records, unit conversion, the row and its hash-chained audit entry). The saved labs are
dated on the patient's first treatment day, or the day after (dates every rule accepts for every
patient), and marked by their lower limit of normal (one value per run), so that they can be found
afterwards.

The server keeps idle connections open for 120 s (uvicorn's default 5 s closes a client's
connection during a long think time, and a request sent at that moment fails on the client's
side -- a race of the harness, not of the application). Two runs against the same server:

- ``people``: an exponential think time of mean ``--think`` seconds (default 1 s) before each
  action -- research nurses do not submit forms back to back;
- ``saturation``: no think time (every client fires its next request as soon as the previous one
  returns): the server's throughput limit, where latency = clients / throughput by Little's law.

Reported per run: p50/p95/max latency of saves and dashboards (ms, measured by the client),
requests/s, server CPU seconds (from /proc), the 1-minute load average before/after, errors, and
lost writes (acknowledged saves -- 303 -- whose row is not in the database afterwards). Finally the
audit chain is verified against the tables. Bounded: ``--clients`` x ``--ops`` actions per run,
``--timeout`` seconds per run.

Target (issue 8): p95 of a form save under 100 ms on SQLite, zero errors, zero lost writes.

A third run, ``pages`` (issue 19), reads the data managers' pages with the same clients and think
time: the patient list (first page, a later page, a search, the overdue filter is not included: it
reads every patient's schedule), the patient page of a patient with 100+ lab results, and that
patient's visit-schedule grid. Targets: patient list p95 < 100 ms, patient page with 100+ labs
p95 < 150 ms, schedule grid p95 < 150 ms.

    .venv/bin/python benchmarks/web_load.py [--patients 1000] [--clients 50] [--ops 20]
        [--think 1.0] [--runs people,saturation] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
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
#: The lower limit of normal of the benchmark's saved labs, one per run (finds them afterwards).
MARKER_LLN = {"people": "151.25", "saturation": "152.25"}
#: The day after the first treatment day the saved labs are dated, one per run (the same value on
#: the same day twice is a duplicate, LAB-DUPLICATE).
MARKER_DAY = {"people": 0, "saturation": 1}


def _day_after(day: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


#: Foreign keys of the demo rows: column -> the table it points into (ids are shifted per copy).
_FOREIGN_KEYS = {
    "patient_id": "patients",
    "screening_id": "screenings",
    "cycle_id": "treatment_cycles",
    "imaging_id": "imaging_assessments",
}


def trial_rows(n_patients: int) -> dict[str, list[dict[str, Any]]]:
    """Rows per table of an ``n_patients`` trial: copies of the demo trial (82 screened, 66
    enrolled; :func:`hcctrial.demo.generate.build_records`), ids shifted per copy, study ids
    suffixed, cut at ``n_patients`` patients. Realistic records: baseline labs before day 0,
    cycles, AEs, scans with lesions, deaths -- so every dashboard number is computed for real."""
    from hcctrial.demo.cohort import build_cohort
    from hcctrial.demo.generate import build_records

    demo = build_records(build_cohort())
    demo.pop("users", None)
    top = {name: max((int(r["id"]) for r in rows), default=0) for name, rows in demo.items()}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in demo}
    out["sites"] = [dict(r) for r in demo["sites"]]
    kept: dict[str, set[int]] = {name: set() for name in demo}
    copy = 0
    while len(out["patients"]) < n_patients:
        # parents before children (the demo's table order): a child is kept iff its parent is
        for name, rows in demo.items():
            if name == "sites":
                continue
            for r in rows:
                row = dict(r)
                row["id"] = int(r["id"]) + copy * top[name]
                parent_ok = True
                for col, target in _FOREIGN_KEYS.items():
                    if row.get(col) is not None:
                        row[col] = int(row[col]) + copy * top[target]
                        parent_ok = parent_ok and row[col] in kept[target]
                if name == "patients":
                    if len(out["patients"]) >= n_patients:
                        continue
                    row["study_id"] = f"{r['study_id']}-{copy:02d}"
                elif not parent_ok:
                    continue
                kept[name].add(row["id"])
                out[name].append(row)
        copy += 1
    return out


def build_trial(url: str, n_patients: int) -> dict[int, str]:
    """Create the trial database through the services (the import: every rule applies); return
    the enrolled patients' ids with their enrolment dates."""
    from sqlalchemy import select

    from hcctrial.services.accounts import add_user
    from hcctrial.services.imports import import_rows
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import Settings
    from hcctrial.store import models as m
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, open_session
    from hcctrial.web.security import hash_password, password_hasher

    engine = make_engine(url)
    upgrade_to_head(engine)
    tables = trial_rows(n_patients)
    hasher = password_hasher(Settings())
    with open_session(engine) as s:
        uow = UnitOfWork(s, Actor.system("bench"))
        import_rows(uow, tables, reason="load")
        add_user(
            uow,
            username="bench",
            role="admin",
            site_id=None,
            password=PASSWORD,
            hash_password=lambda pw: hash_password(hasher, pw),
            reason="load",
        )
    with open_session(engine) as s:
        enrolled = s.execute(
            select(m.Patient.id, m.Patient.enrolment_date).where(
                m.Patient.enrolment_date.is_not(None)
            )
        ).all()
    engine.dispose()
    return {int(pid): day.isoformat() for pid, day in enrolled}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn; from hcctrial.web import create_app; "
        "from hcctrial.settings import Settings; "
        "from hcctrial.web.patient_memo import warm_up_in_background; "
        f"app = create_app(Settings(database_url={url!r}, secret_key='bench-only-key-of-at-least-32-bytes!')); "
        "warm_up_in_background(app.state); "  # as hcctrial serve does
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning', timeout_keep_alive=120)"
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


def _pct(xs: list[float], q: int) -> float | None:
    """The ``q``-th percentile of ``xs`` (seconds) in ms (inclusive method), None if empty."""
    if not xs:
        return None
    if len(xs) == 1:
        return round(xs[0] * 1000, 1)
    return round(statistics.quantiles(xs, n=100, method="inclusive")[q - 1] * 1000, 1)


def wait_until_idle(pid: int, *, quiet_s: float = 1.0, limit_s: float = 120.0) -> float:
    """Wait until server ``pid`` has used under 2 % of a CPU for ``quiet_s`` seconds (its start-up
    warm-up, :func:`hcctrial.web.patient_memo.warm_up_in_background`, is done); return the seconds
    waited (at most ``limit_s``). The runs measure a started server, not its start-up."""
    started = time.perf_counter()
    last = _server_cpu_s(pid)
    while time.perf_counter() - started < limit_s:
        time.sleep(quiet_s)
        now = _server_cpu_s(pid)
        if now - last < 0.02 * quiet_s:
            break
        last = now
    return time.perf_counter() - started


def _server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_load(
    base: str,
    patients: dict[int, str],
    *,
    run: str,
    clients: int,
    ops: int,
    think_mean_s: float,
    dashboard_share: float,
    timeout: float,
    server_pid: int | None = None,
    seed: int = 8,
) -> dict[str, Any]:
    """Run ``clients`` closed-loop clients, each signed in first, then ``ops`` actions with an
    exponential think time of mean ``think_mean_s`` before each (0: back to back). Returns the
    latencies, errors and the acknowledged saves ``(patient id, value)``."""
    import httpx

    latencies: dict[str, list[float]] = {"save_form": [], "dashboard": []}
    errors: list[str] = []
    saved: list[tuple[int, float]] = []
    rng = random.Random(seed)
    targets = rng.sample(sorted(patients), clients)
    marker = MARKER_LLN[run]
    http: list[Any] = []
    tokens: list[str] = []
    try:
        for _ in range(clients):
            http.append(
                httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1))
            )
        # everybody signs in first (argon2 is deliberately slow): not part of the measurement.
        # At most 4 at once: the 50 clients share one account, and an account has at most 5
        # sign-in attempts in flight (hcctrial.services.signin).
        gate = asyncio.Semaphore(4)

        async def gated(c: Any) -> str:
            async with gate:
                return await _sign_in(c)

        tokens = list(await asyncio.gather(*(gated(c) for c in http)))

        async def one_client(k: int) -> None:
            client, csrf, pid = http[k], tokens[k], targets[k]
            crng = random.Random(seed * 1000 + k)
            for i in range(ops):
                if think_mean_s > 0:
                    await asyncio.sleep(crng.expovariate(1.0 / think_mean_s))
                if crng.random() < dashboard_share:
                    t0 = time.perf_counter()
                    try:
                        r = await client.get("/dashboard")
                    except httpx.HTTPError as exc:
                        errors.append(f"dashboard {type(exc).__name__}")
                        continue
                    finally:
                        latencies["dashboard"].append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        errors.append(f"dashboard {r.status_code}")
                    continue
                value = round(100 + k + i / 1000, 3)  # unique per (client, op): finds lost rows
                form = {
                    "csrf_token": csrf,
                    "sample_date": _day_after(patients[pid], MARKER_DAY[run]),
                    "analyte": "platelets",
                    "value_entered": str(value),
                    "unit_entered": "x10^9/L",
                    "lln": marker,
                    "uln": "400",
                }
                t0 = time.perf_counter()
                try:
                    r = await client.post(f"/patients/{pid}/labs/new", data=form)
                except httpx.HTTPError as exc:
                    errors.append(f"save {type(exc).__name__}")
                    continue
                finally:
                    latencies["save_form"].append(time.perf_counter() - t0)
                if r.status_code == 303:
                    saved.append((pid, value))
                else:
                    errors.append(f"save {r.status_code}: {r.text[:200]}")

        load_before = os.getloadavg()[0]
        cpu0 = _server_cpu_s(server_pid) if server_pid else 0.0
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one_client(k) for k in range(clients))), timeout)
        wall = time.perf_counter() - started
        cpu = _server_cpu_s(server_pid) - cpu0 if server_pid else None
        load_after = os.getloadavg()[0]
    finally:
        for c in http:
            await c.aclose()
    n = sum(len(v) for v in latencies.values())
    return {
        "run": run,
        "think_mean_s": think_mean_s,
        "wall_s": round(wall, 2),
        "requests": n,
        "throughput_per_s": round(n / wall, 1),
        "server_cpu_s": None if cpu is None else round(cpu, 2),
        "loadavg_1min_before_after": [round(load_before, 2), round(load_after, 2)],
        "errors": len(errors),
        "error_examples": errors[:3],
        "saved": saved,
        "latency_ms": {
            name: {
                "n": len(xs),
                "p50": _pct(xs, 50),
                "p95": _pct(xs, 95),
                "max": round(max(xs) * 1000, 1) if xs else None,
            }
            for name, xs in latencies.items()
        },
    }


def count_lost(url: str, run: str, saved: list[tuple[int, float]]) -> int:
    """How many acknowledged saves of ``run`` are not in the database (0 = none lost)."""

    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    with open_session(engine) as s:
        rows = set(
            s.execute(
                select(m.LabResult.patient_id, m.LabResult.value_entered).where(
                    m.LabResult.lln == float(MARKER_LLN[run])
                )
            ).all()
        )
    engine.dispose()
    return sum(1 for x in saved if x not in rows)


def audit_ok(url: str) -> bool:
    """Whether the audit chain and the tables agree after the runs (``audit verify``)."""
    from hcctrial.store.audit import verify_audit
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    with open_session(engine) as s:
        ok = verify_audit(s).ok
    engine.dispose()
    return ok


def _target_met(result: dict[str, Any]) -> bool:
    p95 = result["latency_ms"]["save_form"]["p95"]
    return p95 is not None and p95 < 100 and not result["errors"] and not result["lost_writes"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--ops", type=int, default=20, help="actions per client and run")
    ap.add_argument(
        "--think", type=float, default=1.0, help="mean think time (s) of the people run"
    )
    ap.add_argument("--dashboard-share", type=float, default=0.1)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run at most")
    ap.add_argument(
        "--runs", default="people,saturation", help="comma-separated: people, saturation"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    if not set(runs) <= {*MARKER_LLN, "pages"}:
        ap.error(f"--runs: expected some of {', '.join(MARKER_LLN)}, pages")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="hcctrial-web-load-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'trial.sqlite'}"
        t0 = time.perf_counter()
        ids = build_trial(url, args.patients)
        # data first, then the server: a write after the start would make the warm-up's work stale
        heavy = many_labs(url, 100) if "pages" in runs else []
        build_s = time.perf_counter() - t0
        port = _free_port()
        server = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            cold_s = asyncio.run(_first_dashboard(base))
            settle_s = wait_until_idle(server.pid)
            for run in runs:
                if run == "pages":
                    results.append(
                        asyncio.run(
                            run_pages(
                                base,
                                sorted(ids),
                                heavy,
                                clients=args.clients,
                                ops=args.ops,
                                think_mean_s=args.think,
                                timeout=args.timeout,
                                server_pid=server.pid,
                            )
                        )
                    )
                    continue
                result = asyncio.run(
                    run_load(
                        base,
                        ids,
                        run=run,
                        clients=args.clients,
                        ops=args.ops,
                        think_mean_s=args.think if run == "people" else 0.0,
                        dashboard_share=args.dashboard_share,
                        timeout=args.timeout,
                        server_pid=server.pid,
                    )
                )
                results.append(result)
        finally:
            server.terminate()
            server.wait(timeout=10)
        for result in results:
            if result["run"] == "pages":
                result["target_met"] = _pages_target_met(result)
                continue
            saved = result.pop("saved")
            result["saved"] = len(saved)
            result["lost_writes"] = count_lost(url, result["run"], saved)
            result["target_met"] = _target_met(result)
        chain_ok = audit_ok(url)
    summary = {
        "patients": args.patients,
        "enrolled": len(ids),
        "clients": args.clients,
        "ops_per_client": args.ops,
        "dashboard_share": args.dashboard_share,
        "build_s": round(build_s, 1),
        "dashboard_cold_s": round(cold_s, 2),
        "server_warm_up_s": round(settle_s, 1),
        "audit_chain_ok": chain_ok,
        "cpu_count": os.cpu_count(),
        "runs": results,
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(
        f"{args.patients} patients ({len(ids)} enrolled), {args.clients} clients x {args.ops}"
        f" actions per run; database built in {summary['build_s']} s; first dashboard"
        f" {summary['dashboard_cold_s']} s; server warm-up done {summary['server_warm_up_s']} s"
        f" after it; {os.cpu_count()} CPUs"
    )
    for r in results:
        think = f"think time exp. mean {r['think_mean_s']} s" if r["think_mean_s"] else "no think"
        print(
            f"[{r['run']}] {think}: {r['requests']} requests in {r['wall_s']} s"
            f" ({r['throughput_per_s']}/s), server CPU {r['server_cpu_s']} s,"
            f" load average {r['loadavg_1min_before_after'][0]} -> "
            f"{r['loadavg_1min_before_after'][1]}"
        )
        for name, v in r["latency_ms"].items():
            print(
                f"  {name:<10} n={v['n']:<5} p50={v['p50']} ms  p95={v['p95']} ms"
                f"  max={v['max']} ms"
            )
        if r["run"] == "pages":
            print(f"  errors={r['errors']}  patients with 100+ labs: {r['patients_100_labs']}")
            print(
                "  target (p95 list < 100 ms, patient page < 150 ms, schedule < 150 ms): "
                + ("met" if r["target_met"] else "NOT met")
            )
            continue
        print(f"  errors={r['errors']}  saved={r['saved']}  lost writes={r['lost_writes']}")
        if r["error_examples"]:
            print(f"  e.g. {r['error_examples']}")
        print(
            "  target (p95 save < 100 ms, 0 errors, 0 lost): "
            + ("met" if r["target_met"] else "NOT met")
        )
    print(f"audit chain and tables agree afterwards: {chain_ok}")


#: The pages run's p95 targets (ms), issue 19.
PAGE_TARGETS_MS = {"patient_list": 100.0, "patient_page_100_labs": 150.0, "schedule_grid": 150.0}


def many_labs(url: str, minimum: int, patients: int = 20) -> list[int]:
    """The ids of ``patients`` patients with at least ``minimum`` lab results: the enrolled
    patients with the most labs, topped up through the services ("record lab", every rule) with
    copies of their own labs, same dates, values +0.1 % per copy (the demo's patients have at
    most ~80 labs)."""
    from sqlalchemy import func, select

    from hcctrial.services.permissions import Actor
    from hcctrial.services.plan import Insert
    from hcctrial.services.rules import Action
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    with open_session(engine) as s:
        counts = s.execute(
            select(m.LabResult.patient_id, func.count(m.LabResult.id))
            .join(m.Patient, m.Patient.id == m.LabResult.patient_id)
            .where(m.Patient.enrolment_date.is_not(None))
            .group_by(m.LabResult.patient_id)
            .order_by(func.count(m.LabResult.id).desc(), m.LabResult.patient_id)
            .limit(patients)
        ).all()
    chosen = [int(pid) for pid, _ in counts]
    for pid, n in counts:
        if n >= minimum:
            continue
        with open_session(engine) as s:
            labs = list(s.scalars(select(m.LabResult).where(m.LabResult.patient_id == pid)))
            rows = []
            copy = 1
            while n + len(rows) < minimum:
                for lab in labs:
                    if n + len(rows) >= minimum:
                        break
                    rows.append(
                        {
                            "patient_id": pid,
                            "sample_date": lab.sample_date,
                            "analyte": lab.analyte,
                            "value_entered": round(lab.value_entered * (1 + 0.001 * copy), 6),
                            "unit_entered": lab.unit_entered,
                            "uln": lab.uln,
                            "lln": lab.lln,
                        }
                    )
                copy += 1
            uow = UnitOfWork(s, Actor.system("bench"))
            uow.run(Action.LAB, [Insert(m.LabResult, rows)], reason="benchmark: 100+ labs")
    engine.dispose()
    return chosen


async def run_pages(
    base: str,
    patients: list[int],
    heavy: list[int],
    *,
    clients: int,
    ops: int,
    think_mean_s: float,
    timeout: float,
    server_pid: int | None = None,
    seed: int = 19,
) -> dict[str, Any]:
    """``clients`` signed-in clients read the data managers' pages (see the module)."""
    import httpx

    if not heavy:
        raise RuntimeError("no patient has 100+ lab results: the pages run needs one")
    latencies: dict[str, list[float]] = {k: [] for k in PAGE_TARGETS_MS}
    errors: list[str] = []
    http = [
        httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1))
        for _ in range(clients)
    ]
    try:
        gate = asyncio.Semaphore(4)  # argon2 sign-ins, a few at a time (not measured)

        async def sign_in(client: Any) -> None:
            async with gate:
                await _sign_in(client)

        await asyncio.gather(*(sign_in(c) for c in http))

        async def one_client(k: int) -> None:
            crng = random.Random(seed * 1000 + k)
            for _ in range(ops):
                if think_mean_s > 0:
                    await asyncio.sleep(crng.expovariate(1.0 / think_mean_s))
                kind = crng.choice(list(PAGE_TARGETS_MS))
                pid = crng.choice(heavy)
                if kind == "patient_list":
                    url = crng.choice(
                        ["/patients", f"/patients?page={crng.randint(2, 10)}", "/patients?q=0"]
                    )
                elif kind == "patient_page_100_labs":
                    url = f"/patients/{pid}"
                else:
                    url = f"/patients/{pid}/schedule"
                t0 = time.perf_counter()
                try:
                    r = await http[k].get(url)
                except httpx.HTTPError as exc:
                    errors.append(f"{kind} {type(exc).__name__}")
                    continue
                finally:
                    latencies[kind].append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors.append(f"{kind} {r.status_code}")

        load_before = os.getloadavg()[0]
        cpu0 = _server_cpu_s(server_pid) if server_pid else 0.0
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one_client(k) for k in range(clients))), timeout)
        wall = time.perf_counter() - started
        cpu = _server_cpu_s(server_pid) - cpu0 if server_pid else None
        load_after = os.getloadavg()[0]
    finally:
        for c in http:
            await c.aclose()
    n = sum(len(v) for v in latencies.values())
    return {
        "run": "pages",
        "think_mean_s": think_mean_s,
        "wall_s": round(wall, 2),
        "requests": n,
        "throughput_per_s": round(n / wall, 1),
        "server_cpu_s": None if cpu is None else round(cpu, 2),
        "loadavg_1min_before_after": [round(load_before, 2), round(load_after, 2)],
        "errors": len(errors),
        "error_examples": errors[:3],
        "patients_100_labs": len(heavy),
        "latency_ms": {
            name: {
                "n": len(xs),
                "p50": _pct(xs, 50),
                "p95": _pct(xs, 95),
                "max": round(max(xs) * 1000, 1) if xs else None,
            }
            for name, xs in latencies.items()
        },
    }


def _pages_target_met(result: dict[str, Any]) -> bool:
    lat = result["latency_ms"]
    return not result["errors"] and all(
        lat[k]["p95"] is not None and lat[k]["p95"] < limit for k, limit in PAGE_TARGETS_MS.items()
    )


async def _first_dashboard(base: str) -> float:
    """Sign in and load the dashboard once (the cold build of every patient's derivation)."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await _sign_in(client)
        t0 = time.perf_counter()
        r = await client.get("/dashboard")
        r.raise_for_status()
        return time.perf_counter() - t0


if __name__ == "__main__":
    main()
