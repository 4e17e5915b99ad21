"""Data completeness of a trial in progress: which enrolled patients the report can analyse, which
it cannot yet (and why), and how many have each kind of record.

A report built mid-trial meets enrolled patients without a baseline record, or not yet treated,
or with no response assessment or follow-up yet. The derivations refuse a patient they cannot
derive (a baseline is needed to stage and score): rather than fail the whole report,
:func:`analysable_records` sets those patients aside with the derivation's own reason, the
analysis runs on the others, and the report's data-completeness section
(:func:`completeness_tables`) counts every kind of record and lists the patients set aside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hcctrial.errors import DataValidationError
from hcctrial.report.inputs import Completeness
from hcctrial.report.tables import Row, Table, n_pct

if TYPE_CHECKING:
    from hcctrial.analysis.plan import PlanFile
    from hcctrial.derive.records import PatientRecords

__all__ = ["Completeness", "analysable_records", "completeness", "completeness_tables"]


#: What a patient lacks, in words, by the field the derivation names.
_LACKS = {
    "baseline": "No baseline record yet",
    "followups": "No follow-up yet (last contact or death)",
}


def _reason(exc: DataValidationError, study_id: str) -> str:
    if exc.field in _LACKS:
        return _LACKS[exc.field]
    text = exc.message.removeprefix(f"{study_id}: ")
    return text[:1].upper() + text[1:]


def analysable_records(
    records: Sequence[PatientRecords], plan: PlanFile
) -> tuple[tuple[PatientRecords, ...], tuple[tuple[str, str], ...]]:
    """Split the records into the patients the derivations accept and the enrolled ones set aside
    with the reason; records of patients never enrolled pass through (the screening counts)."""
    from hcctrial.derive.endpoints import derive_endpoints
    from hcctrial.derive.subject import derive_subject

    keep: list[PatientRecords] = []
    aside: list[tuple[str, str]] = []
    terms = plan.plan.adverse_events.terms
    for r in records:
        if not r.enrolled:
            keep.append(r)
            continue
        try:
            subject = derive_subject(r, terms)
            derive_endpoints((r,), (subject,), plan.plan)
        except DataValidationError as exc:
            aside.append((r.study_id, _reason(exc, r.study_id)))
            continue
        keep.append(r)
    return tuple(keep), tuple(aside)


def completeness(
    records: Sequence[PatientRecords], set_aside: Sequence[tuple[str, str]] = ()
) -> Completeness:
    """Count the enrolled patients of ``records`` by the records they have."""
    enrolled = [r for r in records if r.enrolled]
    return Completeness(
        enrolled=len(enrolled),
        with_baseline=sum(1 for r in enrolled if r.baseline is not None),
        treated=sum(1 for r in enrolled if r.cycles),
        assessed=sum(1 for r in enrolled if len(r.imaging) > 1),
        followed=sum(1 for r in enrolled if r.followups),
        set_aside=tuple(set_aside),
    )


def completeness_tables(c: Completeness) -> tuple[Table, ...]:
    """The section's tables: records per enrolled patient; the patients set aside, if any."""
    n = c.enrolled
    rows = (
        Row("Enrolled", (str(n),)),
        Row("Baseline record", (n_pct(c.with_baseline, n),), 1),
        Row("At least one treatment cycle", (n_pct(c.treated, n),), 1),
        Row("A response assessment after baseline", (n_pct(c.assessed, n),), 1),
        Row("A follow-up record", (n_pct(c.followed, n),), 1),
        Row("Analysed in this report", (n_pct(n - len(c.set_aside), n),), 1),
    )
    tables = [
        Table(
            "completeness",
            "Data completeness of the enrolled patients",
            ("Records", f"Patients, n (%), N = {n}"),
            rows,
            footnotes=(
                "Counts of the records in the database when the report was built. A response "
                "assessment after baseline: a second imaging assessment or more.",
            ),
        )
    ]
    if c.set_aside:
        tables.append(
            Table(
                "not_analysed",
                "Enrolled patients not analysed yet",
                ("Patient", "Why"),
                tuple(Row(sid, (why,)) for sid, why in c.set_aside),
                footnotes=(
                    "These patients are left out of every table and figure of this report until "
                    "the records named are entered.",
                ),
            )
        )
    return tuple(tables)
