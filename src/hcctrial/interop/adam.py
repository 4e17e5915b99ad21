"""ADaM (ADaMIG 1.3) datasets built from the SDTM datasets: ADSL, ADTTE, ADRS, ADAE, ADLB.

Traceability: every BDS record names the SDTM record it comes from (``SRCDOM``, ``SRCVAR``,
``SRCSEQ``); ADAE keeps ``AESEQ``. Values are the analysis's own (the same derivations as
``hcctrial analyze``, :mod:`hcctrial.derive`, as the statistical analysis plan defines them), so R
reading ADTTE reproduces the analysis's Kaplan-Meier medians and landmark rates and ADRS's best
overall responses give its counts:

- **ADSL**: one row per enrolled patient whose records could be derived (the analysis set);
  ``ITTFL``, ``SAFFL``, ``PPROTFL`` = membership of the plan's populations ``itt``, ``safety``,
  ``per_protocol`` by the analysis's own rules (empty when the plan defines no such population);
  baseline Child-Pugh, ALBI, BCLC, PVI, AFP from the subject row.
- **ADTTE**: one parameter per Kaplan-Meier endpoint of the plan (:func:`adtte_parameters`; the
  seed plan's ``PFSPAPER`` = PFS as the paper defined it, ``PFS``, ``OS``, ``TTP``, ``DOR``,
  ``TTF``), one record per patient of the endpoint's population who has a row; ``AVAL`` in the
  plan's months (``ADT - STARTDT`` days / days per month, ``AVALU = MONTHS``), ``CNSR`` 0 = event,
  1 = censored (ADaM convention, the opposite of the analysis's ``event``),
  ``EVNTDESC``/``CNSDTDSC`` say why. A cumulative-incidence endpoint (a competing event) is not a
  parameter: ADTTE's ``CNSR`` has no value for a competing event, and Kaplan-Meier on it would treat
  the competing event as censoring -- its rows are in the ``endpoints`` dataset (status 2).
- **ADRS**: ``OVR`` (each time point's overall response) and ``BOR`` (best overall response);
  ``AVAL`` ranks responses as admiralonco's ``aval_resp`` (CR 1, PR 2, SD 3, NON-CR/NON-PD 4,
  PD 5, NE 6, ND 7, MISSING 8).
- **ADAE**: AE with numeric dates, ``ATOXGR`` = AETOXGR, ``TRTEMFL`` = onset on/after TRTSDT;
  ``AETBLROW``/``AETBLCAT`` = the row (label, category) of the plan's adverse-event table whose
  clinical terms list the AE's CTCAE term (empty when none does), so that the worst grade per
  patient and row is the table's.
- **ADLB**: LB with ``AVAL`` = LBSTRESN, baseline = the last value before day 0 (LBLOBXFL),
  ``CHG``, ``ATOXGR`` = LBTOXGR, ``ONTRTFL`` for values from day 0 on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from hcctrial.interop.dataset import Dataset, short_name
from hcctrial.interop.sdtm_domains import spec_dataset
from hcctrial.interop.snapshot import TrialSnapshot, study_day, usubjid

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.analysis.schema import Plan
    from hcctrial.derive.endpoints import EndpointRow

__all__ = ["ADAM_ORDER", "POPULATION_FLAGS", "adam_datasets", "adtte_parameters", "paramcd"]

ADAM_ORDER = ("ADSL", "ADTTE", "ADRS", "ADAE", "ADLB")
#: ADSL population flag -> the plan's population key it flags
POPULATION_FLAGS = {"ITTFL": "itt", "SAFFL": "safety", "PPROTFL": "per_protocol"}
_RESPONSE_RANK = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "ND": 7,
                  "MISSING": 8}


def paramcd(key: str) -> str:
    """Return the PARAMCD of endpoint ``key``: its letters and digits upper-cased when they fit
    in 8 characters (``pfs_paper`` -> ``PFSPAPER``, ``os`` -> ``OS``), else its short name
    (:func:`hcctrial.interop.dataset.short_name`)."""
    compact = re.sub(r"[^A-Z0-9]", "", key.upper())
    if 0 < len(compact) <= 8 and compact[0].isalpha():
        return compact
    return short_name(key, 8, upper=True)


def adtte_parameters(plan: Plan) -> dict[str, tuple[str, str]]:
    """Return endpoint key -> (PARAMCD, PARAM) of every Kaplan-Meier endpoint of ``plan``, in the
    plan's order (PARAM = the endpoint's label and the time unit)."""
    out: dict[str, tuple[str, str]] = {}
    unit = plan.conventions.time.unit
    for key, ep in plan.endpoints.items():
        if ep.estimator != "kaplan-meier":
            continue
        code, k = paramcd(key), 1
        while code in {c for c, _ in out.values()}:
            k += 1
            code = paramcd(key)[: 8 - len(str(k))] + str(k)
        out[key] = (code, f"{ep.label}, {unit}")
    return out


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _rows(ds: Dataset) -> list[dict[str, Any]]:
    return ds.rows()


def adam_datasets(snap: TrialSnapshot, sdtm: dict[str, Dataset]) -> list[Dataset]:
    """Return ADSL, ADTTE, ADRS, ADAE, ADLB (see the module docstring)."""
    adsl = _adsl(snap, sdtm)
    trt = {r["USUBJID"]: r for r in _rows(adsl)}
    return [adsl, _adtte(snap, sdtm, trt), _adrs(sdtm, trt),
            _adae(sdtm, trt, snap.plan.plan), _adlb(sdtm, trt)]


def _adsl(snap: TrialSnapshot, sdtm: dict[str, Dataset]) -> Dataset:
    dm = {r["USUBJID"]: r for r in _rows(sdtm["DM"])}
    defined = snap.plan.plan.populations

    def flags(sid: str) -> dict[str, str]:
        return {flag: "" if key not in defined else "Y" if sid in snap.population(key) else "N"
                for flag, key in POPULATION_FLAGS.items()}

    rows = []
    for sid, s in sorted(snap.subjects.items()):
        u = usubjid(snap.study_id, sid)
        d = dm[u]
        rows.append({
            "STUDYID": snap.study_id, "USUBJID": u, "SUBJID": sid, "SITEID": d["SITEID"],
            "AGE": d["AGE"], "AGEU": d["AGEU"], "SEX": d["SEX"], "RACE": d["RACE"],
            "ARM": d["ARM"], "ARMCD": d["ARMCD"], "ACTARM": d["ACTARM"],
            "ACTARMCD": d["ACTARMCD"], "TRT01P": d["ARM"], "TRT01A": d["ACTARM"],
            "TRTSDT": s.first_treatment_date, "TRTEDT": _day(d["RFXENDTC"]),
            **flags(sid), "DTHFL": d["DTHFL"],
            "DTHDT": _day(d["DTHDTC"]), "LSTALVDT": _day(d["RFENDTC"]) if not d["DTHDTC"]
            else _day(d["DTHDTC"]),
            "ECOGBL": s.ecog, "CPCLASBL": s.child_pugh_class, "CPSCORBL": s.child_pugh_score,
            "ALBIGRBL": s.albi_grade, "BCLCBL": s.bclc_stage,
            "PVIFL": "Y" if s.portal_vein_invasion else "N", "IMGMOD": s.imaging_modality,
            "AFPBL": s.afp_baseline_ng_ml, "NCYCLES": s.n_cycles,
        })
    return spec_dataset("ADSL", rows)


def _index(ds: Dataset, code_var: str | None, code: str | None, date_var: str,
           seq_var: str) -> dict[tuple[str, str], int]:
    """Return (USUBJID, date) -> SEQ of the first record of ``code`` on that date."""
    out: dict[tuple[str, str], int] = {}
    for r in _rows(ds):
        if code_var is not None and r[code_var] != code:
            continue
        key = (r["USUBJID"], r[date_var])
        if key not in out or r[seq_var] < out[key]:
            out[key] = int(r[seq_var])
    return out


def _event_kinds(snap: TrialSnapshot) -> Callable[[EndpointRow, list[str]], str]:
    """Return a function telling which of an endpoint's ``events`` ended an event row (the first
    listed on its end date, as :func:`hcctrial.derive.endpoints.endpoint_row` chooses it)."""
    from hcctrial.derive.endpoints import EventDates, event_dates

    by_id = {r.study_id: r for r in snap.records}
    seen: dict[str, EventDates] = {}

    def kind(e: EndpointRow, events: list[str]) -> str:
        if e.study_id not in seen:
            seen[e.study_id] = event_dates(by_id[e.study_id], snap.subjects[e.study_id])
        return next(k for k in events if getattr(seen[e.study_id], k) == e.end_date)

    return kind


def _adtte(snap: TrialSnapshot, sdtm: dict[str, Dataset],
           adsl: dict[str, dict[str, Any]]) -> Dataset:
    plan = snap.plan.plan
    params = adtte_parameters(plan)
    rs = _index(sdtm["RS"], "RSTESTCD", "OVRLRESP", "RSDTC", "RSSEQ")
    ds = {code: _index(sdtm["DS"], "DSDECOD", code, "DSSTDTC", "DSSEQ")
          for code in {str(r["DSDECOD"]) for r in _rows(sdtm["DS"])}}
    unit = plan.conventions.time.unit.upper()
    event_kind = _event_kinds(snap)
    rows = []
    for e in snap.endpoints:
        if e.endpoint not in params:
            continue
        ep = plan.endpoints[e.endpoint]
        if e.study_id not in snap.population(ep.population):
            continue
        u = usubjid(snap.study_id, e.study_id)
        code, param = params[e.endpoint]
        end = e.end_date.isoformat()
        src: tuple[str, str, int | None]
        if e.event:
            kind = event_kind(e, list(ep.events))
            if kind == "progression":
                src = ("RS", "RSDTC", rs.get((u, end)))
            else:  # death or withdrawal: the DS record of that date
                seqs = [ix[(u, end)] for c, ix in ds.items() if (u, end) in ix
                        and (c == "DEATH") == (kind == "death")]
                src = ("DS", "DSSTDTC", min(seqs) if seqs else None)
        elif ep.censor_at == "last_adequate_assessment" and (u, end) in rs:
            src = ("RS", "RSDTC", rs[(u, end)])
        elif e.end_date == adsl[u]["TRTSDT"]:
            src = ("ADSL", "TRTSDT", None)
        else:
            src = ("SV", "SVSTDTC", None)
        rows.append({
            "STUDYID": snap.study_id, "USUBJID": u, "PARAMCD": code, "PARAM": param,
            "AVAL": e.months, "AVALU": unit, "CNSR": 1 - e.event, "STARTDT": e.start_date,
            "ADT": e.end_date, "EVNTDESC": e.reason if e.event else "",
            "CNSDTDSC": "" if e.event else e.reason, "ITTFL": adsl[u]["ITTFL"],
            "TRTP": adsl[u]["TRT01P"], "TRTA": adsl[u]["TRT01A"],
            "SRCDOM": src[0], "SRCVAR": src[1], "SRCSEQ": src[2],
        })
    order = {c: k for k, (c, _) in enumerate(params.values())}
    rows.sort(key=lambda r: (r["USUBJID"], order[r["PARAMCD"]]))
    return spec_dataset("ADTTE", rows)


def _adrs(sdtm: dict[str, Dataset], adsl: dict[str, dict[str, Any]]) -> Dataset:
    rows = []
    for r in _rows(sdtm["RS"]):
        if r["RSTESTCD"] not in ("OVRLRESP", "BESTRESP") or r["USUBJID"] not in adsl:
            continue
        bor = r["RSTESTCD"] == "BESTRESP"
        a = adsl[r["USUBJID"]]
        adt = _day(r["RSDTC"])
        rows.append({
            "STUDYID": r["STUDYID"], "USUBJID": r["USUBJID"],
            "PARAMCD": "BOR" if bor else "OVR",
            "PARAM": "Best Overall Response (mRECIST)" if bor else
            "Overall Response by Investigator (mRECIST)",
            "AVALC": r["RSSTRESC"], "AVAL": _RESPONSE_RANK.get(r["RSSTRESC"]),
            "ADT": adt, "ADY": study_day(adt, a["TRTSDT"]),
            "AVISIT": "" if bor else r["VISIT"], "AVISITN": None if bor else r["VISITNUM"],
            "ITTFL": a["ITTFL"], "TRTP": a["TRT01P"], "TRTA": a["TRT01A"],
            "SRCDOM": "RS", "SRCVAR": "RSSTRESC", "SRCSEQ": r["RSSEQ"],
        })
    return spec_dataset("ADRS", rows)


def _adae(sdtm: dict[str, Dataset], adsl: dict[str, dict[str, Any]], plan: Plan) -> Dataset:
    table = {term: (row.label, row.category) for row in reversed(plan.adverse_events.terms)
             for term in row.clinical_terms}  # reversed: the first row listing a term wins
    rows = []
    for r in _rows(sdtm["AE"]):
        if r["USUBJID"] not in adsl:
            continue
        a = adsl[r["USUBJID"]]
        start = _day(r["AESTDTC"])
        label, category = table.get(r["AEDECOD"], ("", ""))
        rows.append({
            "STUDYID": r["STUDYID"], "USUBJID": r["USUBJID"], "AESEQ": r["AESEQ"],
            "AETERM": r["AETERM"], "AEDECOD": r["AEDECOD"], "AEBODSYS": r["AEBODSYS"],
            "AESER": r["AESER"], "AEREL": r["AEREL"], "ASTDT": start,
            "AENDT": _day(r["AEENDTC"]), "ASTDY": study_day(start, a["TRTSDT"]),
            "ATOXGR": r["AETOXGR"], "ATOXGRN": int(r["AETOXGR"]) if r["AETOXGR"] else None,
            "TRTEMFL": "Y" if start is not None and start >= a["TRTSDT"] else "N",
            "AETBLROW": label, "AETBLCAT": category, "SAFFL": a["SAFFL"], "TRTA": a["TRT01A"],
        })
    return spec_dataset("ADAE", rows)


def _adlb(sdtm: dict[str, Dataset], adsl: dict[str, dict[str, Any]]) -> Dataset:
    lb = [r for r in _rows(sdtm["LB"]) if r["USUBJID"] in adsl]
    base: dict[tuple[str, str], float] = {}
    for r in lb:
        if r["LBLOBXFL"] == "Y":
            base[(r["USUBJID"], r["LBTESTCD"])] = r["LBSTRESN"]
    rows = []
    for r in lb:
        a = adsl[r["USUBJID"]]
        adt = _day(r["LBDTC"])
        b = base.get((r["USUBJID"], r["LBTESTCD"]))
        on = adt is not None and adt >= a["TRTSDT"]
        unit = f" ({r['LBSTRESU']})" if r["LBSTRESU"] else ""
        rows.append({
            "STUDYID": r["STUDYID"], "USUBJID": r["USUBJID"], "PARAMCD": r["LBTESTCD"],
            "PARAM": f"{r['LBTEST']}{unit}", "PARCAT1": r["LBCAT"], "AVAL": r["LBSTRESN"],
            "ADT": adt, "ADY": study_day(adt, a["TRTSDT"]),
            "ABLFL": "Y" if r["LBLOBXFL"] == "Y" else "", "BASE": b,
            "CHG": None if b is None or not on else r["LBSTRESN"] - b,
            "ANRLO": r["LBSTNRLO"], "ANRHI": r["LBSTNRHI"], "ANRIND": r["LBNRIND"],
            "ATOXGR": r["LBTOXGR"], "ATOXGRN": int(r["LBTOXGR"]) if r["LBTOXGR"] else None,
            "ONTRTFL": "Y" if on else "", "TRTA": a["TRT01A"],
            "SRCDOM": "LB", "SRCVAR": "LBSTRESN", "SRCSEQ": r["LBSEQ"],
        })
    rows.sort(key=lambda r: (r["USUBJID"], r["PARAMCD"], r["ADT"] or date.min, r["SRCSEQ"]))
    return spec_dataset("ADLB", rows)

