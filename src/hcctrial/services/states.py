"""The patient's state machine: which state the records put a patient in, which records each
state accepts, and which transitions each action makes.

States (:class:`hcctrial.store.models.PatientStatus`)::

    screening --screen and enrol--> enrolled | screen_failure
    enrolled --start cycle--> on_treatment --end treatment--> off_treatment
    enrolled | on_treatment | off_treatment --record follow-up (alive)--> follow_up
    any enrolled state --withdraw--> withdrawn (lost_to_follow_up when that is the reason)
    any enrolled state --record death--> deceased

The state is a function of the records (:func:`implied_status`), so that a patient entered form by
form and the same patient imported from a file end in the same state, with one exception the
records cannot show: *off treatment* is entered by the action "end treatment" and kept while the
records say *on treatment* (:func:`next_status`). Records entered late (a lab of last month typed in
after the follow-up began) are accepted in every enrolled state; the date rules
(:mod:`hcctrial.services.checks`: after death, after withdrawal, cycles after the first follow-up
contact) refuse what no late entry can explain.

What each state accepts (:data:`ACCEPTS`): a patient who is not enrolled (screening, screen
failure) has only the screening, its criteria and the screening labs (and overrides); an enrolled
patient, in any state, accepts every kind of record. The transitions an action may make from a
state (:func:`transition_problem`): a cycle starts only while enrolled or on treatment -- once the
treatment has ended, or the patient is in follow-up, withdrawn, lost or dead, a new cycle is
refused unless it is a late entry dated before those events (then the date rules decide); treatment
ends only while on treatment.
"""

from __future__ import annotations

from hcctrial.services.charts import Chart
from hcctrial.services.rules import Action
from hcctrial.store.models import PatientStatus, VitalStatus, WithdrawalKind

__all__ = [
    "ACCEPTS",
    "NOT_ENROLLED",
    "STATE_TABLES",
    "consistent_statuses",
    "implied_status",
    "next_status",
    "offers_new",
    "transition_problem",
]

S = PatientStatus
#: States of a patient who is not (or not yet) in the trial.
NOT_ENROLLED = frozenset({S.SCREENING, S.SCREEN_FAILURE})
_SCREENING_TABLES = frozenset(
    {"screenings", "screening_criteria", "lab_results", "derived_overrides"}
)
#: The tables each state accepts records of (None: every table of a chart).
ACCEPTS: dict[PatientStatus, frozenset[str] | None] = {
    s: (_SCREENING_TABLES if s in NOT_ENROLLED else None) for s in PatientStatus
}


#: The tables the state is read from (besides the patient row).
STATE_TABLES = frozenset({"screenings", "followups", "withdrawals", "treatment_cycles"})


def implied_status(chart: Chart) -> PatientStatus:
    """The state the records put the patient in (off treatment excepted, see the module)."""
    screening = chart.screening
    if screening is None:
        return S.SCREENING
    if not screening["eligible"]:
        return S.SCREEN_FAILURE
    followups = chart.of("followups")
    if any(f["vital_status"] is VitalStatus.DEAD for f in followups):
        return S.DECEASED
    withdrawals = chart.of("withdrawals")
    if withdrawals:
        lost = withdrawals[0]["kind"] is WithdrawalKind.LOST_TO_FOLLOW_UP
        return S.LOST_TO_FOLLOW_UP if lost else S.WITHDRAWN
    if followups:
        return S.FOLLOW_UP
    if chart.of("treatment_cycles"):
        return S.ON_TREATMENT
    return S.ENROLLED


def consistent_statuses(chart: Chart) -> frozenset[PatientStatus]:
    """The states a patient with these records may be in: the implied one, and off treatment
    where the records say on treatment."""
    implied = implied_status(chart)
    if implied is S.ON_TREATMENT:
        return frozenset({S.ON_TREATMENT, S.OFF_TREATMENT})
    return frozenset({implied})


def next_status(action: Action, before: PatientStatus | None, after: Chart) -> PatientStatus:
    """The state after ``action`` changed the records to ``after`` (``before``: the state before;
    None for a new patient)."""
    if action is Action.END_TREATMENT:
        return S.OFF_TREATMENT
    implied = implied_status(after)
    if before is S.OFF_TREATMENT and implied is S.ON_TREATMENT:
        return S.OFF_TREATMENT
    return implied


_CYCLE_CLOSED = frozenset({S.OFF_TREATMENT})


def transition_problem(action: Action, before: PatientStatus) -> str | None:
    """Why ``action`` may not start from state ``before`` (None: it may). The words complete the
    message "{study_id} is {status}: cannot {words}"."""
    if action is Action.START_CYCLE and before in _CYCLE_CLOSED:
        return "start a cycle once the treatment has ended"
    if action is Action.END_TREATMENT and before is not S.ON_TREATMENT:
        return "end a treatment that is not under way"
    return None


#: States after which no new cycle starts (the action's transition or the date rules refuse it,
#: short of a late entry dated before the event).
_NO_NEW_CYCLE = frozenset(
    {S.OFF_TREATMENT, S.FOLLOW_UP, S.WITHDRAWN, S.LOST_TO_FOLLOW_UP, S.DECEASED}
)
#: States after which no new follow-up contact or withdrawal is recorded (one death; a contact
#: after death is refused; one withdrawal).
_NO_NEW_CONTACT = frozenset({S.DECEASED})
_NO_NEW_WITHDRAWAL = frozenset({S.WITHDRAWN, S.LOST_TO_FOLLOW_UP, S.DECEASED})


def offers_new(status: PatientStatus, table: str) -> bool:
    """Whether a door offers to add a new record of ``table`` to a patient in ``status`` (the
    "add" buttons): what the state accepts (:data:`ACCEPTS`), less what the transitions and the
    date rules would refuse for a record dated today (a late entry is still accepted through the
    forms' own URLs)."""
    accepted = ACCEPTS[status]
    if accepted is not None and table not in accepted:
        return False
    if table in ("treatment_cycles", "cycle_exams"):  # the examination before a cycle
        return status not in _NO_NEW_CYCLE
    if table == "followups":
        return status not in _NO_NEW_CONTACT
    if table == "withdrawals":
        return status not in _NO_NEW_WITHDRAWAL
    return True
