"""A report built mid-trial: enrolled patients without a baseline record or without follow-up
yet are set aside with the reason, the rest analysed, and a data-completeness section says so;
the build reports its progress stage by stage."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: The demo trial with the records of six enrolled patients not entered yet: HCC-001-003 have
#: nothing after enrolment (no baseline, labs, cycles, scans, follow-up), HCC-004-006 have their
#: baseline and labs but nothing after (no cycle, scan or follow-up yet). Deleted straight from
#: the SQLite file: the state of a database whose later forms are not filled in.
_NOT_YET = """
PRAGMA foreign_keys=OFF;
CREATE TEMP TABLE gone AS SELECT id FROM patients WHERE study_id IN ('HCC-001','HCC-002','HCC-003');
CREATE TEMP TABLE later AS SELECT id FROM patients
  WHERE study_id IN ('HCC-001','HCC-002','HCC-003','HCC-004','HCC-005','HCC-006');
DELETE FROM lesion_measurements WHERE imaging_id IN
  (SELECT id FROM imaging_assessments WHERE patient_id IN (SELECT id FROM later));
DELETE FROM imaging_assessments WHERE patient_id IN (SELECT id FROM later);
DELETE FROM cycle_doses WHERE cycle_id IN
  (SELECT id FROM treatment_cycles WHERE patient_id IN (SELECT id FROM later));
DELETE FROM treatment_cycles WHERE patient_id IN (SELECT id FROM later);
DELETE FROM followups WHERE patient_id IN (SELECT id FROM later);
DELETE FROM adverse_events WHERE patient_id IN (SELECT id FROM later);
DELETE FROM withdrawals WHERE patient_id IN (SELECT id FROM later);
DELETE FROM protocol_deviations WHERE patient_id IN (SELECT id FROM later);
DELETE FROM lab_results WHERE patient_id IN (SELECT id FROM gone);
DELETE FROM baselines WHERE patient_id IN (SELECT id FROM gone);
"""


@pytest.fixture(scope="module")
def mid_trial_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hcctrial.demo.generate import write_demo_trial
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine

    path = tmp_path_factory.mktemp("mid-trial") / "mid.sqlite"
    engine = make_engine(str(path))
    upgrade_to_head(engine)
    write_demo_trial(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    con.executescript(_NOT_YET)
    con.commit()
    con.close()
    return path


def test_mid_trial_report_builds_with_a_data_completeness_section(
    cli: Callable[..., Any], mid_trial_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    r = cli(
        "report",
        "--database",
        str(mid_trial_db),
        "--out",
        str(out),
        "--json",
        "--format",
        "html,docx,xlsx",
    )
    assert r.exit_code == 0, r.stderr
    paths = json.loads(r.stdout)
    assert "completeness" in paths["tables"] and "not_analysed" in paths["tables"]
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="completeness"') : html.index('id="baseline"')]
    section = re.sub(r"<td[^>]*>", "<td>", section)  # cells' text, whatever their classes
    assert "60 of 66 enrolled patients are analysed" in section
    for sid in ("HCC-001", "HCC-002", "HCC-003"):
        assert f"<td>{sid}</td><td>No baseline record yet</td>" in section
    for sid in ("HCC-004", "HCC-005", "HCC-006"):
        assert f"<td>{sid}</td><td>No follow-up yet (last contact or death)" in section
    # 66 enrolled, 63 with a baseline (3 removed), 60 treated, analysed 60 of 66 = 90.9 %
    assert "<td>Baseline record</td><td>63 (95.5)</td>" in section
    assert "<td>Analysed in this report</td><td>60 (90.9)</td>" in section
    assert "All patients (n = 60)" in html  # Table 1 of the analysed patients
    # the dose-intensity table over the 60 analysed, all treated; the 6 others not counted
    assert "dose_intensity" in paths["tables"]
    dose = html[html.index('<table id="dose_intensity"') :]
    dose = re.sub(r"<td[^>]*>", "<td>", dose[: dose.index("</table>")])
    assert "Patients treated, n (%), N = 60" in dose
    assert "<td>Epirubicin (TACE, intra-arterial)</td><td>60 (100.0)</td>" in dose


def test_the_build_reports_each_stage(mid_trial_db: Path, tmp_path: Path) -> None:
    from hcctrial.report.build import build_report

    seen: list[tuple[str, int, int]] = []
    build_report(str(mid_trial_db), tmp_path / "r", ("html",), progress=lambda *a: seen.append(a))
    stages = [s for s, _, _ in seen]
    assert stages[0] == "results" and stages[-1] == "html"
    figures = [(d, t) for s, d, t in seen if s == "figures"]
    assert figures and figures[-1][0] == figures[-1][1] == len(figures)


def test_a_database_where_no_enrolled_patient_can_be_analysed_exits_2(
    cli: Callable[..., Any], mid_trial_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "none.sqlite"
    path.write_bytes(mid_trial_db.read_bytes())
    con = sqlite3.connect(path)
    con.executescript("PRAGMA foreign_keys=OFF; DELETE FROM followups; DELETE FROM baselines;")
    con.commit()
    con.close()
    r = cli("report", "--database", str(path), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert "none of the 66 enrolled patients can be analysed yet" in r.stderr
    assert "Traceback" not in r.stderr
