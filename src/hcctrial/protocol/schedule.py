"""Calendar helpers of a regimen: cycle windows, imaging and AFP dates.

All intervals come from the regimen file (``[cycle]`` and ``[schedule]``):

- the next cycle is due between ``min_weeks`` and ``max_weeks`` after the start of the previous
  one (seed regimen: 4-6 weeks);
- response imaging follows every ``imaging_every_n_cycles``-th cycle (seed: after cycles 2, 4, 6,
  8), due before the next cycle, i.e. ``min_weeks`` after that cycle's start;
- in maintenance (no more TACE-HAIC), imaging every ``maintenance_imaging_every_months`` months;
  after a complete response, AFP every ``afp_after_cr_every_months`` and imaging every
  ``imaging_after_cr_every_months`` months.

Months are calendar months (2026-01-31 + 1 month = 2026-02-28), the usual clinical reading; the
standard library has no month arithmetic, hence :func:`add_months`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from hcctrial.errors import field_error
from hcctrial.protocol.schema import Regimen

__all__ = [
    "CycleWindow",
    "add_months",
    "haic_cycles_remaining",
    "imaging_due_after_cycle",
    "imaging_due_date",
    "next_afp_after_cr",
    "next_cycle_window",
    "next_imaging_after_cr",
    "next_maintenance_imaging",
]


@dataclass(frozen=True)
class CycleWindow:
    """Earliest and latest start date of the next cycle (both inclusive)."""

    earliest: date
    latest: date


def add_months(d: date, months: int) -> date:
    """Return ``d`` plus ``months`` calendar months, clamped to the month's last day.

    >>> add_months(date(2026, 1, 31), 1)
    datetime.date(2026, 2, 28)
    """
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def next_cycle_window(previous_cycle_start: date, regimen: Regimen) -> CycleWindow:
    """Return the window in which the next cycle starts (seed: day 29-43, i.e. +4 to +6 weeks)."""
    c = regimen.cycle
    return CycleWindow(
        previous_cycle_start + timedelta(weeks=c.min_weeks),
        previous_cycle_start + timedelta(weeks=c.max_weeks),
    )


def _check_cycle(cycle_number: int) -> None:
    if isinstance(cycle_number, bool) or not isinstance(cycle_number, int) or cycle_number < 1:
        raise field_error("cycle_number", cycle_number, "a cycle number >= 1")


def imaging_due_after_cycle(cycle_number: int, regimen: Regimen) -> bool:
    """Return True when response imaging follows cycle ``cycle_number`` (seed: even cycles)."""
    _check_cycle(cycle_number)
    return cycle_number % regimen.schedule.imaging_every_n_cycles == 0


def imaging_due_date(cycle_number: int, cycle_start: date, regimen: Regimen) -> date | None:
    """Return the date imaging is due after cycle ``cycle_number`` (None when none is due).

    Imaging is due before the next cycle can start: ``cycle_start + min_weeks``.
    """
    if not imaging_due_after_cycle(cycle_number, regimen):
        return None
    return cycle_start + timedelta(weeks=regimen.cycle.min_weeks)


def next_maintenance_imaging(last_imaging: date, regimen: Regimen) -> date:
    """Return the next imaging date in maintenance (seed: 3 months after the last imaging)."""
    return add_months(last_imaging, regimen.schedule.maintenance_imaging_every_months)


def next_afp_after_cr(last_afp: date, regimen: Regimen) -> date:
    """Return the next AFP date after a complete response (seed: every 3 months)."""
    return add_months(last_afp, regimen.schedule.afp_after_cr_every_months)


def next_imaging_after_cr(last_imaging: date, regimen: Regimen) -> date:
    """Return the next imaging date after a complete response (seed: every 3 months)."""
    return add_months(last_imaging, regimen.schedule.imaging_after_cr_every_months)


def haic_cycles_remaining(cycles_given: int, regimen: Regimen) -> int:
    """Return how many HAIC cycles may still be given (seed: at most 8 in all)."""
    if isinstance(cycles_given, bool) or not isinstance(cycles_given, int) or cycles_given < 0:
        raise field_error("cycles_given", cycles_given, "a number of cycles >= 0")
    return max(0, regimen.cycle.max_haic_cycles - cycles_given)
