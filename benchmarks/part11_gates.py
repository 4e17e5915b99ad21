"""The cost of the Part 11 gates (database lock, record/casebook locks, signatures) on a save.

Usage: .venv/bin/python benchmarks/part11_gates.py [--saves 300]

Builds a small trial on a temporary SQLite file (two sites, four patients with screening, cycle
and scan, through the services), then saves ``--saves`` lab results through the service action
"record lab" twice, interleaved (alternating which goes first): with every gate (as shipped) and without the two Part 11 gates
(``database_lock``, ``locks_and_signatures``) -- the peer is the same code without them, in the
same run. Each save is its own transaction (commit included in the time). Prints the median and
p95 of each (wall time), their ratio, the mean CPU time of a save (``time.process_time``, which
other jobs on a shared machine disturb less), the median time inside each Part 11 gate, and the
load average.

Issue 16's target: keyed hashing and signatures must not slow saves measurably (web save p95
within 10 % of the figure before the issue).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=300)
    args = parser.parse_args()

    from tests.web import conftest as web
    from tests.web.test_every_door import LAB, _setup

    import hcctrial.services.unit_of_work as uow_module
    from hcctrial.services import gates, labs
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    part11 = ("database_lock", "locks_and_signatures")
    inside: dict[str, list[float]] = defaultdict(list)

    def timed_gate(gate: Any) -> Any:
        def run(uow: Any, plan: Any) -> None:
            start = time.perf_counter()
            gate(uow, plan)
            inside[gate.__name__].append(time.perf_counter() - start)

        return run

    full = tuple(timed_gate(g) if g.__name__ in part11 else g for g in gates.GATES)
    without = tuple(g for g in gates.GATES if g.__name__ not in part11)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'trial.sqlite'}"
        web._seed(url)
        ids = _setup(url)
        engine = make_engine(url)
        times: dict[str, list[float]] = {"with": [], "without": []}
        cpu: dict[str, list[float]] = {"with": [], "without": []}
        load_before = os.getloadavg()[0]
        n = 0
        pair = (("with", full), ("without", without))
        for i in range(args.saves):
            for name, chosen in pair if i % 2 else pair[::-1]:  # alternate which goes first
                uow_module.GATES = chosen  # type: ignore[attr-defined]
                n += 1
                start, start_cpu = time.perf_counter(), time.process_time()
                with open_session(engine) as s:
                    uow = UnitOfWork(
                        s, Actor(None, "bench", m.Role.ADMIN, None), today=date(2026, 3, 2)
                    )
                    values = {**LAB, "value_entered": 100 + n * 0.01}
                    labs.record_lab(uow, ids["gz"], values, reason="benchmark")
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
        uow_module.GATES = gates.GATES  # type: ignore[attr-defined]
        engine.dispose()
    load_after = os.getloadavg()[0]

    def stats(xs: list[float]) -> tuple[float, float]:
        xs = sorted(xs)
        return 1000 * statistics.median(xs), 1000 * xs[int(0.95 * (len(xs) - 1))]

    (wm, wp), (om, op) = stats(times["with"]), stats(times["without"])
    print(
        f"saves: {args.saves} each, interleaved; load average {load_before:.1f} -> {load_after:.1f}"
    )
    print(f"with the Part 11 gates:    median {wm:.2f} ms, p95 {wp:.2f} ms")
    print(f"without them (same run):   median {om:.2f} ms, p95 {op:.2f} ms")
    print(f"ratio with/without: median {wm / om:.3f}, p95 {wp / op:.3f}")
    cw, co = sum(cpu["with"]), sum(cpu["without"])
    print(
        f"CPU time of the process: {1000 * cw / len(cpu['with']):.2f} ms a save with, "
        f"{1000 * co / len(cpu['without']):.2f} ms without; ratio {cw / co:.3f}"
    )
    for name in part11:
        print(f"  inside {name}: median {1000 * statistics.median(inside[name]):.3f} ms")


if __name__ == "__main__":
    main()
