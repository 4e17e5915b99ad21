"""The input of an mRECIST assessment: one patient's imaging record, validated once.

Format (JSON; the CLI ``hcctrial assess mrecist PATIENT.json`` reads exactly this)::

    {"afp_uln_ng_ml": 20,
     "assessments": [
       {"date": "2026-01-05", "modality": "MRI", "afp_ng_ml": 850,
        "target": [{"id": "T1", "organ": "liver", "diameter_mm": 52},
                   {"id": "T2", "organ": "liver", "diameter_mm": 31}],
        "non_target": [{"id": "N1", "organ": "lung", "status": "present"}],
        "new_lesions": []},
       {"date": "2026-03-10", "modality": "MRI", "afp_ng_ml": 12,
        "target": [{"id": "T1", "diameter_mm": 0}, {"id": "T2", "diameter_mm": 0}],
        "non_target": [{"id": "N1", "status": "absent"}],
        "new_lesions": [{"organ": "liver", "diameter_mm": 6, "typical_pattern": true}]}
     ]}

Top level: ``afp_uln_ng_ml`` (> 0, ng/mL: the laboratory's AFP upper limit of normal) and
``assessments`` (at least one; the **first is the baseline**; dates strictly increasing).

Assessment: ``date`` (ISO), ``modality`` (``"MRI"`` or ``"CT"``), ``afp_ng_ml`` (≥ 0 or
null/absent = not measured), ``target``, ``non_target``, ``new_lesions`` (lists, default empty).

Top level also: ``treatment_start`` (optional ISO date: the SD minimum interval counts from it).

Target lesion: ``id`` (unique); ``organ`` (required at baseline, e.g. ``"liver"``, ``"lung"``;
at follow-up optional but must match); ``diameter_mm`` (≥ 0; for a liver lesion the longest
*viable*, arterially enhancing diameter, for other organs the RECIST 1.1 longest diameter;
null/absent at follow-up = not evaluable); ``node`` (true for a lymph node, which is measured by
``short_axis_mm`` instead and counts in the single organ "lymph nodes"; ``site:
"porta_hepatis"`` for a hilar node); ``total_diameter_mm`` (optional: the whole-lesion diameter
of RECIST 1.1, necrosis included);
``arterial_enhancement`` and ``well_defined`` (default true; a liver target without arterial
enhancement or an infiltrative, ill-defined lesion is refused: it must be a non-target).
Baseline: ≥ 10 mm (nodes ≥ 15 mm short axis, a porta hepatis node ≥ 20 mm), ≤ 2 per organ,
≤ 5 in all.

Non-target lesion: ``id``; ``organ`` (optional); ``node`` (optional); ``status``:
``"present"`` (viable/enhancing tumour persists), ``"absent"`` (no enhancement),
``"unequivocal_progression"``, or ``"not_evaluated"``. At baseline the status must be
``present``.

New lesion (follow-ups only): ``organ`` (required); ``diameter_mm`` (longest diameter);
``typical_pattern`` (arterial hyperenhancement with portal/late washout; null = not assessed);
``node`` + ``short_axis_mm`` for a lymph node, with ``site: "porta_hepatis"`` for the hepatic
hilum; ``effusion`` (``"pleural"``, ``"ascites"``, ``"pericardial"``) with ``cytology``
(``"positive"``/``"negative"``/absent); ``equivocal`` (default false); ``id`` (optional: the same
id on later scans follows an atypical nodule so that its growth can be judged).

A baseline target missing at a follow-up, or given with a null measurement, makes that time
point's target response NE (not an error). A non-target missing at a follow-up counts as
``not_evaluated``. Everything else that is inconsistent is refused with an error naming the
item, e.g. ``assessments[1].target[0].id 'T3': not a baseline target lesion``.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from hcctrial.dates import TrialDate
from hcctrial.errors import DataValidationError

#: Smallest measurable diameter of a target lesion at baseline (mm; RECIST 1.1 / mRECIST).
MIN_TARGET_MM = 10.0
#: Smallest short axis of a target lymph node at baseline (mm; RECIST 1.1).
MIN_TARGET_NODE_SHORT_AXIS_MM = 15.0
#: mRECIST: a porta hepatis node is malignant (so measurable as a target) from 20 mm short axis.
MIN_TARGET_PORTA_HEPATIS_NODE_MM = 20.0
#: At most this many target lesions per organ, and in all (mRECIST = RECIST 1.1).
MAX_TARGETS_PER_ORGAN = 2
MAX_TARGETS = 5

Millimetres = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
NonTargetStatus = Literal["present", "absent", "unequivocal_progression", "not_evaluated"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetLesion(_Strict):
    """A target lesion as recorded at one assessment (see module docstring)."""

    id: Annotated[str, Field(min_length=1)]
    organ: str | None = None
    diameter_mm: Millimetres | None = None
    #: whole-lesion longest diameter (necrosis and lipiodol included): RECIST 1.1's measurement,
    #: from which RECIST 1.1 is computed beside mRECIST when every target has it
    total_diameter_mm: Millimetres | None = None
    node: StrictBool | None = None
    short_axis_mm: Millimetres | None = None
    #: a lymph node at the porta hepatis (hepatic hilum): malignant, so a target, from 20 mm
    site: Literal["porta_hepatis"] | None = None
    arterial_enhancement: StrictBool | None = None
    well_defined: StrictBool | None = None


class NonTargetLesion(_Strict):
    """A non-target lesion and its status at one assessment."""

    id: Annotated[str, Field(min_length=1)]
    organ: str | None = None
    node: StrictBool | None = None
    status: NonTargetStatus


class NewLesion(_Strict):
    """A lesion absent at baseline, recorded at a follow-up."""

    id: str | None = None
    organ: Annotated[str, Field(min_length=1)]
    diameter_mm: Millimetres | None = None
    typical_pattern: StrictBool | None = None
    node: StrictBool = False
    short_axis_mm: Millimetres | None = None
    site: Literal["porta_hepatis"] | None = None
    effusion: Literal["pleural", "ascites", "pericardial"] | None = None
    cytology: Literal["positive", "negative"] | None = None
    equivocal: StrictBool = False


class Assessment(_Strict):
    """One imaging time point (the first of a patient is the baseline)."""

    date: TrialDate
    modality: Literal["MRI", "CT"]
    afp_ng_ml: Millimetres | None = None  # same constraint (finite, >= 0); unit ng/mL
    target: list[TargetLesion] = Field(default_factory=list)
    non_target: list[NonTargetLesion] = Field(default_factory=list)
    new_lesions: list[NewLesion] = Field(default_factory=list)


class PatientAssessments(_Strict):
    """One patient's imaging record: the AFP upper limit of normal and the assessments.

    ``treatment_start`` (optional): the first day of treatment, from which the minimum duration of
    SD is counted (RECIST 1.1: "a minimum interval after the start of treatment"); without it the
    baseline scan's date is used and the result says so."""

    afp_uln_ng_ml: Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
    treatment_start: TrialDate | None = None
    assessments: Annotated[list[Assessment], Field(min_length=1)]


def _loc(parts: tuple[int | str, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "patient"


def _lesion_of(data: Any, loc: tuple[int | str, ...]) -> str:
    """Return `` (lesion 'T1')`` when ``loc`` points inside a lesion that has an id."""
    node = data
    found = ""
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = f" (lesion {node['id']!r})"
    return found


def _bad(path: str, message: str) -> DataValidationError:
    return DataValidationError(f"{path}: {message}", field=path)


def is_liver(organ: str | None) -> bool:
    """Return True when ``organ`` names the liver (intrahepatic lesion)."""
    return organ is not None and organ.strip().lower() in {"liver", "intrahepatic"}


def baseline_target_problem(lesion: TargetLesion) -> str | None:
    """Return why ``lesion`` cannot be an mRECIST target at baseline, or None when it can.

    mRECIST (Lencioni & Llovet 2010): measurable (≥ 10 mm; a node ≥ 15 mm short axis as in
    RECIST 1.1), well delineated, and — for intrahepatic HCC — arterially enhancing.
    """
    if lesion.organ is None:
        return "organ is required at baseline"
    if lesion.node:
        if lesion.short_axis_mm is None:
            return "a target lymph node needs short_axis_mm"
        porta = lesion.site == "porta_hepatis"
        limit = MIN_TARGET_PORTA_HEPATIS_NODE_MM if porta else MIN_TARGET_NODE_SHORT_AXIS_MM
        if lesion.short_axis_mm < limit:
            why = (
                "a porta hepatis node is malignant only from 20 mm short axis (mRECIST)"
                if porta
                else "not a measurable node (RECIST 1.1)"
            )
            return (
                f"short axis {lesion.short_axis_mm:g} mm < {limit:g} mm: {why}; record it as a "
                "non-target lesion"
            )
        return None
    if lesion.site is not None:
        return "site 'porta_hepatis' is for lymph nodes (set node: true)"
    if lesion.short_axis_mm is not None:
        return "short_axis_mm is only for lymph nodes (set node: true)"
    if lesion.diameter_mm is None:
        return "diameter_mm is required at baseline"
    if lesion.diameter_mm < MIN_TARGET_MM:
        return (
            f"diameter {lesion.diameter_mm:g} mm < {MIN_TARGET_MM:g} mm: not measurable; "
            "record it as a non-target lesion"
        )
    if lesion.well_defined is False:
        return (
            "infiltrative / ill-defined tumour is not measurable by mRECIST; record it as a "
            "non-target lesion"
        )
    if is_liver(lesion.organ) and lesion.arterial_enhancement is False:
        return (
            "an intrahepatic target needs intratumoral arterial enhancement at baseline; "
            "record it as a non-target lesion"
        )
    return None


def _check_baseline(base: Assessment) -> None:
    path = "assessments[0]"
    if not base.target and not base.non_target:
        raise _bad(path, "the baseline assessment has no target and no non-target lesion")
    if base.new_lesions:
        raise _bad(f"{path}.new_lesions", "the baseline assessment cannot have new lesions")
    seen: set[str] = set()
    organs: Counter[str] = Counter()
    for j, lesion in enumerate(base.target):
        item = f"{path}.target[{j}].id {lesion.id!r}"
        if lesion.id in seen:
            raise _bad(item, "duplicate lesion id")
        seen.add(lesion.id)
        if j >= MAX_TARGETS:
            raise _bad(
                item,
                f"more than {MAX_TARGETS} target lesions (mRECIST allows {MAX_TARGETS} in all); "
                "record it as a non-target lesion",
            )
        problem = baseline_target_problem(lesion)
        if problem:
            raise _bad(item, problem)
        organ = "lymph nodes" if lesion.node else str(lesion.organ).strip().lower()
        organs[organ] += 1
        if organs[organ] > MAX_TARGETS_PER_ORGAN:
            raise _bad(
                item,
                f"more than {MAX_TARGETS_PER_ORGAN} target lesions in organ {organ!r} "
                "(mRECIST allows 2 per organ); record it as a non-target lesion",
            )
    for j, nt in enumerate(base.non_target):
        item = f"{path}.non_target[{j}].id {nt.id!r}"
        if nt.id in seen:
            raise _bad(item, "duplicate lesion id")
        seen.add(nt.id)
        if nt.status != "present":
            raise _bad(item, f"status {nt.status!r} at baseline; expected 'present'")


def _check_follow_up(i: int, visit: Assessment, base: Assessment) -> None:
    path = f"assessments[{i}]"
    targets = {t.id: t for t in base.target}
    non_targets = {n.id: n for n in base.non_target}
    seen: set[str] = set()
    for j, lesion in enumerate(visit.target):
        item = f"{path}.target[{j}].id {lesion.id!r}"
        if lesion.id not in targets:
            where = " (it is a baseline non-target lesion)" if lesion.id in non_targets else ""
            raise _bad(item, f"not a baseline target lesion{where}")
        if lesion.id in seen:
            raise _bad(item, "duplicate lesion id in this assessment")
        seen.add(lesion.id)
        ref = targets[lesion.id]
        if lesion.organ is not None and lesion.organ.strip().lower() != str(ref.organ).lower():
            raise _bad(item, f"organ {lesion.organ!r} differs from baseline {ref.organ!r}")
        if lesion.node is not None and bool(lesion.node) != bool(ref.node):
            raise _bad(item, "node differs from baseline")
        if not ref.node and lesion.short_axis_mm is not None:
            raise _bad(item, "short_axis_mm is only for lymph nodes")
        if (
            lesion.arterial_enhancement is False
            and lesion.diameter_mm is not None
            and lesion.diameter_mm > 0
        ):
            raise _bad(
                item,
                f"arterial_enhancement false but viable diameter {lesion.diameter_mm:g} mm; "
                "expected 0 mm when no viable (enhancing) tumour is left",
            )
    for j, nt in enumerate(visit.non_target):
        item = f"{path}.non_target[{j}].id {nt.id!r}"
        if nt.id not in non_targets:
            where = " (it is a baseline target lesion)" if nt.id in targets else ""
            raise _bad(item, f"not a baseline non-target lesion{where}")
        if nt.id in seen:
            raise _bad(item, "duplicate lesion id in this assessment")
        seen.add(nt.id)
    new_ids: set[str] = set()
    for j, new in enumerate(visit.new_lesions):
        item = f"{path}.new_lesions[{j}]"
        if new.id is not None:
            if new.id in new_ids:
                raise _bad(f"{item}.id {new.id!r}", "duplicate new-lesion id in this assessment")
            new_ids.add(new.id)
        if new.id is not None and (new.id in targets or new.id in non_targets):
            raise _bad(f"{item}.id {new.id!r}", "is a baseline lesion, not a new one")
        if new.node and new.short_axis_mm is None:
            raise _bad(item, "a new lymph node needs short_axis_mm")
        if new.site == "porta_hepatis" and not new.node:
            raise _bad(item, "site 'porta_hepatis' is for lymph nodes (set node: true)")
        if new.effusion is None and not new.node and new.diameter_mm is None:
            raise _bad(item, "diameter_mm is required for a new nodule")


def _validation_text(exc: ValidationError, data: Any, prefix: tuple[int | str, ...] = ()) -> str:
    """The problems of a pydantic validation error, each naming its item."""
    problems = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        problems.append(
            f"{_loc(loc)}{_lesion_of(data, loc)}: "
            + (
                "required field is missing"
                if err["type"] == "missing"
                else f"got {err.get('input')!r}; {err['msg']}"
            )
        )
    return "; ".join(problems)


def _check_order(i: int, visit: Assessment, base: Assessment, previous: Assessment) -> None:
    if visit.date <= base.date:
        raise _bad(
            f"assessments[{i}].date {visit.date.isoformat()}",
            f"a follow-up on or before the baseline assessment ({base.date.isoformat()}); "
            "the first assessment is the baseline",
        )
    if visit.date <= previous.date:
        raise _bad(
            f"assessments[{i}].date {visit.date.isoformat()}",
            f"out of order: not after assessments[{i - 1}].date {previous.date.isoformat()}; "
            "expected dates in increasing order",
        )


def parse_patient(data: Any) -> PatientAssessments:
    """Return the validated patient record; raise :class:`DataValidationError` naming the item.

    Accepts a mapping (e.g. from ``json.load``) or a :class:`PatientAssessments`.
    """
    if isinstance(data, PatientAssessments):
        patient = data
    else:
        try:
            patient = PatientAssessments.model_validate(data)
        except ValidationError as exc:
            raise DataValidationError(_validation_text(exc, data), field="patient") from None
    base = patient.assessments[0]
    _check_baseline(base)
    for i, visit in enumerate(patient.assessments[1:], start=1):
        _check_order(i, visit, base, patient.assessments[i - 1])
        _check_follow_up(i, visit, base)
    return patient


#: What a follow-up is refused for when the baseline itself cannot be assessed.
BASELINE_NOT_ASSESSABLE = "the baseline assessment (assessments[0]) cannot be assessed"


def assessment_problems(assessments: list[dict[str, Any]]) -> dict[int, str]:
    """Return, by index, why each assessment of ``assessments`` (the ``assessments`` list of the
    input format, the first the baseline) cannot be assessed -- an empty dict when
    :func:`parse_patient` accepts them all.

    :func:`parse_patient` stops at the first problem; this names every assessment it would refuse,
    each with the message :func:`parse_patient` gives for it, so that a caller (the rule of the
    trial database that a scan must be assessable) can say *which* scan is refused. A follow-up
    is judged against the baseline alone (as :func:`parse_patient` judges it); every follow-up of
    a baseline that cannot be assessed is refused with :data:`BASELINE_NOT_ASSESSABLE`.
    """
    out: dict[int, str] = {}
    parsed: dict[int, Assessment] = {}
    for i, item in enumerate(assessments):
        try:
            parsed[i] = Assessment.model_validate(item)
        except ValidationError as exc:
            out[i] = _validation_text(exc, {"assessments": assessments}, ("assessments", i))
    base = parsed.get(0)
    if base is not None:
        try:
            _check_baseline(base)
        except DataValidationError as exc:
            out[0] = exc.message
    for i in range(1, len(assessments)):
        visit = parsed.get(i)
        if visit is None:
            continue
        if base is None or 0 in out:
            out[i] = BASELINE_NOT_ASSESSABLE
            continue
        previous = parsed.get(i - 1, base)
        try:
            _check_order(i, visit, base, previous)
            _check_follow_up(i, visit, base)
        except DataValidationError as exc:
            out[i] = exc.message
    return out


__all__ = [
    "BASELINE_NOT_ASSESSABLE",
    "MAX_TARGETS",
    "MAX_TARGETS_PER_ORGAN",
    "MIN_TARGET_MM",
    "MIN_TARGET_NODE_SHORT_AXIS_MM",
    "MIN_TARGET_PORTA_HEPATIS_NODE_MM",
    "Assessment",
    "NewLesion",
    "NonTargetLesion",
    "PatientAssessments",
    "TargetLesion",
    "assessment_problems",
    "baseline_target_problem",
    "is_liver",
    "parse_patient",
]
