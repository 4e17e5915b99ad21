"""ADaM (ADaMIG 1.3) datasets built from the SDTM datasets: ADSL, ADTTE, ADRS, ADAE, ADLB.

Traceability: every BDS record names the SDTM record it comes from (``SRCDOM``, ``SRCVAR``,
``SRCSEQ``); ADAE keeps ``AESEQ``. Values are the analysis's own (the same derivations as the
report, :mod:`hcctrial.derive`), so R reading ADTTE reproduces the report's Kaplan-Meier medians and
landmark rates and ADRS's best overall responses give the report's counts:

- **ADSL**: one row per enrolled patient whose records could be derived (the report's analysis set;
  ITTFL = Y), SAFFL = Y when treated; baseline Child-Pugh, ALBI, BCLC, PVI, AFP from the subject row.
- **ADTTE**: PARAMCD ``PFSPAPER`` (PFS as the paper defined it: progression only, deaths censored),
  ``PFS`` (standard: progression or death) and ``OS``; ``AVAL`` in months as the report
  (``ADT - STARTDT`` days / 30.4375, ``AVALU = MONTHS``), ``CNSR`` 0 = event, 1 = censored
  (ADaM convention, the opposite of the report's ``event``), ``EVNTDESC``/``CNSDTDSC`` say why.
- **ADRS**: ``OVR`` (each time point's overall response) and ``BOR`` (best overall response);
  ``AVAL`` ranks responses as admiralonco's ``aval_resp`` (CR 1, PR 2, SD 3, NON-CR/NON-PD 4,
  PD 5, NE 6, ND 7, MISSING 8).
- **ADAE**: AE with numeric dates, ``ATOXGR`` = AETOXGR, ``TRTEMFL`` = onset on/after TRTSDT.
- **ADLB**: LB with ``AVAL`` = LBSTRESN, baseline = the last value before day 0 (LBLOBXFL),
  ``CHG``, ``ATOXGR`` = LBTOXGR, ``ONTRTFL`` for values from day 0 on.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hcctrial.interop.dataset import Dataset
from hcctrial.interop.sdtm_domains import spec_dataset
from hcctrial.interop.snapshot import TrialSnapshot, study_day, usubjid

__all__ = ["ADAM_ORDER", "PARAMCDS", "adam_datasets"]

ADAM_ORDER = ("ADSL", "ADTTE", "ADRS", "ADAE", "ADLB")
#: endpoint code of :mod:`hcctrial.derive.endpoints` -> (PARAMCD, PARAM)
PARAMCDS = {
    "pfs_paper": ("PFSPAPER", "Progression-Free Survival as Defined in the Paper (months)"),
    "pfs": ("PFS", "Progression-Free Survival (months)"),
    "os": ("OS", "Overall Survival (months)"),
}
_RESPONSE_RANK = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "ND": 7,
                  "MISSING": 8}


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _rows(ds: Dataset) -> list[dict[str, Any]]:
    return ds.rows()


def adam_datasets(snap: TrialSnapshot, sdtm: dict[str, Dataset]) -> list[Dataset]:
    """Return ADSL, ADTTE, ADRS, ADAE, ADLB (see the module docstring)."""
    adsl = _adsl(snap, sdtm)
    trt = {r["USUBJID"]: r for r in _rows(adsl)}
    return [adsl, _adtte(snap, sdtm, trt), _adrs(sdtm, trt), _adae(sdtm, trt),
            _adlb(sdtm, trt)]


def _adsl(snap: TrialSnapshot, sdtm: dict[str, Dataset]) -> Dataset:
    dm = {r["USUBJID"]: r for r in _rows(sdtm["DM"])}
    rows = []
    for sid, s in sorted(snap.subjects.items()):
        u = usubjid(snap.study_id, sid)
        d = dm[u]
        treated = bool(d["ACTARMCD"])
        rows.append({
            "STUDYID": snap.study_id, "USUBJID": u, "SUBJID": sid, "SITEID": d["SITEID"],
            "AGE": d["AGE"], "AGEU": d["AGEU"], "SEX": d["SEX"], "RACE": d["RACE"],
            "ARM": d["ARM"], "ARMCD": d["ARMCD"], "ACTARM": d["ACTARM"],
            "ACTARMCD": d["ACTARMCD"], "TRT01P": d["ARM"], "TRT01A": d["ACTARM"],
            "TRTSDT": s.first_treatment_date, "TRTEDT": _day(d["RFXENDTC"]),
            "ITTFL": "Y", "SAFFL": "Y" if treated else "N", "DTHFL": d["DTHFL"],
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


def _adtte(snap: TrialSnapshot, sdtm: dict[str, Dataset],
           adsl: dict[str, dict[str, Any]]) -> Dataset:
    rs = _index(sdtm["RS"], "RSTESTCD", "OVRLRESP", "RSDTC", "RSSEQ")
    ds = _index(sdtm["DS"], "DSDECOD", "DEATH", "DSSTDTC", "DSSEQ")
    rows = []
    for e in snap.endpoints:
        u = usubjid(snap.study_id, e.study_id)
        code, param = PARAMCDS[e.endpoint]
        end = e.end_date.isoformat()
        if e.event and "death" in e.reason:
            src = ("DS", "DSSTDTC", ds.get((u, end)))
        elif e.endpoint != "os" and (u, end) in rs:
            src = ("RS", "RSDTC", rs[(u, end)])
        elif e.end_date == e.start_date and not e.event:
            src = ("ADSL", "TRTSDT", None)
        else:
            src = ("SV", "SVSTDTC", None)
        rows.append({
            "STUDYID": snap.study_id, "USUBJID": u, "PARAMCD": code, "PARAM": param,
            "AVAL": e.months, "AVALU": "MONTHS", "CNSR": 1 - e.event, "STARTDT": e.start_date,
            "ADT": e.end_date, "EVNTDESC": e.reason if e.event else "",
            "CNSDTDSC": "" if e.event else e.reason, "ITTFL": "Y",
            "TRTP": adsl[u]["TRT01P"], "TRTA": adsl[u]["TRT01A"],
            "SRCDOM": src[0], "SRCVAR": src[1], "SRCSEQ": src[2],
        })
    order = {c: k for k, (c, _) in enumerate(PARAMCDS.values())}
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
            "ITTFL": "Y", "TRTP": a["TRT01P"], "TRTA": a["TRT01A"],
            "SRCDOM": "RS", "SRCVAR": "RSSTRESC", "SRCSEQ": r["RSSEQ"],
        })
    return spec_dataset("ADRS", rows)


def _adae(sdtm: dict[str, Dataset], adsl: dict[str, dict[str, Any]]) -> Dataset:
    rows = []
    for r in _rows(sdtm["AE"]):
        if r["USUBJID"] not in adsl:
            continue
        a = adsl[r["USUBJID"]]
        start = _day(r["AESTDTC"])
        rows.append({
            "STUDYID": r["STUDYID"], "USUBJID": r["USUBJID"], "AESEQ": r["AESEQ"],
            "AETERM": r["AETERM"], "AEDECOD": r["AEDECOD"], "AEBODSYS": r["AEBODSYS"],
            "AESER": r["AESER"], "AEREL": r["AEREL"], "ASTDT": start,
            "AENDT": _day(r["AEENDTC"]), "ASTDY": study_day(start, a["TRTSDT"]),
            "ATOXGR": r["AETOXGR"], "ATOXGRN": int(r["AETOXGR"]) if r["AETOXGR"] else None,
            "TRTEMFL": "Y" if start is not None and start >= a["TRTSDT"] else "N",
            "SAFFL": a["SAFFL"], "TRTA": a["TRT01A"],
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

