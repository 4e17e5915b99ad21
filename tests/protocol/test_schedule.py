"""Calendar helpers: cycle windows, imaging after every 2 cycles, 3-monthly AFP/imaging."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hcctrial.errors import DataValidationError
from hcctrial.protocol import (
    add_months,
    default_regimen,
    haic_cycles_remaining,
    imaging_due_after_cycle,
    imaging_due_date,
    load_regimen,
    next_afp_after_cr,
    next_cycle_window,
    next_imaging_after_cr,
    next_maintenance_imaging,
)
from tests.protocol.helpers import edited_regimen

SEED = default_regimen()


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # clamped to the end of February
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
    ],
)
def test_add_months_calendar(d: date, months: int, expected: date) -> None:
    assert add_months(d, months) == expected


def test_next_cycle_window_4_to_6_weeks() -> None:
    # "4- to 6-wk cycle": 2026-03-02 + 28 days = 2026-03-30; + 42 days = 2026-04-13
    w = next_cycle_window(date(2026, 3, 2), SEED)
    assert (w.earliest, w.latest) == (date(2026, 3, 30), date(2026, 4, 13))


@pytest.mark.parametrize(
    ("cycle", "due"), [(1, False), (2, True), (3, False), (4, True), (8, True)]
)
def test_imaging_after_every_two_cycles(cycle: int, due: bool) -> None:
    assert imaging_due_after_cycle(cycle, SEED) is due


def test_imaging_due_date_before_next_cycle() -> None:
    # cycle 2 started 2026-03-30: imaging due 4 weeks later, 2026-04-27
    assert imaging_due_date(2, date(2026, 3, 30), SEED) == date(2026, 4, 27)
    assert imaging_due_date(1, date(2026, 3, 2), SEED) is None


def test_three_monthly_maintenance_and_after_cr() -> None:
    assert next_maintenance_imaging(date(2026, 5, 20), SEED) == date(2026, 8, 20)
    assert next_afp_after_cr(date(2026, 5, 20), SEED) == date(2026, 8, 20)
    assert next_imaging_after_cr(date(2026, 5, 20), SEED) == date(2026, 8, 20)


def test_haic_cycles_remaining_at_most_eight() -> None:
    assert haic_cycles_remaining(0, SEED) == 8
    assert haic_cycles_remaining(5, SEED) == 3
    assert haic_cycles_remaining(8, SEED) == 0
    assert haic_cycles_remaining(9, SEED) == 0


def test_calendar_reads_the_file(tmp_path: Path) -> None:
    path = edited_regimen(
        tmp_path,
        [
            ("imaging_every_n_cycles = 2", "imaging_every_n_cycles = 3"),
            ("max_haic_cycles = 8", "max_haic_cycles = 6"),
        ],
    )
    reg = load_regimen(path)
    assert [c for c in range(1, 7) if imaging_due_after_cycle(c, reg)] == [3, 6]
    assert haic_cycles_remaining(0, reg) == 6


@pytest.mark.parametrize("bad", [0, -1, True])
def test_bad_cycle_number(bad: int) -> None:
    with pytest.raises(DataValidationError, match="cycle_number"):
        imaging_due_after_cycle(bad, SEED)
