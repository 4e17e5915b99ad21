"""hcctrial.services: the application services -- one function per trial action, and the only
writer of the trial database.

Every door (the web forms, the JSON API, ``import``, the demo generator, the command line) calls
these functions and nothing else writes. Each action runs through a :class:`UnitOfWork` on behalf
of an :class:`Actor` (role and site), which enforces, in one place, for every door:

- **authorization** on the record and on every record it points to, before and after the change
  (:mod:`.permissions`);
- **the patient's state machine** (:mod:`.states`);
- **the rules that compare records** (:mod:`.checks`), each with an id and a message in plain
  words (:mod:`.rules`, ``docs/rules.md``);
- **the audit entry** of every row written (who, when, old, new, reason).

Actions, by aggregate: :mod:`.patients` (screen and enrol, baseline), :mod:`.labs`,
:mod:`.cycles` (start cycle, dose line, end treatment), :mod:`.exams` (pre-cycle examination), :mod:`.adverse_events`, :mod:`.scans`
(scan, lesion), :mod:`.follow_up` (contact, death, withdrawal, deviation), :mod:`.amend` (amend,
delete, override), :mod:`.accounts` (sites, users) and :mod:`.imports`. Reading the audit trail
(a patient's history, the trial-wide view and its permissions): :mod:`.audit_trail`; restoring an
export with its history (``import --with-history``): :mod:`.history`.

Example::

    with open_session(engine) as session:
        uow = UnitOfWork(session, Actor.system("nurse.li"))
        record_lab(uow, patient_id, {"sample_date": "2019-03-01", "analyte": "albumin",
                                     "value_entered": 35, "unit_entered": "g/L"},
                   reason="entered from the lab report")

Importing this package does not import SQLAlchemy's engine or the web; import the submodules.
"""

__all__ = [
    "accounts",
    "adverse_events",
    "amend",
    "audit_trail",
    "chart_gate",
    "charts",
    "checks",
    "checks_exams",
    "cycles",
    "exams",
    "follow_up",
    "gates",
    "history",
    "imports",
    "labs",
    "links",
    "locks",
    "part11_gate",
    "patients",
    "permissions",
    "persistence",
    "plan",
    "previews",
    "rules",
    "scans",
    "signatures",
    "states",
    "unit_of_work",
]
