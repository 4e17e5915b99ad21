"""Pages besides the next step in words (issue 19, deliverable 6), found by walking every page
in Chromium as a nurse, a monitor and a data manager: the timeline's lab rows, the audit trail
(records, actions and fields by name; the column stays in a ``title``), a refusal's words, and a
dose sheet's numbers. Expected words written out by hand from the forms' labels.
"""

from __future__ import annotations

import html
import re
from typing import Any

from tests.web.flows import add_baseline, enrol, post_form


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_timeline_names_the_analyte_in_words(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-P1")
    timeline = _text(c.get(f"/patients/{pid}").text.split('id="timeline"', 1)[1])
    # the screening labs of tests/web/flows.py: wbc 5.2 x10^9/L, anc 3100 /uL, INR 1.1 (unit 1)
    assert "White blood cells 5.2 x10^9/L" in timeline
    assert "Neutrophils (ANC) 3100 /uL" in timeline
    assert "INR 1.1 " in timeline and "INR 1.1 1 " not in timeline
    assert "wbc 5.2" not in timeline and "anc 3100" not in timeline


def test_audit_trail_names_records_actions_and_fields(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-P2")
    lab = next(x for x in c.get(f"/api/patients/{pid}").json()["labs"] if x["analyte"] == "wbc")
    form = {
        "sample_date": "2026-01-05",
        "analyte": "wbc",
        "value_entered": "5.4",
        "unit_entered": "x10^9/L",
        "lln": "",
        "uln": "",
        "version": str(lab["version"]),
        "reason": "transcription error",
    }
    assert post_form(c, f"/records/labs/{lab['id']}/edit", form).status_code == 303
    for url in (f"/patients/{pid}/audit", "/audit"):
        page = login("monitor").get(url).text
        text = _text(page)
        assert f"Lab result {lab['id']} changed transcription error" in text
        assert "Value: 5.2 → 5.4" in text
        assert 'title="value_entered"' in page  # the column, for the data manager
        assert "Eligible: yes" in text  # the screening's stored True
        assert not re.search(r"\b(lab_results|value_entered|screening_criteria)\b", text), url


def test_a_date_in_the_future_is_refused_in_words(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-P3")
    add_baseline(c, pid)
    r = post_form(
        c, f"/patients/{pid}/followups/new", {"contact_date": "2027-01-01", "vital_status": "alive"}
    )
    assert r.status_code == 422
    text = _text(r.text)
    # the tests' today is 2026-03-02; the settings allow one day for time zones
    assert (
        "You entered 2027-01-01; it should be a date on or before 2026-03-03 (a date cannot lie "
        "in the future) [DATE-FUTURE]" in text
    )
    assert "followups.contact_date" not in text and "got 2027" not in text


def test_dose_sheet_numbers_are_never_in_exponent_notation(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-P4")
    add_baseline(c, pid)
    page = c.get(f"/patients/{pid}/cycles/new").text
    # fluorouracil 1500 mg/m² of the seed regimen (BSA 1.75 m²: 2625 mg)
    assert re.search(r'id="dose-fluorouracil">2625 mg <small>\(1500 mg/m²\)', page)
    assert "e+0" not in page
    assert "sorafenib starting dose" in page and "sorafenib level start" not in page


def test_dashboard_names_the_analysis_plan_without_the_server_path(login: Any) -> None:
    page = login("stat").get("/dashboard").text
    plan = re.search(r'<p id="plan">(.*?)</p>', page, re.S)
    assert plan is not None
    assert "<code>sorafenib_tace_haic_folfox.toml</code>" in plan.group(1)
    assert "/" not in re.sub(r"<[^>]+>", "", plan.group(1))
