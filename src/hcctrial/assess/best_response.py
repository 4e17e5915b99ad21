"""Best overall response (BOR) of one patient from time-point responses already recorded.

This is what a statistician derives when the per-visit responses are in the database. The rules
and parameters follow pharmaverse **admiralonco** (``derive_param_bor`` for unconfirmed BOR and
``derive_param_confirmed_bor`` for confirmed BOR, commit 83370b12; see
``shared/reference/clinical/STANDARDS.md`` §2). admiralonco is R, so it cannot be called from
here; the derivation is re-implemented and tested against admiralonco's own test tables.

Parameters (admiralonco name in brackets)
-----------------------------------------
``treatment_start`` [``reference_date``]
    Start of treatment; the SD window is counted from it.
``min_sd_days`` [``ref_start_window``]
    An SD (or NON-CR/NON-PD) counts only at an assessment on or after
    ``treatment_start + min_sd_days``; earlier ones count as NE.
``confirmation``
    ``False``: ``derive_param_bor`` — the best of CR, PR (at any date), SD, NON-CR/NON-PD
    (inside the window), PD, NE; ties go to the earliest date. ``True``:
    ``derive_param_confirmed_bor`` (below).
``confirm_days`` [``ref_confirm``]
    A CR/PR needs a confirmatory assessment at least this many days later.
``max_ne_between`` [``max_nr_ne``, default 1]
    How many NE may lie between an assessment and its confirmation.
``accept_sd_between`` [``accept_sd``, default False]
    Whether one SD may lie between a PR and its confirmation.
``missing_as_ne`` [``missing_as_ne``, default False]
    A patient with no assessment (after the PD cut) gets ``MISSING`` (admiralonco's default)
    or, if set, ``NE``. Either way ``date`` is ``None``.
``first_pd_date`` [``source_pd``]
    Assessments after this date are ignored (the date itself is kept). Default: the date of the
    first assessment recorded as PD — "nothing counted after the first PD".

Confirmed BOR (admiralonco's documented algorithm)
--------------------------------------------------
For each assessment, the *confirmation window* runs from the next assessment up to and
including the first later one that is CR (for a CR) or CR/PR (for a PR) and at least
``confirm_days`` after it. Then:

* **CR** if the assessment is CR, the window exists, all assessments in it are CR or NE, and at
  most ``max_ne_between`` are NE;
* **PR** if the assessment is PR, the window exists, all in it are CR, PR, SD or NE, at most
  ``max_ne_between`` NE, at most one SD if ``accept_sd_between`` (else none), and no PR follows a
  CR inside it;
* **SD** if the assessment is CR, PR or SD (so an unconfirmed CR/PR) on or after the SD window;
* **NON-CR/NON-PD** if so recorded on or after the SD window; **PD** if PD;
* **NE** if NE, or CR/PR/SD/NON-CR/NON-PD before the SD window; **ND** if ND.

The best of these in the order CR, PR, SD, NON-CR/NON-PD, PD, NE, ND, MISSING wins, the earliest
date breaking ties. (``derive_param_bor`` gives ND no rank, which lets ``MISSING`` beat a
patient recorded only as ND; here ND ranks after NE in both modes, as in the confirmed
derivation. admiralonco's test suites contain no such case.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from hcctrial.assess.response_types import Response, response_rank
from hcctrial.dates import TrialDate
from hcctrial.errors import DataValidationError, field_error


@dataclass(frozen=True)
class BorResult:
    """A best overall response and the date of the assessment it comes from.

    ``date`` is ``None`` only when ``response`` is ``MISSING`` (or NE for a patient without any
    assessment when ``missing_as_ne`` is set).
    """

    response: Response
    date: date | None

    def to_dict(self) -> dict[str, str | None]:
        """Return ``{"best_overall_response": ..., "date": ...}`` (ISO date or null)."""
        return {
            "best_overall_response": self.response.value,
            "date": None if self.date is None else self.date.isoformat(),
        }


def _checked(
    assessments: Sequence[tuple[date, Response]],
    *,
    confirm_days: int,
    min_sd_days: int,
    max_ne_between: int,
) -> list[tuple[date, Response]]:
    for name, value in (
        ("confirm_days", confirm_days),
        ("min_sd_days", min_sd_days),
        ("max_ne_between", max_ne_between),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise field_error(name, value, "a non-negative whole number of days/assessments")
    out: list[tuple[date, Response]] = []
    for i, (day, response) in enumerate(assessments):
        if response is Response.MISSING:
            raise field_error(
                f"assessments[{i}].response",
                response.value,
                "a recorded response (CR, PR, SD, NON-CR/NON-PD, PD, NE or ND); "
                "MISSING is only ever a derived best response",
            )
        if out and day <= out[-1][0]:
            raise DataValidationError(
                f"assessments[{i}].date: got {day.isoformat()}; expected a date after "
                f"assessments[{i - 1}].date {out[-1][0].isoformat()} (one assessment per date, "
                "in increasing order)",
                field=f"assessments[{i}].date",
            )
        out.append((day, response))
    return out


def _confirmation_window(
    records: list[tuple[date, Response]], i: int, confirming: tuple[Response, ...], days: int
) -> list[Response] | None:
    """Responses after record ``i`` up to its first confirming record ≥ ``days`` later, or None."""
    start = records[i][0]
    window: list[Response] = []
    for day, response in records[i + 1 :]:
        window.append(response)
        if response in confirming and day >= start + timedelta(days=days):
            return window
    return None


def _confirmed_candidate(
    records: list[tuple[date, Response]],
    i: int,
    *,
    sd_from: date,
    confirm_days: int,
    max_ne_between: int,
    accept_sd_between: bool,
) -> Response:
    day, response = records[i]
    if response is Response.CR:
        window = _confirmation_window(records, i, (Response.CR,), confirm_days)
        if (
            window is not None
            and all(r in (Response.CR, Response.NE) for r in window)
            and window.count(Response.NE) <= max_ne_between
        ):
            return Response.CR
    elif response is Response.PR:
        window = _confirmation_window(records, i, (Response.CR, Response.PR), confirm_days)
        if window is not None:
            allowed = (Response.CR, Response.PR, Response.SD, Response.NE)
            # no PR after a CR inside the window
            first_cr = next((k for k, r in enumerate(window) if r is Response.CR), None)
            pr_after_cr = first_cr is not None and Response.PR in window[first_cr + 1 :]
            if (
                all(r in allowed for r in window)
                and window.count(Response.NE) <= max_ne_between
                and window.count(Response.SD) <= (1 if accept_sd_between else 0)
                and not pr_after_cr
            ):
                return Response.PR
    return _unconfirmed_candidate(day, response, sd_from=sd_from, confirmation=True)


def _unconfirmed_candidate(
    day: date, response: Response, *, sd_from: date, confirmation: bool
) -> Response:
    if response in (Response.PD, Response.NE, Response.ND):
        return response
    if response in (Response.CR, Response.PR) and not confirmation:
        return response  # derive_param_bor: every CR and PR counts, whatever its date
    if day < sd_from:
        return Response.NE
    if response is Response.NON_CR_NON_PD:
        return response
    return Response.SD  # SD, or an unconfirmed CR/PR, inside the SD window


def best_overall_response(
    treatment_start: date,
    assessments: Sequence[tuple[date, Response]],
    *,
    confirmation: bool,
    confirm_days: int = 28,
    min_sd_days: int,
    max_ne_between: int = 1,
    accept_sd_between: bool = False,
    missing_as_ne: bool = False,
    first_pd_date: date | None = None,
) -> BorResult:
    """Return the best overall response of one patient, admiralonco-style (see module docstring).

    ``assessments`` are ``(date, Response)`` pairs in strictly increasing date order (an error
    naming the item otherwise). Days are calendar days.

    >>> from datetime import date
    >>> best_overall_response(date(2020, 1, 1), [(date(2020, 2, 1), Response.SD)],
    ...                       confirmation=False, min_sd_days=28).response.value
    'SD'
    """
    records = _checked(
        assessments,
        confirm_days=confirm_days,
        min_sd_days=min_sd_days,
        max_ne_between=max_ne_between,
    )
    cut = first_pd_date
    if cut is None:
        cut = next((day for day, response in records if response is Response.PD), None)
    if cut is not None:
        records = [(day, response) for day, response in records if day <= cut]
    if not records:
        return BorResult(Response.NE if missing_as_ne else Response.MISSING, None)

    sd_from = treatment_start + timedelta(days=min_sd_days)
    candidates: list[tuple[int, date, Response]] = []
    for i, (day, response) in enumerate(records):
        if confirmation:
            derived = _confirmed_candidate(
                records,
                i,
                sd_from=sd_from,
                confirm_days=confirm_days,
                max_ne_between=max_ne_between,
                accept_sd_between=accept_sd_between,
            )
        else:
            derived = _unconfirmed_candidate(day, response, sd_from=sd_from, confirmation=False)
        candidates.append((response_rank(derived), day, derived))
    _, best_day, best = min(candidates, key=lambda c: (c[0], c[1]))
    return BorResult(best, best_day)


def best_overall_response_from_mapping(data: Any, *, default_min_sd_days: int) -> BorResult:
    """Return the BOR for the JSON request of ``hcctrial assess bor`` (a mapping).

    Keys: ``treatment_start`` (ISO date, required), ``assessments`` (list of
    ``{"date": ISO, "response": "CR|PR|SD|NON-CR/NON-PD|PD|NE|ND"}``, required),
    ``confirmation`` (default false), ``confirm_days`` (default 28), ``min_sd_days`` (default
    ``default_min_sd_days``), ``max_ne_between`` (default 1), ``accept_sd_between`` (default
    false), ``missing_as_ne`` (default false), ``first_pd_date`` (ISO or null; default: the first
    PD recorded). Unknown keys are refused.
    """
    try:
        request = _BorRequest.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ""
            for part in err["loc"]:
                loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
            if err["type"] == "missing":
                problems.append(f"{loc}: required field is missing")
            else:
                problems.append(f"{loc or 'request'}: got {err.get('input')!r}; {err['msg']}")
        raise DataValidationError("; ".join(problems), field="request") from None
    records = [
        (a.date, Response.parse(a.response, field=f"assessments[{i}].response"))
        for i, a in enumerate(request.assessments)
    ]
    return best_overall_response(
        request.treatment_start,
        records,
        confirmation=request.confirmation,
        confirm_days=request.confirm_days,
        min_sd_days=default_min_sd_days if request.min_sd_days is None else request.min_sd_days,
        max_ne_between=request.max_ne_between,
        accept_sd_between=request.accept_sd_between,
        missing_as_ne=request.missing_as_ne,
        first_pd_date=request.first_pd_date,
    )


class _RecordedResponse(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: TrialDate
    response: str


class _BorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    treatment_start: TrialDate
    assessments: list[_RecordedResponse]
    confirmation: StrictBool = False
    confirm_days: Annotated[StrictInt, Field(ge=0, le=3650)] = 28
    min_sd_days: Annotated[StrictInt, Field(ge=0, le=3650)] | None = None
    max_ne_between: Annotated[StrictInt, Field(ge=0, le=1000)] = 1
    accept_sd_between: StrictBool = False
    missing_as_ne: StrictBool = False
    first_pd_date: TrialDate | None = None


__all__ = ["BorResult", "best_overall_response", "best_overall_response_from_mapping"]
