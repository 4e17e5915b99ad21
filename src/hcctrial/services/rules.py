"""The rule registry: every rule of the trial, with its id, what it checks, its message and the
actions it applies to.

A rule is data (:class:`Rule`); the code that enforces it names it by id: the checks of one
patient's records (:mod:`hcctrial.services.checks`, registered by rule id), the unit of work's
gates (authorization, the state machine, versions: :mod:`hcctrial.services.unit_of_work`) and the
value checks of each column (:mod:`hcctrial.services.persistence`). ``docs/rules.md`` is this table
in words; a test keeps the two equal. A refusal carries the rule's id and its kind says how every
door answers it (:data:`KIND_STATUS`): authorization 403, state 409, stale version 409,
values 422; the command line exits with 2 (3 for a stale version).

To add a rule: add a :class:`Rule` here, enforce it (a chart check is a function decorated with
``@chart_check("RULE-ID")`` in :mod:`hcctrial.services.checks`), add its row to ``docs/rules.md``.
Messages are :meth:`str.format` templates over the names the enforcing code passes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hcctrial.errors import AuthorizationError, RuleRefusal, RuleViolation, StateConflictError

__all__ = [
    "ALL_ACTIONS",
    "KIND_STATUS",
    "RULES",
    "Action",
    "Finding",
    "Rule",
    "RuleKind",
    "finding",
    "refusal",
    "rule",
]


class RuleKind(enum.StrEnum):
    """What a rule protects, which decides the answer every door gives to a refusal."""

    AUTHORIZATION = "authorization"
    STATE = "state"
    VERSION = "version"
    VALUE = "value"
    #: an edit check: raises a query on the record, never refuses (issue 19)
    QUERY = "query"


#: HTTP status per kind of refusal (the web maps refusals with this one table).
KIND_STATUS: dict[RuleKind, int] = {
    RuleKind.AUTHORIZATION: 403,
    RuleKind.STATE: 409,
    RuleKind.VERSION: 409,
    RuleKind.VALUE: 422,
}


class Action(enum.StrEnum):
    """The trial's actions: one service function each (plus import and account management)."""

    SCREEN = "screen and enrol"
    BASELINE = "record baseline"
    LAB = "record lab"
    EXAM = "record pre-cycle examination"
    START_CYCLE = "start cycle"
    DOSE_LINE = "record dose line"
    END_TREATMENT = "end treatment"
    ADVERSE_EVENT = "record adverse event"
    SCAN = "record scan"
    LESION = "add lesion"
    FOLLOW_UP = "record follow-up"
    DEATH = "record death"
    WITHDRAW = "withdraw"
    DEVIATION = "record deviation"
    OVERRIDE = "override a derived value"
    AMEND = "amend a record"
    DELETE = "delete a record"
    IMPORT = "import"
    ACCOUNTS = "manage sites and accounts"
    LOCK = "lock or unlock"
    SIGN = "sign"
    # data management (issue 19): the state of forms and the queries, not clinical records
    COMPLETE_FORM = "mark a form complete"
    VERIFY_FORM = "verify a form against source"
    VERIFY_FIELDS = "verify or un-verify fields against source"
    RAISE_QUERY = "raise a query"
    ANSWER_QUERY = "answer a query"
    CLOSE_QUERY = "close or re-open a query"


ALL_ACTIONS: tuple[Action, ...] = tuple(Action)
_A = Action
#: Actions that write a patient's clinical records (every chart check applies to them).
_DATA_MANAGEMENT: tuple[Action, ...] = (
    Action.COMPLETE_FORM,
    Action.VERIFY_FORM,
    Action.VERIFY_FIELDS,
    Action.RAISE_QUERY,
    Action.ANSWER_QUERY,
    Action.CLOSE_QUERY,
)
_CLINICAL: tuple[Action, ...] = tuple(
    a for a in Action if a not in (Action.ACCOUNTS, Action.LOCK, Action.SIGN, *_DATA_MANAGEMENT)
)
_DATED: tuple[Action, ...] = tuple(
    a for a in _CLINICAL if a not in (Action.DELETE, Action.END_TREATMENT, Action.LESION)
)


@dataclass(frozen=True)
class Rule:
    """One rule: ``id``, ``kind``, what it checks (plain words), the message template, actions."""

    id: str
    kind: RuleKind
    checks: str
    message: str
    actions: tuple[Action, ...]

    def format(self, **values: object) -> str:
        """Return the rule's message with ``values`` filled in."""
        return self.message.format(**values)


RULES: tuple[Rule, ...] = (
    # ------------------------------------------------------------------ who may do it
    Rule(
        "ACCOUNT-AUTH",
        RuleKind.AUTHORIZATION,
        "Every write has an account behind it: a command-line write names an active account "
        "(--user) and proves it with the account's password or an API token an admin issued.",
        "{field}: {problem}; expected {expected}",
        ALL_ACTIONS,
    ),
    Rule(
        "AUTH-ROLE",
        RuleKind.AUTHORIZATION,
        "The acting user's role allows the action: editing records needs the edit capability "
        "(investigator, coordinator, admin); sites and accounts need user management (admin).",
        "Your role ({role}) does not allow this ({capability}).",
        ALL_ACTIONS,
    ),
    Rule(
        "AUTH-SITE",
        RuleKind.AUTHORIZATION,
        "The record, and every record it points to, belong to a site the acting user works at "
        "-- checked on the record as saved and on every parent before and after the change.",
        "{what} belongs to another site (site {site}); you work at {yours}.",
        (*_CLINICAL, _A.LOCK, _A.SIGN),
    ),
    # ------------------------------------------------------------------ the patient's state
    Rule(
        "STATE-ACCEPTS",
        RuleKind.STATE,
        "The patient's state accepts the record: a patient who is not enrolled (screening, "
        "screen failure) has only the screening, its criteria and labs.",
        "{study_id} is {status}: {record} can be recorded only for an enrolled patient.",
        _CLINICAL,
    ),
    Rule(
        "STATE-TRANSITION",
        RuleKind.STATE,
        "The action is one the patient's state allows: a cycle starts only while the patient "
        "is enrolled or on treatment (not once treatment has ended), treatment ends only while "
        "on treatment.",
        "{study_id} is {status}: cannot {action}.",
        (_A.START_CYCLE, _A.END_TREATMENT),
    ),
    Rule(
        "STATUS-RECORDS",
        RuleKind.STATE,
        "The patient's status is the one its records give under the state machine "
        "(docs/rules.md, 'The patient's states').",
        "{study_id}: patients.status: got {value}; expected {expected}",
        (_A.IMPORT,),
    ),
    Rule(
        "STATUS-DIRECT",
        RuleKind.STATE,
        "A patient's status changes only through the trial's actions, never by editing it.",
        "patients.status cannot be edited: it follows the patient's records (enrol, start "
        "cycle, end treatment, follow-up, death, withdrawal).",
        (_A.AMEND,),
    ),
    Rule(
        "DELETE-REFERENCED",
        RuleKind.STATE,
        "A record that others refer to is not deleted (nothing disappears by cascade).",
        "{table} id {id} cannot be deleted: {refs} refer to it; delete those first.",
        (_A.DELETE,),
    ),
    Rule(
        "VERSION-STALE",
        RuleKind.VERSION,
        "A change or deletion applies to the version of the record the user saw (optimistic "
        "lock): someone else's save in between is never overwritten.",
        "{table} id {id} was changed by someone else since you loaded it (you edited version "
        "{expected}, the record is now {now}); reload it and apply your change again.",
        (_A.AMEND, _A.DELETE, _A.ACCOUNTS),
    ),
    # ------------------------------------------------------------------ values of one record
    Rule(
        "FIELD-VALUE",
        RuleKind.VALUE,
        "Each value fits its column: type, range, allowed values, length; required values are "
        "given; derived values (a lab's canonical value) are not typed in.",
        "{table}.{field}: got {value!r}; expected {expected}",
        ALL_ACTIONS,
    ),
    Rule(
        "PARENT-EXISTS",
        RuleKind.VALUE,
        "A record points to records that exist (its patient, cycle, scan, screening, site).",
        "{table}.{field}: got {value!r}; expected the id of a row of {target}",
        ALL_ACTIONS,
    ),
    Rule(
        "RECORD-MOVE",
        RuleKind.VALUE,
        "A saved record stays with its patient: neither its patient nor the patient's site "
        "changes, and a dose line, lesion or criterion moves only to a cycle, scan or "
        "screening of the same patient.",
        "{table}.{field}: got {value!r}; a saved record cannot be moved to another {what}",
        (_A.AMEND,),
    ),
    Rule(
        "REASON-REQUIRED",
        RuleKind.VALUE,
        "Every write names who makes it, and a change or deletion of a saved record says why "
        "(both go into the audit trail).",
        "{field}: got {value!r}; expected {expected}",
        ALL_ACTIONS,
    ),
    Rule(
        "RECORD-UNIQUE",
        RuleKind.VALUE,
        "What exists once is recorded once: a study id; one screening, baseline and "
        "withdrawal per patient; one verdict per criterion; one line per drug per cycle; one "
        "measurement per lesion per scan; one scan and one pre-cycle examination per patient "
        "and date; a user name; a site code.",
        "{what} is already recorded ({key}); change the saved record instead",
        ALL_ACTIONS,
    ),
    Rule(
        "LAB-UNIT",
        RuleKind.VALUE,
        "A lab's analyte is one the units layer knows and its unit fits the analyte.",
        "lab_results.{field}: got {value!r}; expected {expected}",
        (_A.SCREEN, _A.LAB, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "LAB-PLAUSIBLE",
        RuleKind.VALUE,
        "A lab value lies within the analyte's physiological range (units layer).",
        "lab_results.value_entered: got {value!r}; expected {expected}",
        (_A.SCREEN, _A.LAB, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "AE-CTCAE-TERM",
        RuleKind.VALUE,
        "An adverse event's term is a term of the trial's CTCAE version (the regimen file's "
        "assessment.ctcae_version: v4.03 for the seed trial), synonyms accepted, stored under "
        "the CTCAE name; the message names the version.",
        "adverse_events.term: got {value!r}; expected {expected}",
        (_A.ADVERSE_EVENT, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "AE-CTCAE-GRADE",
        RuleKind.VALUE,
        "An adverse event's grade is one the trial's CTCAE version (the regimen file's "
        "assessment.ctcae_version) defines for its term; the message names the version.",
        "adverse_events.grade: got {value!r}; expected {expected}",
        (_A.ADVERSE_EVENT, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "SCREEN-UNDECIDED",
        RuleKind.VALUE,
        "A screening is saved only when eligibility can be decided (no criterion left not "
        "evaluable while none fails).",
        "Eligibility cannot be decided yet. Missing: {missing}.",
        (_A.SCREEN,),
    ),
    Rule(
        "STUDY-ID",
        RuleKind.VALUE,
        "A study id is a pseudonym of letters, digits, '-' or '_' (starting with a letter or "
        "digit), at most 32 characters.",
        "patients.study_id: got {value!r}; expected {expected}",
        (_A.SCREEN, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "ACCOUNT-NAME",
        RuleKind.VALUE,
        "A user name is letters, digits, '.', '_' or '-' (starting with a letter or digit), "
        "at most 64 characters.",
        "users.username: got {value!r}; expected {expected}",
        (_A.ACCOUNTS, _A.IMPORT),
    ),
    Rule(
        "ACCOUNT-SITE",
        RuleKind.VALUE,
        "Investigators and coordinators work at one site: their account names it.",
        "users.site_id: got None; expected the site a {role} works at",
        (_A.ACCOUNTS, _A.IMPORT),
    ),
    Rule(
        "ACCOUNT-PASSWORD",
        RuleKind.VALUE,
        "A password has at least 12 characters, is not the user name and is not one of the "
        "20,000 most common passwords (only its argon2id hash is stored).",
        "password: got {problem}; expected at least {minimum} characters, not the user name, "
        "not a commonly used password",
        (_A.ACCOUNTS,),
    ),
    Rule(
        "ACCOUNT-SELF",
        RuleKind.STATE,
        "An admin does not disable their own account (no lock-out).",
        "You cannot disable your own account.",
        (_A.ACCOUNTS,),
    ),
    # ------------------------------------------------------------------ records together
    Rule(
        "SCREEN-VERDICTS",
        RuleKind.VALUE,
        "A screening's eligibility agrees with its criteria: eligible when every criterion is "
        "met, not eligible when one is not met.",
        "screenings.eligible: got {value}; the criteria say {expected}",
        (_A.AMEND, _A.IMPORT),
    ),
    Rule(
        "ENROL-ELIGIBLE",
        RuleKind.VALUE,
        "A patient is enrolled (has an enrolment date) exactly when the screening found the "
        "patient eligible.",
        "patients.enrolment_date: got {value}; expected {expected}",
        (_A.AMEND, _A.IMPORT),
    ),
    Rule(
        "DATE-FUTURE",
        RuleKind.VALUE,
        "No date lies in the future: every date is on or before today plus the settings' "
        "tolerance for time zones (future_tolerance_days, 1 day by default).",
        "{table}.{field}: got {value}; expected a date on or before {limit} (a date cannot "
        "lie in the future)",
        _DATED,
    ),
    Rule(
        "DATE-BEFORE-SCREENING",
        RuleKind.VALUE,
        "Every date of a patient's records is on or after the patient's screening date.",
        "{table}.{field}: got {value}; expected a date on or after the screening on {screening}",
        _DATED,
    ),
    Rule(
        "AFTER-DEATH",
        RuleKind.VALUE,
        "Nothing clinical is dated after the patient's death (the death record itself excepted).",
        "{table}.{field}: got {value}; expected a date on or before the death on {death}",
        _DATED,
    ),
    Rule(
        "DEATH-UNIQUE",
        RuleKind.VALUE,
        "A patient dies once: at most one follow-up with vital status dead.",
        "{study_id} already has a death recorded on {death}; a second death record is refused",
        (_A.FOLLOW_UP, _A.DEATH, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "FOLLOW-UP-AFTER-DEATH",
        RuleKind.VALUE,
        "No contact with vital status alive is dated on or after the patient's death.",
        "followups.contact_date: got {value} with vital status alive; expected a date before "
        "the death on {death}",
        (_A.FOLLOW_UP, _A.DEATH, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "AFTER-WITHDRAWAL",
        RuleKind.VALUE,
        "After a withdrawal only vital-status follow-up (contacts, death) is dated: no lab, "
        "examination, cycle, adverse event, scan or deviation.",
        "{table}.{field}: got {value}; expected a date on or before the withdrawal on "
        "{withdrawal} (after it only vital-status follow-up is recorded)",
        _DATED,
    ),
    Rule(
        "AE-RESOLUTION-ORDER",
        RuleKind.VALUE,
        "An adverse event resolves on or after its onset.",
        "adverse_events.resolution_date: got {value}; expected a date on or after the onset "
        "{onset}",
        (_A.ADVERSE_EVENT, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "LAB-DUPLICATE",
        RuleKind.VALUE,
        "The same lab result is not recorded twice (same date, analyte, value and unit).",
        "lab_results: {analyte} {value} {unit} on {date} is already recorded for {study_id}",
        (_A.SCREEN, _A.LAB, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "CYCLE-CONSECUTIVE",
        RuleKind.VALUE,
        "A patient's cycles are numbered 1, 2, 3, ... without gaps or repeats.",
        "treatment_cycles.cycle_number: got {value}; expected {expected}",
        (_A.START_CYCLE, _A.AMEND, _A.DELETE, _A.IMPORT),
    ),
    Rule(
        "CYCLE-ORDER",
        RuleKind.VALUE,
        "Each cycle is dated after the cycle before it.",
        "treatment_cycles.cycle_date: got {value} for cycle {number}; expected a date after "
        "cycle {previous} ({previous_date})",
        (_A.START_CYCLE, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "CYCLE-AFTER-FOLLOW-UP",
        RuleKind.VALUE,
        "No cycle is dated after the patient's first follow-up contact (follow-up begins when "
        "treatment has ended).",
        "treatment_cycles.cycle_date: got {value}; expected a date on or before the first "
        "follow-up contact on {follow_up}",
        (_A.START_CYCLE, _A.FOLLOW_UP, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "DOSE-DRUG",
        RuleKind.VALUE,
        "A dose line is for one of the regimen's drugs.",
        "cycle_doses.drug: got {value!r}; expected one of the regimen's drugs: {drugs}",
        (_A.START_CYCLE, _A.DOSE_LINE, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "DOSE-PLAUSIBLE",
        RuleKind.VALUE,
        "A planned dose is at most the regimen's full dose of the drug for the largest "
        "plausible body (BSA 3.0 m²), and a given dose at most 1.25 times the planned one.",
        "cycle_doses.{field}: got {value} mg of {drug}; expected at most {limit} mg ({why})",
        (_A.START_CYCLE, _A.DOSE_LINE, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "EXAM-VALUES",
        RuleKind.VALUE,
        "A pre-cycle examination records the ECOG performance status, the weight, or both.",
        "cycle_exams.ecog: got None with no weight_kg; expected the ECOG performance status "
        "(0-4), the weight in kg, or both",
        (_A.EXAM, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "SCAN-LESIONS",
        RuleKind.VALUE,
        "A scan records at least one lesion measurement (target, non-target or new), at every "
        "door, an import of history included.",
        "imaging_assessments: the scan of {date} has no lesion measurement; expected at least "
        "one lesion (target, non-target or new) measured on it",
        (_A.SCAN, _A.LESION, _A.AMEND, _A.DELETE, _A.IMPORT),
    ),
    Rule(
        "SCAN-ASSESSABLE",
        RuleKind.VALUE,
        "The mRECIST engine can assess every scan of the patient, in date order, the first the "
        "baseline: its targets are measurable, a follow-up measures the baseline's lesions (same "
        "organ), a new lesion has its size. An import of history is refused too: the course "
        "engine and the analysis read the same scans (a lesion not measured is given without a "
        "diameter: not evaluable).",
        "imaging_assessments: the scan of {date} cannot be assessed by mRECIST: {problem}",
        (_A.SCAN, _A.LESION, _A.AMEND, _A.DELETE, _A.IMPORT),
    ),
    # ------------------------------------------------------------------ Part 11 controls
    Rule(
        "DATABASE-LOCKED",
        RuleKind.STATE,
        "While the database is locked for analysis nothing is written, through any door (an "
        "account may still be disabled); an admin unlocks it with a reason.",
        "The database is locked for analysis (since {since}, by {by}: {reason}); nothing can be "
        "changed until an admin unlocks it.",
        ALL_ACTIONS,
    ),
    Rule(
        "RECORD-LOCKED",
        RuleKind.STATE,
        "A locked record (with the rows of its form) is not changed or deleted, and a locked "
        "casebook gets no new, changed or deleted record, until a data manager or an admin "
        "unlocks it with a reason.",
        "{what} is locked (since {since}, by {by}: {reason}); it must be unlocked before it "
        "can be changed.",
        _CLINICAL,
    ),
    Rule(
        "LOCK-STATE",
        RuleKind.STATE,
        "A lock is set on what is not locked yet, and lifted only from what is locked.",
        "{what} {problem}.",
        (_A.LOCK,),
    ),
    Rule(
        "PASSWORD-REENTERED",
        RuleKind.AUTHORIZATION,
        "Signing, and locking or unlocking from the command line, re-enter the acting user's "
        "password (21 CFR 11.200): a wrong password, or a name that is not an active account, "
        "refuses the action.",
        "{user}: the password is not correct or the account is not active; nothing was {done}.",
        (_A.SIGN, _A.LOCK),
    ),
    Rule(
        "SIGN-RECORD",
        RuleKind.VALUE,
        "A signature is of an existing record of a patient's forms, or of an existing patient's "
        "casebook, with one of the meanings: reviewed and approved, authored.",
        "{field}: got {value!r}; expected {expected}",
        (_A.SIGN, _A.LOCK),
    ),
    # ------------------------------------------------------------------ data management
    Rule(
        "DM-SITE",
        RuleKind.AUTHORIZATION,
        "A form's status and its queries are handled only by users of the patient's site (or "
        "users who span sites).",
        "{what} belongs to another site; you work at {yours}.",
        _DATA_MANAGEMENT,
    ),
    Rule(
        "FORM-COMPLETE",
        RuleKind.VALUE,
        "A form is marked complete only when every field it requires has a value or a "
        "missing-data code (not done, not applicable, unknown); a code stands only for an empty "
        "field.",
        "{label}: {problem}",
        (_A.COMPLETE_FORM,),
    ),
    Rule(
        "FORM-VERIFY",
        RuleKind.STATE,
        "Source-data verification marks a form that is complete; a later change of the record "
        "clears the mark. A field's mark is cleared only by a change of that field's value.",
        "{what} is not marked complete, so it cannot be verified against source yet.",
        (_A.VERIFY_FORM,),
    ),
    Rule(
        "SDV-FIELD",
        RuleKind.VALUE,
        "Fields are marked (or un-marked) verified against source by name: at least one, each a "
        "field of the form -- not its id, its patient or a value the application derives (a "
        "lab's canonical value).",
        "fields: got {value!r}; expected {expected}",
        (_A.VERIFY_FIELDS,),
    ),
    Rule(
        "QUERY-TEXT",
        RuleKind.VALUE,
        "A query names a field of the record and says what to check; an answer says something.",
        "{label}: {problem}",
        (_A.RAISE_QUERY, _A.ANSWER_QUERY),
    ),
    Rule(
        "QUERY-FLOW",
        RuleKind.STATE,
        "A query goes open -> answered -> closed: the site answers an open query, a monitor or "
        "data manager closes an open or answered one and re-opens a closed one.",
        "Query {query} is {status}: it cannot be {doing}.",
        (_A.ANSWER_QUERY, _A.CLOSE_QUERY),
    ),
    Rule(
        "EDIT-LAB-RANGE",
        RuleKind.QUERY,
        "A lab value more than 10 times its upper limit of normal, or below a tenth of its lower "
        "limit, raises a query to the site (it is saved); AFP, the tumour marker, is not checked.",
        "{analyte} {value} is {how}: please check it against the source.",
        (_A.LAB, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "EDIT-LAB-JUMP",
        RuleKind.QUERY,
        "A lab value more than 5 times, or less than a fifth of, the patient's previous value of "
        "the same analyte raises a query to the site (it is saved); AFP, the tumour marker, is "
        "not checked.",
        "{analyte} {value} after {previous} on {day}: a large change; please check it against "
        "the source.",
        (_A.LAB, _A.AMEND, _A.IMPORT),
    ),
    Rule(
        "EDIT-VISIT-WINDOW",
        RuleKind.QUERY,
        "A cycle whose day 1 lies outside its window from the regimen (4-6 weeks after the "
        "previous cycle) raises a query to the site (it is saved).",
        "Cycle {cycle} on {day} is outside its window ({earliest} to {latest}): please check the "
        "date against the source.",
        (_A.START_CYCLE, _A.AMEND, _A.IMPORT),
    ),
)

_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
if len(_BY_ID) != len(RULES):  # pragma: no cover - a programming error, caught at import
    raise RuntimeError("two rules share an id")


def rule(rule_id: str) -> Rule:
    """Return the rule ``rule_id`` (KeyError for an unknown id: a programming error)."""
    return _BY_ID[rule_id]


@dataclass(frozen=True)
class Finding:
    """One violation of a rule: which rule, where (table, record id, field) and the message.

    ``row`` is the record's id (negative for a record of the change being made, which has no id
    yet); the import maps it to the file's row number.
    """

    rule: str
    table: str
    row: int | None
    field: str | None
    message: str
    #: for a value of one field: the value given and what was expected (else None)
    value: object = None
    expected: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "table": self.table,
            "row": self.row,
            "field": self.field,
            "message": self.message,
            "value": self.value,
            "expected": self.expected,
        }


def finding(
    rule_id: str, table: str, row: int | None, field: str | None, /, **values: object
) -> Finding:
    """Return a :class:`Finding` of ``rule_id`` with the rule's message filled with ``values``
    (``value`` and ``expected``, when given, are also kept apart for the import's row errors)."""
    expected = values.get("expected")
    return Finding(
        rule_id,
        table,
        row,
        field,
        rule(rule_id).format(**values),
        values.get("value"),
        None if expected is None else str(expected),
    )


_EXCEPTIONS: dict[RuleKind, type[RuleRefusal]] = {
    RuleKind.AUTHORIZATION: AuthorizationError,
    RuleKind.STATE: StateConflictError,
    RuleKind.VERSION: StateConflictError,
    RuleKind.VALUE: RuleViolation,
}
_PRIORITY = (RuleKind.AUTHORIZATION, RuleKind.VERSION, RuleKind.STATE, RuleKind.VALUE)


def _first(findings: Sequence[Finding]) -> Finding:
    """The finding that decides the answer: authorization first, then state, then values."""
    return min(findings, key=lambda f: _PRIORITY.index(rule(f.rule).kind))


def refusal(
    findings: Iterable[Finding], *, lines: Mapping[tuple[str, int], int] | None = None
) -> RuleRefusal:
    """Return the exception refusing an action for ``findings`` (at least one).

    Its class follows the kind of the first finding by priority (authorization, then stale
    version, then state, then values); its message is ``[RULE-ID] message`` of that finding,
    the others listed after it; ``rule`` is its rule's id; ``findings`` holds them all.
    ``lines`` maps (table, record id) to a file's row number: those findings are prefixed
    ``<table>.csv row N:`` (the import names the file and the row).
    """
    found = list(findings)
    if not found:  # pragma: no cover - callers refuse only with findings
        raise ValueError("refusal() needs at least one finding")
    first = _first(found)
    ordered = [first, *(f for f in found if f is not first)]

    def where(f: Finding) -> str:
        line = None if lines is None or f.row is None else lines.get((f.table, f.row))
        return "" if line is None else f"{f.table}.csv row {line}: "

    text = f"[{first.rule}] {where(first)}{first.message}"
    if len(ordered) > 1:
        text = f"refused, nothing written: {len(ordered)} problem(s)\n  " + text
        text += "".join(f"\n  [{f.rule}] {where(f)}{f.message}" for f in ordered[1:25])
        if len(ordered) > 25:
            text += f"\n  ... and {len(ordered) - 25} more"
    cls = _EXCEPTIONS[rule(first.rule).kind]
    dicts = []
    for f in ordered:
        d = f.as_dict()
        d["line"] = None if lines is None or f.row is None else lines.get((f.table, f.row))
        dicts.append(d)
    return cls(text, rule=first.rule, field=first.field, findings=tuple(dicts))
