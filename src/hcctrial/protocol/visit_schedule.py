"""The visit schedule of one patient: every form the regimen's calendar expects, with its due date,
window and status (complete, due, overdue, upcoming) -- the data managers' grid (issue 19).

Every interval comes from the regimen file (one keeper; :mod:`hcctrial.protocol.schedule` reads
the same keys):

- **screening**, then the **baseline** between the screening and the first cycle (at the latest
  ``visit_window_days`` after enrolment when no cycle is given yet);
- **cycles**: cycle 1 from enrolment (``visit_window_days``), each next one in the window
  ``[cycle.min_weeks, cycle.max_weeks]`` after the previous one, up to ``cycle.max_haic_cycles``
  while the patient is on treatment;
- **pre-cycle labs** (``pre_cycle.labs``) and **AFP** (``schedule.afp_before_each_cycle``) within
  ``pre_cycle.window_days`` before each cycle's day 1;
- **imaging** after every ``schedule.imaging_every_n_cycles``-th cycle, due ``cycle.min_weeks``
  after its start (:func:`~hcctrial.protocol.schedule.imaging_due_date`), before the next cycle
  (window: ``cycle.max_weeks`` after the cycle);
- **follow-up** contacts every ``schedule.follow_up_every_months`` months after the end of
  treatment, each ``visit_window_days`` either side, until death, withdrawal or loss to follow-up.

A form dated inside an item's window completes it. The status of an open item: ``upcoming`` before
its window, ``due`` inside it, ``overdue`` after it (days late counted from the window's end).
Pure: dates in, items out (no database).
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hcctrial.protocol.schedule import add_months, imaging_due_date, next_cycle_window
from hcctrial.protocol.schema import Regimen

__all__ = ["PatientDates", "VisitItem", "VisitStatus", "visit_schedule"]


class VisitStatus(enum.StrEnum):
    COMPLETE = "complete"
    DUE = "due"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class VisitItem:
    """One expected form: what (``kind``: screening, baseline, cycle, labs, afp, imaging,
    follow-up), its cycle (if any), due date, window (inclusive), status, and the date of the form
    that completed it."""

    label: str
    kind: str
    cycle: int | None
    due: date
    earliest: date
    latest: date
    status: VisitStatus
    done_on: date | None = None

    def days_late(self, today: date) -> int:
        """Days past the window's end (0 unless overdue)."""
        return (today - self.latest).days if self.status is VisitStatus.OVERDUE else 0


@dataclass(frozen=True)
class PatientDates:
    """The dates of one patient's forms that the calendar reads."""

    screening: date | None = None
    enrolment: date | None = None
    baseline: date | None = None
    cycles: Sequence[date] = ()  # cycle 1, 2, ... day 1
    #: dates with a lab of the regimen's pre-cycle analytes, and dates with an AFP value
    lab_dates: Sequence[date] = ()
    afp_dates: Sequence[date] = ()
    imaging: Sequence[date] = ()
    follow_ups: Sequence[date] = ()
    #: the day treatment ended (None while on treatment) and the day follow-up stops (death,
    #: withdrawal, loss to follow-up)
    treatment_end: date | None = None
    stop: date | None = None
    on_treatment: bool = True


def _status(earliest: date, latest: date, today: date, done: date | None) -> VisitStatus:
    if done is not None:
        return VisitStatus.COMPLETE
    if today > latest:
        return VisitStatus.OVERDUE
    return VisitStatus.DUE if today >= earliest else VisitStatus.UPCOMING


def _within(dates: Sequence[date], earliest: date, latest: date) -> date | None:
    """The first of ``dates`` (sorted) inside ``[earliest, latest]``, else None."""
    i = bisect_left(dates, earliest)
    return dates[i] if i < len(dates) and dates[i] <= latest else None


def _item(
    label: str,
    kind: str,
    cycle: int | None,
    due: date,
    window: tuple[date, date],
    today: date,
    dates: Sequence[date],
) -> VisitItem:
    done = _within(dates, *window)
    return VisitItem(
        label,
        kind,
        cycle,
        due,
        window[0],
        window[1],
        _status(window[0], window[1], today, done),
        done,
    )


def _cycle_items(d: PatientDates, regimen: Regimen, today: date) -> list[VisitItem]:
    """Every given cycle with its labs, AFP and imaging, and the next cycle when one is due."""
    out: list[VisitItem] = []
    wd = timedelta(days=regimen.pre_cycle.window_days)
    weeks = timedelta(weeks=regimen.cycle.max_weeks)
    windows: list[tuple[int, date, date, date | None]] = []  # number, earliest, latest, given
    assert d.enrolment is not None
    previous: date | None = None
    for n, day in enumerate(d.cycles, start=1):
        if previous is None:
            lo, hi = d.enrolment, d.enrolment + timedelta(days=regimen.schedule.visit_window_days)
        else:
            w = next_cycle_window(previous, regimen)
            lo, hi = w.earliest, w.latest
        windows.append((n, lo, hi, day))
        previous = day
    more = len(d.cycles) < regimen.cycle.max_haic_cycles
    if d.on_treatment and d.treatment_end is None and more:
        n = len(d.cycles) + 1
        if previous is None:
            lo, hi = d.enrolment, d.enrolment + timedelta(days=regimen.schedule.visit_window_days)
        else:
            w = next_cycle_window(previous, regimen)
            lo, hi = w.earliest, w.latest
        windows.append((n, lo, hi, None))
    for n, lo, hi, given in windows:
        day1 = given or lo
        out.append(
            VisitItem(
                f"Cycle {n}",
                "cycle",
                n,
                lo,
                lo,
                hi,
                VisitStatus.COMPLETE if given else _status(lo, hi, today, None),
                given,
            )
        )
        lab_window = (day1 - wd, given or hi)
        out.append(
            _item(f"Labs before cycle {n}", "labs", n, day1 - wd, lab_window, today, d.lab_dates)
        )
        if regimen.schedule.afp_before_each_cycle:
            out.append(
                _item(f"AFP before cycle {n}", "afp", n, day1 - wd, lab_window, today, d.afp_dates)
            )
        due = imaging_due_date(n, given, regimen) if given is not None else None
        if given is not None and due is not None:
            out.append(
                _item(
                    f"Imaging after cycle {n}",
                    "imaging",
                    n,
                    due,
                    (given + timedelta(days=1), given + weeks),
                    today,
                    d.imaging,
                )
            )
    return out


def _follow_up_items(d: PatientDates, regimen: Regimen, today: date) -> list[VisitItem]:
    if d.treatment_end is None:
        return []
    s = regimen.schedule
    pad = timedelta(days=s.visit_window_days)
    out = []
    k = 1
    horizon = add_months(today, s.follow_up_every_months)
    while True:
        due = add_months(d.treatment_end, k * s.follow_up_every_months)
        if due > horizon or (d.stop is not None and due - pad > d.stop):
            break
        out.append(
            _item(
                f"Follow-up month {k * s.follow_up_every_months}",
                "follow-up",
                None,
                due,
                (due - pad, due + pad),
                today,
                d.follow_ups,
            )
        )
        k += 1
    return out


def _sorted(d: PatientDates) -> PatientDates:
    """``d`` with its date lists sorted and without repeats (the windows bisect them)."""
    from dataclasses import replace

    def u(xs: Sequence[date]) -> tuple[date, ...]:
        return tuple(sorted(set(xs)))

    return replace(
        d,
        cycles=tuple(sorted(d.cycles)),
        lab_dates=u(d.lab_dates),
        afp_dates=u(d.afp_dates),
        imaging=u(d.imaging),
        follow_ups=u(d.follow_ups),
    )


def visit_schedule(d: PatientDates, regimen: Regimen, today: date) -> list[VisitItem]:
    """The expected forms of one patient, by due date (nothing before screening; only the
    screening for a patient never enrolled)."""
    screening = d.screening
    if screening is None:
        return []
    d = _sorted(d)
    items = [
        VisitItem(
            "Screening",
            "screening",
            None,
            screening,
            screening,
            screening,
            VisitStatus.COMPLETE,
            screening,
        )
    ]
    if d.enrolment is None:
        return items
    first = d.cycles[0] if d.cycles else None
    latest = first or d.enrolment + timedelta(days=regimen.schedule.visit_window_days)
    items.append(
        _item(
            "Baseline",
            "baseline",
            None,
            d.enrolment,
            (screening, latest),
            today,
            [d.baseline] if d.baseline else [],
        )
    )
    items += _cycle_items(d, regimen, today)
    items += _follow_up_items(d, regimen, today)
    if d.stop is not None:  # nothing is expected after death or withdrawal
        items = [i for i in items if i.status is VisitStatus.COMPLETE or i.earliest <= d.stop]
    return sorted(items, key=lambda i: (_ORDER[i.kind], i.cycle or 0, _RANK[i.kind], i.due))


#: The grid's order: screening and baseline, each cycle (labs, AFP, day 1, imaging), follow-up.
_ORDER = {
    "screening": 0,
    "baseline": 0,
    "labs": 1,
    "afp": 1,
    "cycle": 1,
    "imaging": 1,
    "follow-up": 2,
}
_RANK = {
    "screening": 0,
    "baseline": 1,
    "labs": 0,
    "afp": 1,
    "cycle": 2,
    "imaging": 3,
    "follow-up": 0,
}
