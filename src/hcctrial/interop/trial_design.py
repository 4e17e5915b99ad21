"""SDTM trial design domains TE, TA, TV, TI, TS, generated from the regimen file and the plan.

The regimen (``hcctrial.protocol.regimens/*.toml``) gives the elements (screening, up to
``cycle.max_haic_cycles`` TACE-HAIC cycles of ``min_weeks``-``max_weeks``, sorafenib maintenance,
follow-up), the planned visits (screening, cycles, imaging every ``imaging_every_n_cycles``
cycles), the inclusion/exclusion criteria (TI) and the treatments and ages of TS.

The statistical analysis plan's entries of TS (objectives, outcome measures, planned subjects) are
read from the plan file (``analysis/plans/*.toml``, :class:`hcctrial.analysis.schema.Plan`) in ONE
place, :func:`plan_parameters`: the primary objective and outcome measure from ``[primary]`` (its
endpoint, hypothesis, sidedness and alpha), a secondary objective and outcome measure per other
endpoint, response rate and the adverse-event table, and ``PLANSUB`` from ``[design]``
(``n_enrolled``, else the sample size the design gives). CDISC CT's TSPARMCD codelist (C66738)
has no parameter for alpha or power: alpha is stated in the primary objective's text, power stays
in the plan (``hcctrial sap show``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hcctrial.interop.dataset import Dataset
from hcctrial.interop.sdtm_domains import ARMCD, spec_dataset

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.analysis.schema import Plan

__all__ = ["plan_parameters", "ta_domain", "te_domain", "ti_domain", "ts_domain", "tv_domain"]


def _regimen() -> Any:
    from hcctrial.protocol.regimen import default_regimen

    return default_regimen()


def te_domain(study_id: str) -> Dataset:
    """Return TE: screening, one TACE-HAIC cycle, sorafenib maintenance, follow-up."""
    c = _regimen().cycle
    rows = [
        ("SCRN", "Screening", "Informed consent", "Eligibility decided", ""),
        ("CYCLE", "TACE-HAIC (FOLFOX) cycle with sorafenib",
         "First day of TACE-HAIC of the cycle",
         f"{c.min_weeks}-{c.max_weeks} weeks later, at the next cycle, PD, CR or toxicity",
         f"P{c.max_weeks}W"),
        ("MAINT", "Sorafenib maintenance", "TACE-HAIC stopped (CR or last cycle) with sorafenib "
         "continued", "Progression (second PD), intolerable toxicity or death", ""),
        ("FU", "Follow-up", "End of study treatment", "Death or end of study", ""),
    ]
    return spec_dataset("TE", [
        {"STUDYID": study_id, "DOMAIN": "TE", "ETCD": code, "ELEMENT": el, "TESTRL": start,
         "TEENRL": end, "TEDUR": dur}
        for code, el, start, end, dur in rows
    ])


def ta_domain(study_id: str) -> Dataset:
    """Return TA: the single arm, SCRN -> CYCLE x max_haic_cycles -> MAINT -> FU."""
    reg = _regimen()
    n = reg.cycle.max_haic_cycles
    elements = [("SCRN", "Screening", "SCREENING", "", "")]
    for k in range(1, n + 1):
        elements.append(("CYCLE", f"TACE-HAIC cycle {k}", "TREATMENT", "",
                         "If CR: stop TACE-HAIC, go to MAINT; if PD twice or intolerable "
                         "toxicity: go to FU" + ("; after the last cycle: go to MAINT"
                                                  if k == n else "")))
    elements.append(("MAINT", "Sorafenib maintenance", "TREATMENT", "", ""))
    elements.append(("FU", "Follow-up", "FOLLOW-UP", "", ""))
    rows = [
        {"STUDYID": study_id, "DOMAIN": "TA", "ARMCD": ARMCD, "ARM": reg.name,
         "TAETORD": k, "ETCD": code, "ELEMENT": el, "TABRANCH": branch, "TATRANS": trans,
         "EPOCH": epoch}
        for k, (code, el, epoch, branch, trans) in enumerate(elements, start=1)
    ]
    return spec_dataset("TA", rows)


def tv_domain(study_id: str) -> Dataset:
    """Return TV: screening, baseline imaging, each cycle, each planned tumour assessment."""
    reg = _regimen()
    n, every = reg.cycle.max_haic_cycles, reg.schedule.imaging_every_n_cycles
    rows = [(1, "SCREENING", "Before enrolment"), (2, "BASELINE IMAGING", "Before cycle 1")]
    rows += [(100 + k, f"CYCLE {k}", f"Day 1 of cycle {k} (every {reg.cycle.min_weeks}-"
              f"{reg.cycle.max_weeks} weeks)") for k in range(1, n + 1)]
    rows += [(200 + k, f"TUMOUR ASSESSMENT {k}",
              f"After cycle {k * every}" if k * every <= n else
              f"Every {reg.schedule.maintenance_imaging_every_months} months in maintenance")
             for k in range(1, n // every + 2)]
    rows += [(301, "FOLLOW-UP 1", "First follow-up contact (unscheduled contacts: 300 + k)")]
    return spec_dataset("TV", [
        {"STUDYID": study_id, "DOMAIN": "TV", "VISITNUM": num, "VISIT": name, "ARMCD": ARMCD,
         "TVSTRL": rule} for num, name, rule in rows
    ])


def ti_domain(study_id: str) -> Dataset:
    """Return TI: the regimen's inclusion criteria (age, ECOG, Child-Pugh, BCLC, labs) and
    exclusion criteria, with the paper's wording."""
    e = _regimen().eligibility
    rows = [
        ("INCL01", e.diagnosis_quote, "INCLUSION"),
        ("INCL02", e.age_quote, "INCLUSION"),
        ("INCL03", e.ecog_quote, "INCLUSION"),
        ("INCL04", e.child_pugh_quote, "INCLUSION"),
        ("INCL05", e.bclc_quote, "INCLUSION"),
    ]
    rows += [(f"INCL{k:02d}", lab.quote, "INCLUSION") for k, lab in enumerate(e.labs, start=6)]
    rows += [(f"EXCL{k:02d}", x.quote, "EXCLUSION") for k, x in enumerate(e.exclusions, start=1)]
    version = _regimen().version
    return spec_dataset("TI", [
        {"STUDYID": study_id, "DOMAIN": "TI", "IETESTCD": code, "IETEST": text[:200],
         "IECAT": cat, "TIVERS": version} for code, text, cat in rows
    ])


_DIRECTION = {"greater": "above", "less": "below", "two-sided": "different from"}
_SIDES = {"greater": "one-sided", "less": "one-sided", "two-sided": "two-sided"}


def _primary_parameters(plan: Plan) -> list[tuple[str, str]]:
    """OBJPRIM and OUTMSPRI from ``[primary]``: the endpoint, the hypothesis, the test, alpha."""
    pr = plan.primary
    ep = plan.endpoints[pr.endpoint]
    test = f"{_SIDES[pr.alternative]}, alpha {pr.alpha:g}"
    if pr.test == "landmark":
        months, rate = f"{pr.time_months:g}", f"{100 * (pr.null_rate or 0.0):g}%"
        objective = (f"{pr.title}: the {months}-month rate {_DIRECTION[pr.alternative]} {rate} "
                     f"({test})")
        measure = f"Kaplan-Meier {ep.short} rate at {months} months: {ep.definition}"
    else:
        direction = {"greater": "longer than", "less": "shorter than"}.get(
            pr.alternative, "different from")
        objective = (f"{pr.title}: {ep.short} {direction} a historical curve with a median of "
                     f"{pr.null_median_months:g} months (one-sample log-rank test, {test})")
        measure = f"{ep.short}, observed against expected events: {ep.definition}"
    return [("OBJPRIM", objective), ("OUTMSPRI", measure)]


def _planned_subjects(plan: Plan) -> int:
    """The number to enrol the plan states, else the one its design gives."""
    if plan.design.n_enrolled is not None:
        return plan.design.n_enrolled
    from hcctrial.analysis.design import planned_design

    return planned_design(plan).n_enrolled


def plan_parameters(plan: Plan) -> list[tuple[str, str]]:
    """Return the TS parameters that come from the statistical analysis plan: (TSPARMCD, TSVAL).

    The ONE place the plan is read for TS: the primary objective and outcome measure
    (``[primary]``), a secondary objective and outcome measure per other endpoint of
    ``[endpoints]``, per response rate (``[response]``) and for the adverse-event table
    (``[adverse_events]``), and ``PLANSUB`` (``[design]``).
    """
    others = [ep for key, ep in plan.endpoints.items() if key != plan.primary.endpoint]
    resp, ae = plan.response, plan.adverse_events
    safety = f"adverse events by worst CTCAE v{ae.ctcae_version} grade"
    objectives = [ep.label for ep in others]
    objectives += [f"{r.label} ({resp.criteria})" for r in resp.rates.values()]
    objectives.append(f"Safety: {safety}")
    measures = [ep.definition[:1].upper() + ep.definition[1:] for ep in others]
    measures.append(f"Best overall response ({resp.criteria})")
    categories = ", ".join(dict.fromkeys(t.category for t in ae.terms))
    measures.append(f"Worst CTCAE v{ae.ctcae_version} grade per patient in each of the "
                    f"{len(ae.terms)} rows of the adverse-event table ({categories})")
    primary = _primary_parameters(plan)
    return [
        primary[0],
        *(("OBJSEC", text) for text in objectives),
        primary[1],
        *(("OUTMSSEC", text) for text in measures),
        ("PLANSUB", str(_planned_subjects(plan))),
    ]


def ts_domain(study_id: str, actual_subjects: int, plan: Plan) -> Dataset:
    """Return TS: the regimen's and the plan's (:func:`plan_parameters`) trial summary
    parameters."""
    from hcctrial.interop.controlled_terms import CODELISTS, CT_VERSION

    reg = _regimen()
    e = reg.eligibility
    params: list[tuple[str, str, str]] = [
        ("TITLE", reg.name, ""),
        ("TPHASE", "PHASE II TRIAL", "TPHASE"),
        ("TTYPE", "EFFICACY", "TTYPE"),
        ("TTYPE", "SAFETY", "TTYPE"),
        ("STYPE", "INTERVENTIONAL", "STYPE"),
        ("INTMODEL", "SINGLE GROUP", "INTMODEL"),
        ("INTTYPE", "DRUG", "INTTYPE"),
        ("TINDTP", "TREATMENT", "TINDTP"),
        ("TBLIND", "OPEN LABEL", "TBLIND"),
        ("TCNTRL", "NONE", "TCNTRL"),
        ("RANDOM", "N", "NY"),
        ("NARMS", "1", ""),
        ("SEXPOP", "BOTH", "SEXPOP"),
        ("AGEMIN", f"P{e.age_min_years}Y", ""),
        ("AGEMAX", f"P{e.age_max_years}Y", ""),
        ("INDIC", "Hepatocellular carcinoma, BCLC stage " + " or ".join(e.bclc_allowed), ""),
        ("ADDON", "N", "NY"),
        ("SDTIGVER", "3.4", ""),
        ("SDTMVER", "2.0", ""),
        ("ACTSUB", str(actual_subjects), ""),
    ]
    params += [("TRT", d.name.upper(), "") for d in reg.drugs]
    params.append(("TRT", "SORAFENIB", ""))
    params += [("ROUTE", r, "ROUTE") for r in sorted({d.route.upper() for d in reg.drugs}
                                                     | {"ORAL"})]
    params += [(code, value, "") for code, value in plan_parameters(plan)]
    names = _ts_names()
    rows: list[dict[str, Any]] = []
    seq: dict[str, int] = {}
    for code, value, cl in params:
        seq[code] = seq.get(code, 0) + 1
        coded = CODELISTS[cl].terms.get(value, "") if cl else ""
        rows.append({
            "STUDYID": study_id, "DOMAIN": "TS", "TSSEQ": seq[code], "TSPARMCD": code,
            "TSPARM": names[code], "TSVAL": value[:200], "TSVALNF": "",
            "TSVALCD": coded, "TSVCDREF": "CDISC CT" if coded else "",
            "TSVCDVER": CT_VERSION.split()[-1] if coded else "",
        })
    return spec_dataset("TS", rows)


def _ts_names() -> dict[str, str]:
    """TSPARMCD -> TSPARM (CDISC CT C67152, Trial Summary Parameter Test Name)."""
    return {
        "TITLE": "Trial Title", "TPHASE": "Trial Phase Classification", "TTYPE": "Trial Type",
        "STYPE": "Study Type", "INTMODEL": "Intervention Model", "INTTYPE": "Intervention Type",
        "TINDTP": "Trial Intent Type", "TBLIND": "Trial Blinding Schema",
        "TCNTRL": "Control Type", "RANDOM": "Trial is Randomized",
        "NARMS": "Planned Number of Arms", "SEXPOP": "Sex of Participants",
        "AGEMIN": "Planned Minimum Age of Subjects", "AGEMAX": "Planned Maximum Age of Subjects",
        "INDIC": "Trial Disease/Condition Indication", "ADDON": "Added on to Existing Treatments",
        "SDTIGVER": "SDTM IG Version", "SDTMVER": "SDTM Version",
        "ACTSUB": "Actual Number of Subjects", "TRT": "Investigational Therapy or Treatment",
        "ROUTE": "Route of Administration", "OBJPRIM": "Trial Primary Objective",
        "OBJSEC": "Trial Secondary Objective", "OUTMSPRI": "Primary Outcome Measure",
        "OUTMSSEC": "Secondary Outcome Measure", "PLANSUB": "Planned Number of Subjects",
    }
