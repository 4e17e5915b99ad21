"""Benchmark: the time `hcctrial demo` takes to produce the full report (target < 10 s).

Runs, in one fresh process each, ``hcctrial demo --out DIR`` (build the trial, derive, analyse)
and ``hcctrial report --database DIR/demo.sqlite --out DIR/report --format html,docx,csv``, then
times the report's parts in-process (engine results, figures, HTML, Word). Prints seconds; the
wall-clock total is what a user waits for when ``hcctrial demo`` writes the report.

    .venv/bin/python benchmarks/report.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HCCTRIAL = [sys.executable, "-m", "hcctrial"]


def _run(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(HCCTRIAL + args, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ns = ap.parse_args()
    rows = []
    for _ in range(ns.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            t_demo = _run(["demo", "--out", str(out), "--json"])
            t_report = _run(
                [
                    "report",
                    "--database",
                    f"sqlite:///{out / 'demo.sqlite'}",
                    "--out",
                    str(out / "report"),
                    "--format",
                    "html,docx,csv",
                ]
            )
            parts = _parts(out / "demo.sqlite", out / "parts")
            rows.append((t_demo, t_report, parts))
    best = min(rows, key=lambda r: r[0] + r[1])
    print(f"demo (build, derive, analyse): {best[0]:.2f} s")
    print(f"report (html + docx + csv):    {best[1]:.2f} s")
    print(f"total:                         {best[0] + best[1]:.2f} s  (target < 10 s)")
    for k, v in best[2].items():
        print(f"  report part {k:<22} {v:.2f} s")


def _parts(db: Path, out: Path) -> dict[str, float]:
    from hcctrial.report.build import (
        _draw_and_save,
        _import_matplotlib,
        build_document,
        figure_jobs,
    )
    from hcctrial.report.from_database import report_inputs_from_database
    from hcctrial.report.render_docx import render_docx
    from hcctrial.report.render_html import render_html
    from hcctrial.report.results import analyse
    from hcctrial.store.session import make_engine

    t = {}
    t0 = time.perf_counter()
    engine = make_engine(f"sqlite:///{db}")
    inputs = report_inputs_from_database(engine)
    engine.dispose()
    t["load + derive"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = analyse(inputs)
    t["engine results"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _import_matplotlib()
    figs = tuple(_draw_and_save(j, out / "figures", 300) for j in figure_jobs(inputs, res))
    t[f"{len(figs)} figures"] = time.perf_counter() - t0
    doc = build_document(inputs, res, figs, published=True)
    t0 = time.perf_counter()
    (out / "report.html").write_text(render_html(doc), encoding="utf-8")
    t["html"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_docx(doc, out / "report.docx")
    t["docx"] = time.perf_counter() - t0
    return t


if __name__ == "__main__":
    main()
