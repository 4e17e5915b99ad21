"""The case report forms, as a nurse uses them: live results from the engines, errors beside the
field, nothing saved half-way. Expected values are hand calculations from the protocol (comments)."""

from __future__ import annotations

import re
from typing import Any

from tests.web.flows import ELIGIBLE, add_baseline, enrol, post_form


def _count(client: Any, pid: int, key: str) -> int:
    return len(client.get(f"/api/patients/{pid}").json()[key])


def test_screening_preview_shows_each_verdict_live(login: Any) -> None:
    c = login("inv_gz")
    html = post_form(c, "/patients/new/preview", {**ELIGIBLE, "study_id": "GZ-1"}).text
    # examples/patients/eligible_bclc_b.json is eligible: every criterion met
    assert "Eligible" in html
    assert re.search(r'id="criterion-wbc"[^>]*>.*?<td class="verdict">met</td>', html, re.S)
    # Child-Pugh: bilirubin 0.9 mg/dL (1) + albumin 38 g/L = 3.8 g/dL (1) + INR 1.1 (1)
    #   + no ascites (1) + no encephalopathy (1) = 5 -> A5; 3 nodules, largest 6.5 cm, ECOG 0 -> BCLC B
    assert "Child-Pugh A5" in html and "BCLC B" in html


def test_screening_child_pugh_b8_is_a_screen_failure(login: Any) -> None:
    c = login("inv_gz")
    # bilirubin 3.5 mg/dL (>3: 3 points) + albumin 2.9 g/dL (2.8-3.5: 2) + INR 1.1 (1) + none (1)
    # + none (1) = 8 -> B8; the protocol admits Child-Pugh A or B7 only
    form = {
        **ELIGIBLE,
        "study_id": "GZ-F1",
        "lab_bilirubin": "3.5",
        "lab_albumin": "2.9",
        "unit_albumin": "g/dL",
    }
    html = post_form(c, "/patients/new/preview", form).text
    assert "Not eligible" in html and "Child-Pugh B8" in html
    pid = enrol(c, "GZ-F1", lab_bilirubin="3.5", lab_albumin="2.9", unit_albumin="g/dL")
    data = c.get(f"/api/patients/{pid}").json()
    assert data["patient"]["status"] == "screen_failure"
    assert data["patient"]["enrolment_date"] is None
    verdicts = {x["criterion_id"]: x["verdict"] for x in data["criteria"]}
    assert verdicts["child_pugh"] == "not_met"


def test_screening_unit_error_is_shown_beside_the_field_and_nothing_saved(login: Any) -> None:
    c = login("inv_gz")
    # albumin 38 "g/dL" is impossible (the unit layer's range is 0.5-7 g/dL): the field says so
    r = post_form(c, "/patients/new", {**ELIGIBLE, "study_id": "GZ-2", "unit_albumin": "g/dL"})
    assert r.status_code == 422
    assert 'id="error-lab_albumin"' in r.text
    assert c.get("/api/patients").json() == []


def test_screening_with_missing_values_cannot_enrol(login: Any) -> None:
    c = login("inv_gz")
    form = {k: v for k, v in ELIGIBLE.items() if k != "lab_lvef"}
    r = post_form(c, "/patients/new", {**form, "study_id": "GZ-3"})
    assert r.status_code == 422 and "SCREEN-UNDECIDED" in r.text
    assert "cannot be decided yet" in r.text and "lvef" in r.text
    assert c.get("/api/patients").json() == []


def test_screening_saves_patient_criteria_and_labs_with_units(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-4")
    data = c.get(f"/api/patients/{pid}").json()
    assert data["patient"]["status"] == "enrolled"
    assert data["patient"]["enrolment_date"] == "2026-01-05"
    assert data["screening"]["eligible"] is True
    albumin = next(x for x in data["labs"] if x["analyte"] == "albumin")
    # 38 g/L as typed; canonical 3.8 g/dL (10 g/L per g/dL)
    assert (albumin["value_entered"], albumin["unit_entered"]) == (38.0, "g/L")
    assert abs(albumin["canonical_value"] - 3.8) < 1e-12


def test_lab_preview_shows_the_ctcae_grade(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-5")
    # CTCAE v4.03 platelet count decreased: grade 3 is <50 - 25 x10^9/L; 40 is in it
    html = post_form(
        c,
        f"/patients/{pid}/labs/preview",
        {
            "sample_date": "2026-01-20",
            "analyte": "platelets",
            "value_entered": "40",
            "unit_entered": "x10^9/L",
            "lln": "150",
            "uln": "400",
        },
    ).text
    assert "Platelet count decreased: grade 3" in html
    # grade 1 is <LLN - 75 x10^9/L: 100 with LLN 150
    html = post_form(
        c,
        f"/patients/{pid}/labs/preview",
        {
            "sample_date": "2026-01-20",
            "analyte": "platelets",
            "value_entered": "100",
            "unit_entered": "x10^9/L",
            "lln": "150",
        },
    ).text
    assert "Platelet count decreased: grade 1" in html


def test_lab_with_a_unit_that_does_not_fit_is_refused_beside_the_unit(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-6")
    before = _count(c, pid, "labs")
    r = post_form(
        c,
        f"/patients/{pid}/labs/new",
        {
            "sample_date": "2026-01-20",
            "analyte": "platelets",
            "value_entered": "40",
            "unit_entered": "mg/dL",
        },
    )
    assert r.status_code == 422 and 'id="error-unit_entered"' in r.text
    assert _count(c, pid, "labs") == before


def test_required_field_missing_is_named_in_plain_words(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-7")
    r = post_form(
        c,
        f"/patients/{pid}/adverse_events/new",
        {
            "term": "Fatigue",
            "grade": "7",
            "onset_date": "",
            "attribution": "possible",
            "serious": "false",
        },
    )
    assert r.status_code == 422
    assert re.search(r'id="error-grade">[^<]*between 1 and 5', r.text)
    assert re.search(r'id="error-onset_date">This is required', r.text)
    assert _count(c, pid, "adverse_events") == 0


def test_cycle_form_shows_the_dose_sheet_and_saves_planned_doses(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-8")
    add_baseline(c, pid)
    html = c.get(f"/patients/{pid}/cycles/new").text
    # BSA (Mosteller) = sqrt(170 cm x 65 kg / 3600) = sqrt(3.0694) = 1.752 -> 1.75 m^2
    assert "BSA 1.75 m²" in html
    # oxaliplatin 75 mg/m^2 (Child-Pugh A) x 1.75 = 131.25 -> 131 mg (rounded to 1 mg)
    assert re.search(r'id="dose-oxaliplatin">131 mg', html)
    # sorafenib starting dose: 200 mg twice daily = 400 mg/day
    assert re.search(r'id="dose-sorafenib">400 mg/day', html)
    r = post_form(
        c,
        f"/patients/{pid}/cycles/new",
        {
            "cycle_date": "2026-01-12",
            "haic_level": "0",
            "sorafenib_level": "start",
            "given_oxaliplatin": "130",
        },
    )
    assert r.status_code == 303, r.text[:3000]
    data = c.get(f"/api/patients/{pid}").json()
    assert data["patient"]["status"] == "on_treatment"
    (cycle,) = data["cycles"]
    assert cycle["cycle_number"] == 1 and cycle["sorafenib_daily_mg"] == 400.0
    oxa = next(d for d in data["doses"] if d["drug"] == "oxaliplatin")
    assert (oxa["planned_mg"], oxa["given_mg"]) == (131.0, 130.0)
    # HAIC level -1 (regimen file: factor 0.8): 75 x 0.8 x 1.75 = 105 mg; sorafenib level 0 is
    # 400 mg twice daily = 800 mg/day
    html = post_form(
        c, f"/patients/{pid}/cycles/preview", {"haic_level": "-1", "sorafenib_level": "0"}
    ).text
    assert re.search(r'id="dose-oxaliplatin">105 mg', html)
    assert re.search(r'id="dose-sorafenib">800 mg/day', html)


def test_cycle_without_baseline_explains_what_is_missing(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-9")
    html = c.get(f"/patients/{pid}/cycles/new").text
    assert "Record the baseline (height and weight) first" in html
    r = post_form(c, f"/patients/{pid}/cycles/new", {"cycle_date": "2026-01-12", "haic_level": "0"})
    assert r.status_code == 422 and _count(c, pid, "cycles") == 0


def _scan(day: str, t1: str, t2: str, afp: str = "") -> dict[str, str]:
    return {
        "assessment_date": day,
        "modality": "mri",
        "afp_ng_ml": afp,
        "lesion_id_0": "T1",
        "kind_0": "target",
        "organ_0": "liver",
        "diameter_mm_0": t1,
        "lesion_id_1": "T2",
        "kind_1": "target",
        "organ_1": "liver",
        "diameter_mm_1": t2,
    }


def test_imaging_shows_the_mrecist_response_of_the_time_point(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-10")
    add_baseline(c, pid)
    r = post_form(c, f"/patients/{pid}/imaging/new", _scan("2026-01-06", "52", "31", "850"))
    assert r.status_code == 303, r.text[:3000]
    # baseline sum 52 + 31 = 83 mm; follow-up 30 + 20 = 50 mm: (50 - 83) / 83 = -39.8 %,
    # a decrease of at least 30 % -> PR (mRECIST)
    html = post_form(c, f"/patients/{pid}/imaging/preview", _scan("2026-02-20", "30", "20")).text
    assert re.search(r'id="mrecist-response">Response: <strong>PR</strong>', html)
    # 60 + 40 = 100 mm: +20.5 % from the nadir 83 -> PD (increase of at least 20 %)
    html = post_form(c, f"/patients/{pid}/imaging/preview", _scan("2026-02-20", "60", "40")).text
    assert re.search(r"Response: <strong>PD</strong>", html)
    r = post_form(c, f"/patients/{pid}/imaging/new", _scan("2026-02-20", "30", "20", "15"))
    assert r.status_code == 303
    assert "mRECIST: PR" in c.get(f"/patients/{pid}").text


def test_patient_page_shows_the_next_step_with_its_reasons(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-11")
    add_baseline(c, pid)
    html = c.get(f"/patients/{pid}").text
    # the screening labs have no ALT, AST or limits of normal, and no pre-cycle examination (ECOG,
    # weight) is recorded: the engine holds cycle 1 and says why (issue 13: fail closed; the
    # forms for the pre-cycle labs and examination come with the services issue)
    assert re.search(r'id="action">Delay cycle 1: do not give it yet<', html)
    nxt = c.get(f"/api/patients/{pid}/next-step").json()
    assert nxt["decision"]["action"] == "delay_cycle"
    assert nxt["decision"]["cycle_number"] == 1
    rules = {r["rule"] for r in nxt["decision"]["reasons"]}
    assert {"pre_cycle_alt", "pre_cycle_ast", "pre_cycle_ecog"} <= rules


def test_changing_a_saved_record_asks_for_a_reason_and_is_audited(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-12")
    lab = next(x for x in c.get(f"/api/patients/{pid}").json()["labs"] if x["analyte"] == "wbc")
    url = f"/records/labs/{lab['id']}/edit"
    assert c.get(url).status_code == 200
    form = {
        "sample_date": "2026-01-05",
        "analyte": "wbc",
        "value_entered": "5.4",
        "unit_entered": "x10^9/L",
        "lln": "",
        "uln": "",
        "version": str(lab["version"]),
    }
    r = post_form(c, url, {**form, "reason": ""})
    assert r.status_code == 422 and 'id="error-reason"' in r.text
    r = post_form(c, url, {**form, "reason": "transcription error"})
    assert r.status_code == 303
    trail = login("monitor").get(f"/api/patients/{pid}/audit").json()
    last = trail[-1]
    assert (last["action"], last["reason"], last["actor"]) == (
        "update",
        "transcription error",
        "inv_gz",
    )
    assert {"field": "value_entered", "old": 5.2, "new": 5.4} in last["changes"]
    # the same stale version again: someone else's change is never overwritten
    r = post_form(c, url, {**form, "value_entered": "5.6", "reason": "again"})
    assert r.status_code == 409 and "changed by someone else" in r.text


def test_audit_page_lists_the_patients_changes_for_the_monitor(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-13")
    html = login("monitor").get(f"/patients/{pid}/audit").text
    assert "entered via web form" in html and "inv_gz" in html and "patients" in html


def test_end_treatment_from_the_patient_page_needs_a_reason_and_moves_the_state(
    login: Any,
) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-E1")
    add_baseline(c, pid)
    cycle = {"cycle_date": "2026-01-12", "haic_level": "0", "sorafenib_level": "start"}
    assert post_form(c, f"/patients/{pid}/cycles/new", cycle).status_code == 303
    assert 'id="end-treatment-form"' in c.get(f"/patients/{pid}").text  # on treatment
    r = post_form(c, f"/patients/{pid}/end-treatment", {"reason": ""})
    assert r.status_code == 422 and "REASON-REQUIRED" in r.text
    r = post_form(c, f"/patients/{pid}/end-treatment", {"reason": "8 cycles given"})
    assert r.status_code == 303
    assert c.get(f"/api/patients/{pid}").json()["patient"]["status"] == "off_treatment"
    # treatment has ended: ending it again, or starting a cycle, is a state conflict
    r = post_form(c, f"/patients/{pid}/end-treatment", {"reason": "again"})
    assert r.status_code == 409 and "STATE-TRANSITION" in r.text
    r = post_form(c, f"/patients/{pid}/cycles/new", {**cycle, "cycle_date": "2026-02-20"})
    assert r.status_code == 409 and "STATE-TRANSITION" in r.text
