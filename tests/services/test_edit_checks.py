"""Edit checks raise queries instead of refusing (issue 19): values counted by hand against the
thresholds (10 x ULN, a 5-fold change, the regimen's 4-6 week cycle window)."""

from __future__ import annotations

from typing import Any

from hcctrial.services import cycles, labs
from hcctrial.services.queries import queries_of
from tests.services.test_actions import DOSE, _treated, work

__all__ = ["work"]


def _lab(work: Any, pid: int, day: str, analyte: str, value: float, unit: str, uln: float) -> int:
    row = {
        "sample_date": day,
        "analyte": analyte,
        "value_entered": value,
        "unit_entered": unit,
        "uln": uln,
    }
    return int(work(lambda u: labs.record_lab(u, pid, row, reason="form")))


def _auto(sessions: Any, pid: int) -> list[tuple[str | None, str, int]]:
    with sessions() as s:
        return sorted((q.rule_id, q.form, q.record_id) for q in queries_of(s, pid))


def test_a_value_far_above_its_normal_range_raises_a_query_and_is_saved(
    work: Any, sessions: Any
) -> None:
    pid, _ = _treated(work)
    # 12 mg/dL bilirubin with ULN 1.2: exactly 10 x ULN -> not "more than" -> no query
    _lab(work, pid, "2026-01-20", "bilirubin", 12, "mg/dL", 1.2)
    assert _auto(sessions, pid) == []
    # 12.5 > 10 x 1.2 = 12 -> a query (and the lab is saved); no jump: 12.5 / 12 < 5
    lid = _lab(work, pid, "2026-01-21", "bilirubin", 12.5, "mg/dL", 1.2)
    assert _auto(sessions, pid) == [("EDIT-LAB-RANGE", "lab_results", lid)]
    with sessions() as s:
        (q,) = queries_of(s, pid)
        assert q.text.startswith("bilirubin 12.5 mg/dL is more than 10 times the upper limit")
        assert q.raised_by == "edit check"
    # another write of the patient does not raise the same query again
    _lab(work, pid, "2026-01-22", "albumin", 35, "g/L", 50)
    assert len(_auto(sessions, pid)) == 1


def test_a_large_jump_from_the_previous_value_raises_a_query(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)
    _lab(work, pid, "2026-01-20", "alt", 30, "U/L", 40)
    _lab(work, pid, "2026-01-27", "alt", 150, "U/L", 40)  # 150 / 30 = 5: not more than 5
    assert _auto(sessions, pid) == []
    lid = _lab(work, pid, "2026-02-03", "alt", 29, "U/L", 40)  # 150 / 29 = 5.17 > 5 (a fall)
    assert _auto(sessions, pid) == [("EDIT-LAB-JUMP", "lab_results", lid)]


def test_a_cycle_outside_its_window_raises_a_query(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)  # cycle 1 on 2026-01-12: cycle 2 due 2026-02-09 .. 2026-02-23
    cid = work(
        lambda u: cycles.start_cycle(u, pid, cycle_date="2026-02-05", doses=[DOSE], reason="f")
    )
    assert _auto(sessions, pid) == [("EDIT-VISIT-WINDOW", "treatment_cycles", int(cid))]
    with sessions() as s:
        (q,) = queries_of(s, pid)
        assert "(2026-02-09 to 2026-02-23)" in q.text
