"""mRECIST response of one patient per time point and overall, with this protocol's own rules.

mRECIST (Lencioni R, Llovet JM. Semin Liver Dis 2010;30:52-60), as summarised in
``shared/reference/clinical/STANDARDS.md`` §2:

* **Targets** (≤ 2 per organ, ≤ 5 in all, ≥ 10 mm, arterially enhancing, well delineated at
  baseline). A liver target is measured by its longest *viable* (arterially enhancing) diameter,
  other organs as RECIST 1.1, lymph nodes by short axis. Target CR: no intratumoral arterial
  enhancement left in any target (viable diameter 0 mm; nodes < 10 mm short axis, RECIST 1.1).
  PD: the sum rises ≥ 20 % over the nadir (the smallest complete sum so far, baseline included;
  no 5 mm absolute condition, unlike RECIST 1.1); a sum above 0 after a nadir of 0 is PD
  (viable tumour reappeared). PR: the sum falls ≥ 30 % from baseline. Otherwise SD. A target
  not evaluated makes the target response NE, unless the evaluated targets alone already reach
  PD (RECIST 1.1 practice).
* **Non-targets**: all absent = CR; any unequivocal progression = PD; any not evaluated = NE;
  otherwise NON-CR/NON-PD.
* **New lesions** (:func:`new_lesion_verdict`): an intrahepatic nodule counts if ≥ 10 mm with
  the typical vascular pattern (arterial hyperenhancement + washout); an atypical one ≥ 10 mm
  counts once it has grown ≥ 10 mm on a later scan (matched by ``id``), and PD is then dated
  back to the scan where it was first seen; a porta-hepatis node counts at ≥ 20 mm short axis,
  other nodes at ≥ 10 mm (RECIST 1.1 pathological node); an effusion or ascites only with
  positive cytology; any other unequivocal extrahepatic lesion counts (RECIST 1.1).
* **Overall** (:func:`overall_response`): RECIST 1.1 Table 4 (Table 5 without target disease).

**This protocol's rules on top** (seed paper, Methods), each a switch in :class:`ProtocolRules`:

1. *CR needs a normalised AFP* ("CR was defined as a tumor disappearing on contrast-enhanced
   CT and/or MRI combined with a normalized AFP level"): a CR with AFP > ULN, or AFP not
   measured at that assessment, is reported as PR (the mapping to PR is our choice).
2. *"If there was a new tumor node > 5 mm, this was considered the first instance of PD"*: a new
   tumour nodule (not a lymph node, not an effusion, not equivocal, typical pattern not denied)
   with longest diameter strictly above ``new_nodule_threshold_mm`` (default 5) makes the time
   point PD even where mRECIST would not. We read "tumor node" as nodule (the paper's
   translation); lymph nodes keep the mRECIST rules.
3. *"Treatment was continued until PD was identified twice … The PFS was recorded from the first
   instance of PD"*: ``first_pd_date`` is the first PD time point (the PFS event),
   ``confirmed_pd_date`` the next later PD time point (null until seen). Every follow-up, also
   after the first PD, is judged against the original baseline and the nadir of all earlier
   complete sums; a new lesion stays "new" (absent at baseline) at every scan that lists it.

The best overall response uses :func:`hcctrial.assess.best_response.best_overall_response` on
the protocol responses, with the baseline date as reference date, ``min_sd_days`` from the
regimen (default :data:`DEFAULT_MIN_SD_DAYS`) and no confirmation by default (the paper asks for
none; response is not the primary endpoint). Percentages are computed in exact rational
arithmetic (``fractions``) so that exactly +20 % or −30 % is never lost to binary floating
point (STANDARDS.md pitfall 1); they are reported rounded to 2 decimals.

The input format is documented in :mod:`hcctrial.assess.mrecist_input`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from hcctrial.assess.best_response import best_overall_response
from hcctrial.assess.mrecist_input import (
    NewLesion,
    PatientAssessments,
    TargetLesion,
    is_liver,
    parse_patient,
)
from hcctrial.assess.response_types import Response
from hcctrial.errors import field_error

#: Minimum interval (days) from baseline for SD to count in the best overall response when the
#: regimen file does not say (6 weeks: the usual 6–8-week protocol minimum, RECIST 1.1).
DEFAULT_MIN_SD_DAYS = 42
#: The paper's "new tumor node > 5 mm" (strictly greater), in mm.
DEFAULT_NEW_NODULE_THRESHOLD_MM = 5.0
#: mRECIST: a new intrahepatic lesion counts as HCC from this longest diameter (mm, typical
#: vascular pattern required); an atypical one needs this much interval growth (mm).
NEW_LIVER_LESION_MM = 10.0
ATYPICAL_GROWTH_MM = 10.0
#: Short axis (mm) from which a new porta-hepatis node (mRECIST) or another node (RECIST 1.1) counts.
PORTA_HEPATIS_NODE_MM = 20.0
PATHOLOGICAL_NODE_MM = 10.0
#: A target lymph node below this short axis (mm) is normal (RECIST 1.1), as needed for CR.
NORMAL_NODE_MM = 10.0

_PD_RISE = Fraction(1, 5)  # ≥ 20 % over the nadir
_PR_FALL = Fraction(3, 10)  # ≥ 30 % below baseline


def default_min_sd_days() -> int:
    """Return the regimen's SD minimum interval (days), or :data:`DEFAULT_MIN_SD_DAYS`.

    Reads ``default_regimen().assessment.min_sd_days`` from :mod:`hcctrial.protocol.regimen`
    when that module (or the field) exists; the fallback is the documented constant 42.
    """
    try:
        regimen = importlib.import_module("hcctrial.protocol.regimen")
        value = regimen.default_regimen().assessment.min_sd_days
    except (ImportError, AttributeError):
        return DEFAULT_MIN_SD_DAYS
    return int(value)


@dataclass(frozen=True)
class ProtocolRules:
    """The protocol's rules on top of mRECIST and the best-response settings (see module doc)."""

    afp_normalisation_for_cr: bool = True
    new_nodule_counts_as_pd: bool = True
    new_nodule_threshold_mm: float = DEFAULT_NEW_NODULE_THRESHOLD_MM
    min_sd_days: int = DEFAULT_MIN_SD_DAYS
    confirmation: bool = False
    confirm_days: int = 28

    def __post_init__(self) -> None:
        if not self.new_nodule_threshold_mm >= 0:
            raise field_error("new_nodule_threshold_mm", self.new_nodule_threshold_mm, "≥ 0 mm")
        if self.min_sd_days < 0:
            raise field_error("min_sd_days", self.min_sd_days, "a non-negative number of days")
        if self.confirm_days < 0:
            raise field_error("confirm_days", self.confirm_days, "a non-negative number of days")


@dataclass(frozen=True)
class NewLesionVerdict:
    """Whether one new lesion means progression, by mRECIST and by the protocol's nodule rule."""

    mrecist: bool
    protocol_nodule: bool
    needs_growth: bool
    reason: str


@dataclass(frozen=True)
class TimePointResponse:
    """The response at one follow-up assessment.

    ``response`` applies the protocol's rules; ``mrecist_response`` is mRECIST alone.
    ``sum_mm`` is the sum of the target measurements (mm), ``None`` when a target was not
    evaluated; ``nadir_mm`` the smallest complete sum before this time point (baseline included);
    percentages are ``None`` when they cannot be computed (no target, incomplete sum, nadir 0).
    """

    date: date
    response: Response
    mrecist_response: Response
    target_response: Response | None
    non_target_response: Response | None
    new_lesion: bool
    sum_mm: float | None
    nadir_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    reasons: tuple[str, ...]
    #: RECIST 1.1 from the same scan (None unless every target has ``total_diameter_mm``)
    recist11_response: Response | None = None
    recist11_sum_mm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (enums as their codes, dates ISO)."""
        out = asdict(self)
        out["date"] = self.date.isoformat()
        for key in (
            "response",
            "mrecist_response",
            "target_response",
            "non_target_response",
            "recist11_response",
        ):
            value = getattr(self, key)
            out[key] = None if value is None else value.value
        out["reasons"] = list(self.reasons)
        return out


@dataclass(frozen=True)
class PatientResponse:
    """The mRECIST course of one patient: every time point and the overall result."""

    baseline_date: date
    baseline_sum_mm: float | None
    time_points: tuple[TimePointResponse, ...]
    best_overall_response: Response
    best_overall_response_date: date | None
    first_pd_date: date | None
    confirmed_pd_date: date | None
    rules: ProtocolRules = field(default_factory=ProtocolRules)
    #: the date the SD minimum interval counts from, and what it is
    sd_reference_date: date | None = None
    sd_reference: str = ""
    recist11_best_overall_response: Response | None = None
    #: how the engine read rules the paper leaves open: {rule, reading, interpretation, alternative}
    readings: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the CLI's ``--json`` output)."""

        def iso(day: date | None) -> str | None:
            return None if day is None else day.isoformat()

        return {
            "baseline": {"date": iso(self.baseline_date), "sum_mm": self.baseline_sum_mm},
            "time_points": [tp.to_dict() for tp in self.time_points],
            "best_overall_response": self.best_overall_response.value,
            "best_overall_response_date": iso(self.best_overall_response_date),
            "first_pd_date": iso(self.first_pd_date),
            "confirmed_pd_date": iso(self.confirmed_pd_date),
            "rules": asdict(self.rules),
            "sd_reference_date": iso(self.sd_reference_date),
            "sd_reference": self.sd_reference,
            "recist11_best_overall_response": None
            if self.recist11_best_overall_response is None
            else self.recist11_best_overall_response.value,
            "readings": [dict(r) for r in self.readings],
            "interpretation": any(r["interpretation"] for r in self.readings),
        }


def _exact(value: float) -> Fraction:
    """The decimal number as written (``25.2`` → 126/5), not its binary approximation."""
    return Fraction(repr(float(value)))


def _measure(lesion: TargetLesion, *, node: bool | None = None) -> float | None:
    """The measurement that enters the sum: short axis for a node, else (viable) diameter, mm."""
    is_node = lesion.node if node is None else node
    return lesion.short_axis_mm if is_node else lesion.diameter_mm


def _mm(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _pct(value: Fraction) -> float:
    return float(round(value * 100, 2))


def _fmt(value: Fraction | float) -> str:
    return f"{float(value):g}"


def new_lesion_verdict(
    lesion: NewLesion,
    *,
    new_nodule_threshold_mm: float = DEFAULT_NEW_NODULE_THRESHOLD_MM,
) -> NewLesionVerdict:
    """Return whether ``lesion`` is progression by mRECIST and by the protocol's nodule rule.

    ``needs_growth`` marks an atypical intrahepatic nodule ≥ 10 mm: not PD yet, PD (dated back)
    once it grows ≥ 10 mm (judged by :func:`patient_response` across scans).
    """
    organ = lesion.organ
    if lesion.equivocal:
        return NewLesionVerdict(False, False, False, f"equivocal new lesion ({organ}): not counted")
    if lesion.effusion is not None:
        positive = lesion.cytology == "positive"
        cytology = lesion.cytology or "not done"
        return NewLesionVerdict(
            positive,
            False,
            False,
            f"new {lesion.effusion} effusion, cytology {cytology}: "
            + (
                "malignant -> new lesion"
                if positive
                else "not a new lesion without positive cytology"
            ),
        )
    if lesion.node:
        axis = lesion.short_axis_mm or 0.0
        porta = lesion.site == "porta_hepatis"
        limit = PORTA_HEPATIS_NODE_MM if porta else PATHOLOGICAL_NODE_MM
        where = "porta-hepatis node" if porta else "lymph node"
        counts = axis >= limit
        return NewLesionVerdict(
            counts,
            False,
            False,
            f"new {where} short axis {_fmt(axis)} mm "
            + (
                f">= {_fmt(limit)} mm: malignant -> new lesion"
                if counts
                else f"< {_fmt(limit)} mm: not a new lesion"
            ),
        )
    diameter = lesion.diameter_mm or 0.0
    pattern_denied = lesion.typical_pattern is False
    protocol = diameter > new_nodule_threshold_mm and not pattern_denied
    if is_liver(organ):
        typical = lesion.typical_pattern is True
        big = diameter >= NEW_LIVER_LESION_MM
        pattern = {
            True: "typical pattern",
            False: "atypical pattern",
            None: "pattern not assessed",
        }[lesion.typical_pattern]
        if big and typical:
            text = f">= {_fmt(NEW_LIVER_LESION_MM)} mm with typical pattern -> new lesion"
        elif big:
            text = f"atypical: not a new lesion unless it grows >= {_fmt(ATYPICAL_GROWTH_MM)} mm"
        else:
            text = f"< {_fmt(NEW_LIVER_LESION_MM)} mm: not an mRECIST new lesion"
        return NewLesionVerdict(
            big and typical,
            protocol,
            big and not typical,
            f"new intrahepatic nodule {_fmt(diameter)} mm ({pattern}): {text}",
        )
    return NewLesionVerdict(
        True,
        protocol,
        False,
        f"new extrahepatic lesion ({organ}, {_fmt(diameter)} mm): unequivocal -> new lesion",
    )


def overall_response(
    target: Response | None, non_target: Response | None, new_lesion: bool
) -> Response:
    """Return the overall time-point response (RECIST 1.1 Table 4/5, mRECIST alike).

    ``target`` is CR/PR/SD/PD/NE or ``None`` (no target disease); ``non_target`` is
    CR/NON-CR/NON-PD/PD/NE or ``None`` (no non-target lesion); ``new_lesion`` whether a new
    lesion counts.
    """
    allowed_t = (Response.CR, Response.PR, Response.SD, Response.PD, Response.NE, None)
    allowed_n = (Response.CR, Response.NON_CR_NON_PD, Response.PD, Response.NE, None)
    if target not in allowed_t:
        raise field_error("target", target, "CR, PR, SD, PD, NE or None")
    if non_target not in allowed_n:
        raise field_error("non_target", non_target, "CR, NON-CR/NON-PD, PD, NE or None")
    if new_lesion or target is Response.PD or non_target is Response.PD:
        return Response.PD
    if target is None:  # Table 5: non-target disease only
        return Response.NE if non_target is None else non_target
    if target is Response.CR:
        return Response.CR if non_target in (None, Response.CR) else Response.PR
    return target  # PR, SD or NE (non-target not PD)


def _target_response(
    baseline: list[TargetLesion],
    measured: dict[str, float | None],
    baseline_sum: Fraction,
    nadir: Fraction,
) -> tuple[Response, Fraction | None, list[str]]:
    missing = [t.id for t in baseline if measured.get(t.id) is None]
    known = {k: _exact(v) for k, v in measured.items() if v is not None}
    if missing:
        partial = sum(known.values(), Fraction(0))
        if nadir > 0 and partial - nadir >= nadir * _PD_RISE:
            return (
                Response.PD,
                None,
                [
                    f"target: {', '.join(missing)} not evaluated, but the others already sum "
                    f"{_fmt(partial)} mm, >= 20% over the nadir {_fmt(nadir)} mm -> PD"
                ],
            )
        return Response.NE, None, [f"target: {', '.join(missing)} not evaluated -> NE"]
    total = sum(known.values(), Fraction(0))
    gone = all(known[t.id] < NORMAL_NODE_MM if t.node else known[t.id] == 0 for t in baseline)
    if gone:
        return Response.CR, total, ["target: no arterial enhancement left in any target -> CR"]
    if nadir == 0:
        return (
            Response.PD,
            total,
            [f"target: viable tumour reappeared ({_fmt(total)} mm) after a nadir of 0 mm -> PD"],
        )
    rise = (total - nadir) / nadir
    if rise >= _PD_RISE:
        return (
            Response.PD,
            total,
            [
                f"target: sum {_fmt(total)} mm is {_pct(rise):+g}% over the nadir {_fmt(nadir)} mm (>= +20%) -> PD"
            ],
        )
    fall = (baseline_sum - total) / baseline_sum
    if fall >= _PR_FALL:
        return (
            Response.PR,
            total,
            [
                f"target: sum {_fmt(total)} mm is {_pct(-fall):+g}% from baseline {_fmt(baseline_sum)} mm (>= 30% decrease) -> PR"
            ],
        )
    return (
        Response.SD,
        total,
        [
            f"target: sum {_fmt(total)} mm, {_pct(-fall):+g}% from baseline, {_pct(rise):+g}% from nadir -> SD"
        ],
    )


def _non_target_response(ids: list[str], status: dict[str, str]) -> tuple[Response, str]:
    states = {i: status.get(i, "not_evaluated") for i in ids}
    progressed = [i for i, s in states.items() if s == "unequivocal_progression"]
    if progressed:
        return Response.PD, f"non-target: unequivocal progression of {', '.join(progressed)} -> PD"
    unknown = [i for i, s in states.items() if s == "not_evaluated"]
    if unknown:
        return Response.NE, f"non-target: {', '.join(unknown)} not evaluated -> NE"
    if all(s == "absent" for s in states.values()):
        return Response.CR, "non-target: no enhancement left in any non-target lesion -> CR"
    return Response.NON_CR_NON_PD, "non-target: viable non-target tumour persists -> NON-CR/NON-PD"


def _atypical_confirmations(patient: PatientAssessments) -> dict[str, tuple[int, date]]:
    """Atypical intrahepatic nodules (by id) that grew ≥ 10 mm: {id: (first index, date grown)}."""
    first: dict[str, tuple[int, Fraction]] = {}
    confirmed: dict[str, tuple[int, date]] = {}
    for k, visit in enumerate(patient.assessments[1:], start=1):
        for lesion in visit.new_lesions:
            if lesion.id is None or lesion.node or lesion.effusion or lesion.equivocal:
                continue
            if not is_liver(lesion.organ) or lesion.diameter_mm is None:
                continue
            size = _exact(lesion.diameter_mm)
            if lesion.id not in first:
                if size >= NEW_LIVER_LESION_MM and lesion.typical_pattern is not True:
                    first[lesion.id] = (k, size)
            elif lesion.id not in confirmed and size - first[lesion.id][1] >= ATYPICAL_GROWTH_MM:
                confirmed[lesion.id] = (first[lesion.id][0], visit.date)
    return confirmed


def _afp_cr(response: Response, afp: float | None, uln: float, rules: ProtocolRules) -> Response:
    """The protocol's CR-needs-normal-AFP rule applied to a response (CR -> PR)."""
    if rules.afp_normalisation_for_cr and response is Response.CR and (afp is None or afp > uln):
        return Response.PR
    return response


def _recist11_point(
    patient: PatientAssessments,
    k: int,
    n_resp: Response | None,
    sums: list[Fraction],
    rules: ProtocolRules,
) -> tuple[Response, Fraction | None]:
    """The RECIST 1.1 response of follow-up ``k`` (``sums``: complete RECIST sums so far)."""
    from hcctrial.assess.recist11 import measurement, recist11_new_lesion, recist11_target

    base = patient.assessments[0]
    visit = patient.assessments[k]
    targets = list(base.target)
    recorded = {t.id: t for t in visit.target}
    measured = {
        t.id: None if t.id not in recorded else measurement(recorded[t.id], node=bool(t.node))
        for t in targets
    }
    t_resp, total = recist11_target(targets, measured, sums[0], min(sums))
    new = any(recist11_new_lesion(x) for x in visit.new_lesions)
    overall = overall_response(t_resp, n_resp, new)
    if total is not None:
        sums.append(total)
    return _afp_cr(overall, visit.afp_ng_ml, patient.afp_uln_ng_ml, rules), total


def _readings(rules: ProtocolRules, start: date | None) -> tuple[dict[str, Any], ...]:
    """How the rules the paper leaves open were read (issue 13: say so in the output)."""
    out = [
        {
            "rule": "new_tumor_node_pd",
            "reading": "'If there was a new tumor node > 5 mm, this was considered the first "
            "instance of PD' read as a new tumour nodule (not a lymph node, not an effusion, not "
            f"equivocal, typical pattern not denied) with longest diameter > "
            f"{rules.new_nodule_threshold_mm:g} mm (strictly)",
            "interpretation": True,
            "alternative": "'node' as a lymph node (short axis > 5 mm); or mRECIST's own rule "
            "only (a new intrahepatic lesion >= 10 mm with the typical vascular pattern)",
        },
        {
            "rule": "cr_needs_normal_afp",
            "reading": "'CR was defined as a tumor disappearing ... combined with a normalized AFP "
            "level': a radiological CR with AFP above the ULN, or not measured, is reported as PR",
            "interpretation": True,
            "alternative": "report it as SD, or as CR not confirmed until AFP normalises",
        },
        {
            "rule": "sd_minimum_interval",
            "reading": f"SD counts from {rules.min_sd_days} days after "
            + (
                "the start of treatment"
                if start is not None
                else "the baseline scan (no treatment_start given)"
            ),
            "interpretation": False,
            "alternative": None,
        },
    ]
    return tuple(out)


def patient_response(data: Any, rules: ProtocolRules | None = None) -> PatientResponse:
    """Return the mRECIST response of one patient at every follow-up and overall.

    ``data`` is the documented JSON mapping (see :mod:`hcctrial.assess.mrecist_input`) or a
    validated :class:`PatientAssessments`; bad input raises
    :class:`hcctrial.errors.DataValidationError` naming the item.
    """
    rules = rules or ProtocolRules()
    patient = parse_patient(data)
    base = patient.assessments[0]
    targets = list(base.target)
    non_target_ids = [n.id for n in base.non_target]
    baseline_sum: Fraction | None = None
    if targets:
        baseline_sum = sum(
            (_exact(_measure(t) or 0.0) for t in targets),
            Fraction(0),
        )
    uln = patient.afp_uln_ng_ml
    grown = _atypical_confirmations(patient)
    complete_sums: list[Fraction] = [] if baseline_sum is None else [baseline_sum]
    points: list[TimePointResponse] = []
    from hcctrial.assess.recist11 import measurement, recist11_available

    recist = recist11_available(patient)
    recist_sums = (
        [sum((_exact(measurement(t, node=bool(t.node)) or 0.0) for t in targets), Fraction(0))]
        if recist
        else []
    )
    for k, visit in enumerate(patient.assessments[1:], start=1):
        reasons: list[str] = []
        if visit.modality != base.modality:
            reasons.append(f"note: modality {visit.modality} differs from baseline {base.modality}")
        t_resp: Response | None = None
        total: Fraction | None = None
        nadir: Fraction | None = min(complete_sums) if complete_sums else None
        if targets and baseline_sum is not None and nadir is not None:
            recorded = {t.id: t for t in visit.target}
            measured: dict[str, float | None] = {}
            for t in targets:
                now = recorded.get(t.id)
                measured[t.id] = None if now is None else _measure(now, node=bool(t.node))
            t_resp, total, why = _target_response(targets, measured, baseline_sum, nadir)
            reasons += why
        n_resp: Response | None = None
        if non_target_ids:
            n_resp, why_n = _non_target_response(
                non_target_ids, {n.id: n.status for n in visit.non_target}
            )
            reasons.append(why_n)
        new_mrecist = False
        nodule_rule: list[str] = []
        for lesion in visit.new_lesions:
            verdict = new_lesion_verdict(
                lesion, new_nodule_threshold_mm=rules.new_nodule_threshold_mm
            )
            counts = verdict.mrecist
            text = verdict.reason
            if lesion.id is not None and lesion.id in grown and k >= grown[lesion.id][0]:
                counts = True
                text += (
                    f"; grew >= {_fmt(ATYPICAL_GROWTH_MM)} mm by {grown[lesion.id][1].isoformat()}"
                    " -> new lesion, PD dated back to its first appearance"
                )
            new_mrecist = new_mrecist or counts
            reasons.append(text)
            if verdict.protocol_nodule:
                nodule_rule.append(f"{lesion.organ} {_fmt(lesion.diameter_mm or 0.0)} mm")
        mrecist = overall_response(t_resp, n_resp, new_mrecist)
        response = mrecist
        if rules.new_nodule_counts_as_pd and nodule_rule and response is not Response.PD:
            response = Response.PD
            reasons.append(
                f"protocol rule (new tumour node > {_fmt(rules.new_nodule_threshold_mm)} mm is the "
                f"first PD): new nodule {'; '.join(nodule_rule)} -> PD (mRECIST alone: {mrecist.value})"
            )
        if rules.afp_normalisation_for_cr and response is Response.CR:
            afp = visit.afp_ng_ml
            if afp is None:
                response = Response.PR
                reasons.append(
                    "protocol rule (CR needs a normalised AFP): AFP not measured at this "
                    "assessment -> PR"
                )
            elif afp > uln:
                response = Response.PR
                reasons.append(
                    f"protocol rule (CR needs a normalised AFP): AFP {_fmt(afp)} ng/mL > ULN "
                    f"{_fmt(uln)} ng/mL -> PR"
                )
            else:
                reasons.append(f"AFP {_fmt(afp)} ng/mL <= ULN {_fmt(uln)} ng/mL: normalised")
        r11, r11_sum = (
            _recist11_point(patient, k, n_resp, recist_sums, rules) if recist else (None, None)
        )
        from_base = None
        from_nadir = None
        if total is not None and baseline_sum is not None and nadir is not None:
            if baseline_sum > 0:
                from_base = _pct((total - baseline_sum) / baseline_sum)
            if nadir > 0:
                from_nadir = _pct((total - nadir) / nadir)
            complete_sums.append(total)
        points.append(
            TimePointResponse(
                date=visit.date,
                response=response,
                mrecist_response=mrecist,
                target_response=t_resp,
                non_target_response=n_resp,
                new_lesion=new_mrecist,
                sum_mm=_mm(total),
                nadir_mm=_mm(nadir),
                change_from_baseline_pct=from_base,
                change_from_nadir_pct=from_nadir,
                reasons=tuple(reasons),
                recist11_response=r11,
                recist11_sum_mm=_mm(r11_sum),
            )
        )
    pd_dates = [tp.date for tp in points if tp.response is Response.PD]
    start = patient.treatment_start
    reference = start or base.date

    def bor_of(pairs: list[tuple[date, Response]]) -> Any:
        return best_overall_response(
            reference,
            pairs,
            confirmation=rules.confirmation,
            confirm_days=rules.confirm_days,
            min_sd_days=rules.min_sd_days,
        )

    bor = bor_of([(tp.date, tp.response) for tp in points])
    r11_points = [(tp.date, tp.recist11_response) for tp in points if tp.recist11_response]
    r11_bor = bor_of(r11_points).response if recist else None
    return PatientResponse(
        baseline_date=base.date,
        baseline_sum_mm=_mm(baseline_sum),
        time_points=tuple(points),
        best_overall_response=bor.response,
        best_overall_response_date=bor.date,
        first_pd_date=pd_dates[0] if pd_dates else None,
        confirmed_pd_date=pd_dates[1] if len(pd_dates) > 1 else None,
        rules=rules,
        sd_reference_date=reference,
        sd_reference="treatment_start" if start is not None else "baseline scan",
        recist11_best_overall_response=r11_bor,
        readings=_readings(rules, start),
    )


def patient_response_dict(
    data: Mapping[str, Any], rules: ProtocolRules | None = None
) -> dict[str, Any]:
    """Return :func:`patient_response` as a JSON-ready dict."""
    return patient_response(data, rules).to_dict()


__all__ = [
    "DEFAULT_MIN_SD_DAYS",
    "DEFAULT_NEW_NODULE_THRESHOLD_MM",
    "NewLesionVerdict",
    "PatientResponse",
    "ProtocolRules",
    "TimePointResponse",
    "default_min_sd_days",
    "new_lesion_verdict",
    "overall_response",
    "patient_response",
    "patient_response_dict",
]
