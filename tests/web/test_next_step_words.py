"""The patient page's "Next step" in words a nurse reads (issue 19, deliverable 6): for patients
in different states -- due for cycle 1, cycle 2 held for a grade-3 platelet count, dead -- the
section shows sentences and rule names, with no snake_case code, record path (``labs[3]``) or
Python repr; the rule ids stay in each rule's ``title`` for investigators who cite them.

Expected sentences are written out by hand from the seed regimen: cycle 1 at full dose (HAIC
level 0) when the pre-cycle labs and examination are in the 7-day window; platelets 40 x10^9/L
(LLN 150) is CTCAE grade 3 (<50 - 25 x10^9/L), which the myelosuppression rule holds until
grade <= 1; a death stops everything.
"""

from __future__ import annotations

import html
import re
from typing import Any

from tests.web.flows import add_baseline, enrol, post_form

SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
PATH = re.compile(r"\b[a-z_]+\[\d+\]|\b[a-z]+\.[a-z_]+\b")
REPR = re.compile(r"\{'|'\w+':")

#: Pre-cycle labs inside the 7-day window before the tests' today (2026-03-02), with the limits
#: of normal CTCAE needs to grade them (all grade 0).
PRE_CYCLE_LABS = [
    ("anc", "3.1", "x10^9/L", "1.8", "7.5"),
    ("platelets", "200", "x10^9/L", "150", "400"),
    ("alt", "30", "U/L", "", "40"),
    ("ast", "30", "U/L", "", "40"),
    ("bilirubin", "0.9", "mg/dL", "", "1.2"),
    ("albumin", "38", "g/L", "35", ""),
    ("inr", "1.1", "1", "", "1.2"),
    ("creatinine", "80", "umol/L", "", "110"),
]


def _lab(
    client: Any, pid: int, day: str, analyte: str, value: str, unit: str, lln: str, uln: str
) -> None:
    form = {
        "sample_date": day,
        "analyte": analyte,
        "value_entered": value,
        "unit_entered": unit,
        "lln": lln,
        "uln": uln,
    }
    r = post_form(client, f"/patients/{pid}/labs/new", form)
    assert r.status_code == 303, r.text[:2000]


def _next_step(client: Any, pid: int) -> tuple[str, str]:
    """(the section's HTML, its visible text) of the patient page."""
    page = client.get(f"/patients/{pid}").text
    m = re.search(r'<section class="decision" id="next-step">(.*?)</section>', page, re.S)
    assert m is not None
    section = m.group(1)
    text = html.unescape(re.sub(r"<[^>]+>", " ", section))
    return section, " ".join(text.split()).replace(" :", ":")


def _assert_in_words(text: str) -> None:
    assert not SNAKE.findall(text), SNAKE.findall(text)
    assert not PATH.findall(text), PATH.findall(text)
    assert not REPR.findall(text), text


def _on_cycle_1(client: Any, study_id: str) -> int:
    """A new patient with a baseline and cycle 1 on 2026-01-12 (sorafenib at its starting dose);
    return the patient's id."""
    pid = enrol(client, study_id)
    add_baseline(client, pid)
    cycle = {"cycle_date": "2026-01-12", "haic_level": "0", "sorafenib_level": "start"}
    assert post_form(client, f"/patients/{pid}/cycles/new", cycle).status_code == 303
    return pid


def test_patient_due_for_cycle_1_reads_in_words(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-W1")
    add_baseline(c, pid)
    for analyte, value, unit, lln, uln in PRE_CYCLE_LABS:
        _lab(c, pid, "2026-02-27", analyte, value, unit, lln, uln)
    exam = {"exam_date": "2026-02-27", "ecog": "0", "weight_kg": "65"}
    assert post_form(c, f"/patients/{pid}/exams/new", exam).status_code == 303
    section, text = _next_step(c, pid)
    assert 'id="action">Give cycle 1 at full dose<' in section
    assert "Give TACE-HAIC cycle 1 at full dose (Child-Pugh A5)" in text
    assert "Start sorafenib at 400 mg/day" in text
    assert "Ready for the next cycle: Cycle 1: pre-cycle labs adequate, Child-Pugh A5" in text
    assert 'title="Protocol rule give_cycle"' in section
    _assert_in_words(text)


def test_patient_held_for_low_platelets_reads_in_words(login: Any) -> None:
    c = login("inv_gz")
    pid = _on_cycle_1(c, "GZ-W2")
    _lab(c, pid, "2026-02-10", "platelets", "40", "x10^9/L", "150", "400")
    section, text = _next_step(c, pid)
    assert 'id="action">Delay cycle 2: do not give it yet<' in section
    assert "Delay TACE-HAIC cycle 2 (then give it at HAIC dose level -1)" in text
    # the rule by name, the lab by name (not "labs[9] platelets"), the CTCAE text in quotes
    assert (
        "Low blood counts, grade 3-4: Platelets 40 x10^9/L on 2026-02-10: Platelet count "
        "decreased grade 3" in text
    )
    assert 'title="Protocol rule myelosuppression_grade_3_4"' in section
    # the missing pre-cycle examination, by name
    assert "Pre-cycle examination: performance status: No ECOG performance status recorded" in text
    # a protocol text cited by several reasons is quoted once, then referred to
    quotes = re.findall(r"<q>(.*?)</q>", section, re.S)
    assert quotes and len(quotes) == len(set(quotes))
    # (the pre-cycle lab and examination reasons all cite the same paragraph of the paper)
    assert text.count("the protocol's words as above") >= 3
    sources = re.findall(r"<small>\(source: (.*?)\)</small>", section, re.S)
    assert sources and len(sources) == len(set(sources))
    assert text.count("(source as above)") >= 3
    _assert_in_words(text)


def test_dead_patient_reads_in_words(login: Any) -> None:
    c = login("inv_gz")
    pid = _on_cycle_1(c, "GZ-W3")
    death = {
        "contact_date": "2026-02-01",
        "vital_status": "dead",
        "cause_of_death": "liver failure",
    }
    assert post_form(c, f"/patients/{pid}/followups/new", death).status_code == 303
    section, text = _next_step(c, pid)
    assert 'id="action">Stop all study treatment<' in section
    assert "Stop TACE-HAIC (no more cycles)" in text
    assert "Stop sorafenib" in text
    assert "Patient died: Died on 2026-02-01" in text
    assert "source: the trial paper (Methods)" in text
    assert 'title="Protocol rule death"' in section
    _assert_in_words(text)
