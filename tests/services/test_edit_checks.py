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


def test_the_tumour_marker_afp_is_left_out_of_both_lab_checks(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)
    # AFP 4,000 ng/mL with ULN 20: 200 x ULN (> 10 x) -- expected in this disease, no query
    _lab(work, pid, "2026-01-20", "afp", 4000, "ng/mL", 20)
    # then 400 ng/mL: a tenfold fall (< 1/5) after a response -- no query either
    _lab(work, pid, "2026-01-27", "afp", 400, "ng/mL", 20)
    assert _auto(sessions, pid) == []
    # the same factors on ALT (ULN 40) do raise: 500 > 10 x 40 = 400, then 50 < 500 / 5 = 100
    high = _lab(work, pid, "2026-01-20", "alt", 500, "U/L", 40)
    low = _lab(work, pid, "2026-01-27", "alt", 50, "U/L", 40)
    assert _auto(sessions, pid) == [
        ("EDIT-LAB-JUMP", "lab_results", low),
        ("EDIT-LAB-RANGE", "lab_results", high),
    ]


def test_a_cycle_outside_its_window_raises_a_query(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)  # cycle 1 on 2026-01-12: cycle 2 due 2026-02-09 .. 2026-02-23
    cid = work(
        lambda u: cycles.start_cycle(u, pid, cycle_date="2026-02-05", doses=[DOSE], reason="f")
    )
    assert _auto(sessions, pid) == [("EDIT-VISIT-WINDOW", "treatment_cycles", int(cid))]
    with sessions() as s:
        (q,) = queries_of(s, pid)
        assert "(2026-02-09 to 2026-02-23)" in q.text


def _patients(n: int) -> dict[str, list[dict[str, Any]]]:
    """An import of ``n`` enrolled patients (ids 1..n) of one site, each with two ALT results a
    week apart: 30 U/L, then 200 U/L for an even id (200 / 30 = 6.7 > 5: a jump) or 120 U/L for
    an odd one (120 / 30 = 4: none); ULN 40 (200 < 10 x 40 = 400: no range query)."""
    from itertools import chain

    ids = range(1, n + 1)
    alt = {"analyte": "alt", "unit_entered": "U/L", "uln": 40}
    return {
        "sites": [{"id": 1, "code": "GZ", "name": "Guangzhou"}],
        "patients": [
            {"id": i, "study_id": f"P{i}", "site_id": 1, "enrolment_date": "2026-01-05"}
            | {"status": "enrolled"}
            for i in ids
        ],
        "screenings": [
            {"id": i, "patient_id": i, "screening_date": "2026-01-05", "eligible": True}
            for i in ids
        ],
        "screening_criteria": [
            {"id": i, "screening_id": i, "criterion_id": "wbc", "verdict": "met"} for i in ids
        ],
        "lab_results": list(
            chain.from_iterable(
                (
                    {"id": 2 * i - 1, "patient_id": i, "sample_date": "2026-01-05"}
                    | alt
                    | {"value_entered": 30},
                    {"id": 2 * i, "patient_id": i, "sample_date": "2026-01-12"}
                    | alt
                    | {"value_entered": 200 if i % 2 == 0 else 120},
                )
                for i in ids
            )
        ),
    }


def test_an_import_raises_the_queries_of_all_its_patients_in_one_pass(sessions: Any) -> None:
    """600 patients: the labs are read in 2 queries (500 patients per query: 600 = 500 + 100),
    and the 300 even-numbered patients get one EDIT-LAB-JUMP query each, on their second lab."""
    from sqlalchemy import event, select

    from hcctrial.services.imports import import_rows
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.models_datamgmt import DataQuery
    from tests.services.test_actions import TODAY

    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT lab_results.patient_id, lab_results.id,"):
            reads.append(statement)

    with sessions() as s, s.begin():
        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            uow = UnitOfWork(s, Actor.system("dm"), today=TODAY)
            import_rows(uow, _patients(600), reason="load")
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(reads) == 2
    with sessions() as s:
        raised = s.execute(select(DataQuery.rule_id, DataQuery.patient_id, DataQuery.record_id))
        assert sorted(raised) == [("EDIT-LAB-JUMP", i, 2 * i) for i in range(2, 601, 2)]
        (q,) = queries_of(s, 2)
        assert q.text.startswith("alt 200 U/L after 30 U/L on 2026-01-05: a large change")
