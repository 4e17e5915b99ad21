"""A patient's scans as the mRECIST engine reads them: the one conversion every reader calls.

Stored scans -- ORM objects of the web's patient file, or the plain rows of a chart that the rules
of the trial database check (:mod:`hcctrial.services.checks_scans`) -- become
:class:`~hcctrial.derive.records.ImagingRecord` values (:func:`imaging_record`), and those the
engine's documented input (:func:`scans_input`, :mod:`hcctrial.assess.mrecist_input`). The
regimen file's assessment section gives the engine's protocol rules (:func:`protocol_rules`).

The patient page, the imaging form's live preview, the rule that every scan can be assessed
(SCAN-ASSESSABLE), the analysis datasets and the course engine's record all read scans through
this module, so that what the page shows, what the rule refuses and what the analysis derives are
one reading of the same rows. It lives below the services and the web (neither may be imported
from here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hcctrial.derive.records import ImagingRecord, LesionRecord

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.assess.mrecist import ProtocolRules
    from hcctrial.protocol.schema import Regimen

__all__ = [
    "imaging_record",
    "lesion_record",
    "protocol_rules",
    "scan_problems",
    "scans_input",
]


def protocol_rules(regimen: Regimen) -> ProtocolRules:
    """The mRECIST engine's protocol rules from the regimen file's assessment section."""
    from hcctrial.assess.mrecist import ProtocolRules

    a = regimen.assessment
    return ProtocolRules(
        afp_normalisation_for_cr=a.cr_requires_normal_afp,
        new_nodule_threshold_mm=a.new_node_pd_threshold_mm,
        min_sd_days=a.min_sd_days,
        confirmation=a.confirmation_required,
        confirm_days=a.confirm_days,
    )


def _get(row: Any, name: str) -> Any:
    """A column of a stored row: a mapping's key or an ORM object's attribute (None if absent)."""
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def _text(value: Any) -> Any:
    """An enum member's value (stored rows carry enums, the engine reads text)."""
    return getattr(value, "value", value)


def lesion_record(row: Any) -> LesionRecord:
    """A stored lesion measurement (mapping or ORM object) as a :class:`LesionRecord`."""
    return LesionRecord(
        _get(row, "lesion_id"),
        _text(_get(row, "kind")),
        _get(row, "organ"),
        _get(row, "diameter_mm"),
        _text(_get(row, "status")),
        _get(row, "typical_pattern"),
    )


def imaging_record(scan: Any, lesions: Iterable[Any]) -> ImagingRecord:
    """A stored scan and its lesion measurements (mappings or ORM objects) as an
    :class:`ImagingRecord`."""
    return ImagingRecord(
        _get(scan, "assessment_date"),
        _text(_get(scan, "modality")),
        _get(scan, "afp_ng_ml"),
        tuple(lesion_record(x) for x in lesions),
    )


def _assessment(scan: ImagingRecord, *, iso_dates: bool) -> dict[str, Any]:
    target, non_target, new = [], [], []
    for les in scan.lesions:
        if les.kind == "target":
            target.append({"id": les.lesion_id, "organ": les.organ, "diameter_mm": les.diameter_mm})
        elif les.kind == "non_target":
            status = "not_evaluated" if les.status in (None, "not_evaluable") else les.status
            non_target.append({"id": les.lesion_id, "organ": les.organ, "status": status})
        else:
            new.append(
                {
                    "id": les.lesion_id,
                    "organ": les.organ,
                    "diameter_mm": les.diameter_mm,
                    "typical_pattern": les.typical_pattern,
                }
            )
    day = scan.assessment_date
    return {
        "date": day.isoformat() if iso_dates and day is not None else day,
        "modality": str(scan.modality or "").upper(),
        "afp_ng_ml": scan.afp_ng_ml,
        "target": target,
        "non_target": non_target,
        **({"new_lesions": new} if new else {}),
    }


def scans_input(
    scans: Iterable[ImagingRecord], afp_uln_ng_ml: float, *, iso_dates: bool = False
) -> dict[str, Any]:
    """Return ``scans`` (in the order given: the first is the baseline) in the mRECIST engine's
    documented input format; ``iso_dates``: dates as ISO text (a JSON record) instead of dates.

    A lesion of kind target is a target (its viable diameter), non_target a non-target (a status
    not given or "not_evaluable" is "not_evaluated"), anything else a new lesion."""
    return {
        "afp_uln_ng_ml": afp_uln_ng_ml,
        "assessments": [_assessment(s, iso_dates=iso_dates) for s in scans],
    }


def scan_problems(scans: Sequence[ImagingRecord]) -> dict[int, str]:
    """Return, by index into ``scans`` (in date order, the first the baseline), why the mRECIST
    engine cannot assess each scan it would refuse (:func:`hcctrial.assess.mrecist_input.
    assessment_problems`); an empty dict when it can assess them all."""
    from hcctrial.assess.mrecist_input import assessment_problems

    if not scans:
        return {}
    data = scans_input(scans, 1.0)
    return assessment_problems(data["assessments"])
