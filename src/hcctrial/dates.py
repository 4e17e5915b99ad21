"""The calendar range of every date a user gives hcctrial: in input files and on the command line.

A date far outside a trial's era (year 1, year 9999) is a typo, and date arithmetic on it (the next
cycle 21 days after 9999-12-31, SD counted from baseline) overflows Python's calendar. One rule,
here, instead of an ``OverflowError`` deep in an engine: dates lie between :data:`EARLIEST` and
:data:`LATEST`. The pydantic models of the input files annotate their date fields with
:data:`TrialDate`; command-line options are parsed with :func:`parse_trial_date` and
:func:`parse_trial_datetime`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

from hcctrial.errors import field_error

__all__ = ["EARLIEST", "LATEST", "TrialDate", "check_trial_date", "parse_trial_date"]

#: The earliest date accepted (birth dates of the oldest patients).
EARLIEST = date(1900, 1, 1)
#: The latest date accepted (far enough for any follow-up; far from the calendar's end).
LATEST = date(2199, 12, 31)
_EXPECTED = f"a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def check_trial_date(value: date) -> date:
    """Return ``value``; raise ``ValueError`` (a pydantic validation error) outside the range."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"expected {_EXPECTED}")
    return value


#: A date field of an input file: an ISO date within :data:`EARLIEST` .. :data:`LATEST`.
TrialDate = Annotated[date, AfterValidator(check_trial_date)]


def parse_trial_date(text: str, option: str) -> date:
    """Return the ISO date ``text`` of command-line option ``option``; refuse it by name."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise field_error(option, text, "a date YYYY-MM-DD") from None
    if not EARLIEST <= value <= LATEST:
        raise field_error(option, text, _EXPECTED)
    return value


def parse_trial_datetime(text: str, option: str, expected: str) -> datetime:
    """Return the ISO date and time ``text`` of option ``option``; refuse it by name."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise field_error(option, text, expected) from None
    if not EARLIEST <= value.date() <= LATEST:
        raise field_error(option, text, _EXPECTED)
    return value
