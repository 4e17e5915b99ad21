"""Data management in the web (issue 19): the patient page shows each form's status and the
open queries; a form is completed with a missing-data code; the query loop monitor -> site ->
monitor; source-data verification and its clearing by a later change; the open-query list
counts only the user's sites."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.flows import add_baseline, enrol, post_form


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _baseline_id(client: Any, pid: int) -> int:
    page = client.get(f"/patients/{pid}").text
    m = re.search(r'href="/forms/baselines/(\d+)"', page)
    assert m is not None, page
    return int(m.group(1))


def test_complete_with_a_missing_data_code_then_verify(app: Any, login: Any) -> None:
    site, monitor = login("coord_gz"), login("monitor")
    pid = enrol(site, "GZ-101")
    add_baseline(site, pid)  # HBV DNA left empty
    bid = _baseline_id(site, pid)
    page = site.get(f"/forms/baselines/{bid}").text
    assert "incomplete" in page and 'id="missing_hbv_dna_iu_ml"' in page
    assert f'href="/records/baseline/{bid}/edit"' in page  # a saved baseline can be changed
    r = post_form(site, f"/forms/baselines/{bid}/complete", {})
    assert r.status_code == 422
    assert 'aria-invalid="true" aria-describedby="error-hbv_dna_iu_ml"' in r.text
    assert "HBV DNA: is empty" in r.text and "[FORM-COMPLETE]" in r.text
    r = post_form(site, f"/forms/baselines/{bid}/complete", {"missing_hbv_dna_iu_ml": "not_done"})
    assert r.status_code == 303
    page = site.get(f"/forms/baselines/{bid}").text
    assert "status-complete" in page and "<em>Not done</em>" in page
    assert "Verified against source" not in page  # the site does not verify
    r = post_form(monitor, f"/forms/baselines/{bid}/verify", {})
    assert r.status_code == 303
    patient = monitor.get(f"/patients/{pid}").text
    # 11 forms: the screening, the baseline and the screening's 9 labs (WBC, ANC, platelets,
    # creatinine, albumin, bilirubin, INR, AFP, LVEF: tests/web/flows.ELIGIBLE)
    assert "status-verified" in patient and "source verified 1 of 11 forms" in patient
    sdv = monitor.get("/queries").text.split('id="sdv-sites"', 1)[1]
    assert "<td>GZ</td><td>1</td><td>11</td><td>9 %</td>" in sdv  # 1 / 11 = 9.1 %
    # a later change clears the verification
    r = post_form(
        site, f"/records/baseline/{bid}/edit", {"weight_kg": "66", "version": "1", "reason": "typo"}
    )
    assert r.status_code == 303, r.text[:1500]
    assert "status-complete" in site.get(f"/forms/baselines/{bid}").text


def test_the_query_loop_monitor_site_monitor(app: Any, login: Any) -> None:
    site, monitor, other = login("coord_gz"), login("monitor"), login("inv_sh")
    pid = enrol(site, "GZ-102")
    add_baseline(site, pid)
    bid = _baseline_id(site, pid)
    url = f"/forms/baselines/{bid}/queries"
    assert post_form(site, url, {"field": "weight_kg", "text": "?"}).status_code == 403
    r = post_form(monitor, url, {"field": "weight_kg", "text": ""})
    assert r.status_code == 422 and "please write what should be checked" in r.text
    r = post_form(monitor, url, {"field": "weight_kg", "text": "Source says 56 kg"})
    assert r.status_code == 303
    assert "1 open query" in site.get(f"/patients/{pid}").text
    assert "Source says 56 kg" in site.get("/queries").text
    assert "No open queries" in other.get("/queries").text  # another site's query is not shown
    qid = int(re.search(r'id="query-(\d+)"', site.get(f"/forms/baselines/{bid}").text).group(1))
    r = post_form(
        site,
        f"/queries/{qid}/answer",
        {"answer": "Typo", "change_value": "yes", "new_value": "56"},
    )
    assert r.status_code == 303
    page = monitor.get(f"/forms/baselines/{bid}").text
    assert "Answer (coord_gz): Typo" in page and "<td>56</td>" in page
    assert post_form(site, f"/queries/{qid}/close", {}).status_code == 403
    assert post_form(monitor, f"/queries/{qid}/close", {}).status_code == 303
    assert "0 open queries" in site.get(f"/patients/{pid}").text
    r = post_form(monitor, f"/queries/{qid}/reopen", {"text": "And the height?"})
    assert r.status_code == 303
    assert "1 open query" in site.get(f"/patients/{pid}").text


def test_the_schedule_grid_and_the_sites_overdue_list(app: Any, login: Any) -> None:
    site, other = login("coord_gz"), login("inv_sh")
    pid = enrol(site, "GZ-103")  # screened and enrolled 2026-01-05
    add_baseline(site, pid)
    grid = site.get(f"/patients/{pid}/schedule").text
    # cycle 1 is due from enrolment, window 14 days: 2026-01-05 .. 2026-01-19; the app's today is
    # 2026-03-02 (tests/web/conftest.TODAY): 42 days late.
    row = re.search(r'<th scope="row">Cycle 1</th>(.*?)</tr>', grid, re.S)
    assert row is not None, grid
    assert "2026-01-05 to 2026-01-19" in row.group(1) and "(42 days late)" in row.group(1)
    baseline = re.search(r'<th scope="row">Baseline</th>(.*?)</tr>', grid, re.S)
    assert baseline is not None and "status-complete" in baseline.group(1)
    listing = site.get("/schedule").text
    overdue = listing.split('id="overdue"', 1)[1]
    assert "GZ-103" in overdue and "Cycle 1" in overdue
    assert "GZ-103" not in other.get("/schedule").text  # another site's patient
    assert other.get(f"/patients/{pid}/schedule").status_code == 403


def _listed(html: str) -> list[str]:
    body = html.split('id="patients"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/patients/\d+">([^<]+)</a>', body)


def test_the_patient_list_searches_filters_sorts_and_pages(
    app: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, monitor, sh = login("coord_gz"), login("monitor"), login("inv_sh")
    ids = {sid: enrol(site, sid) for sid in ("GZ-201", "GZ-202", "GZ-310")}
    enrol(sh, "SH-201")
    add_baseline(site, ids["GZ-202"])
    bid = _baseline_id(site, ids["GZ-202"])
    post_form(monitor, f"/forms/baselines/{bid}/queries", {"field": "sex", "text": "Check"})
    assert _listed(site.get("/patients").text) == ["GZ-201", "GZ-202", "GZ-310"]  # own site
    assert _listed(monitor.get("/patients?q=201").text) == ["GZ-201", "SH-201"]
    assert _listed(monitor.get("/patients?queries=yes").text) == ["GZ-202"]
    assert _listed(site.get("/patients?sort=study_id&dir=desc").text) == [
        "GZ-310",
        "GZ-202",
        "GZ-201",
    ]
    assert _listed(monitor.get("/patients?sort=queries&dir=desc").text)[0] == "GZ-202"
    # every enrolled patient has cycle 1 overdue on 2026-03-02 (window ended 2026-01-19)
    assert _listed(site.get("/patients?overdue=yes").text) == ["GZ-201", "GZ-202", "GZ-310"]
    assert _listed(site.get("/patients?status=screening").text) == []
    monkeypatch.setattr("hcctrial.web.patient_list.PAGE_SIZE", 2)
    page2 = site.get("/patients?page=2").text
    assert _listed(page2) == ["GZ-310"] and "page 2 of 2" in page2 and 'id="prev-page"' in page2
    assert _listed(site.get("/patients?page=abc").text) == ["GZ-201", "GZ-202"]  # falls back


def test_a_blank_form_opens_without_errors_and_marks_required_fields(app: Any, login: Any) -> None:
    site = login("coord_gz")
    pid = enrol(site, "GZ-401")
    # the live preview posts the blank form on load: no "required" error until a value is typed
    blank = post_form(site, f"/patients/{pid}/baseline/preview", {}).text
    assert "This is required" not in blank and 'class="error"' not in blank
    typed = post_form(site, f"/patients/{pid}/baseline/preview", {"weight_kg": "abc"}).text
    assert "Weight: “abc” does not fit here." in typed  # the label, not the column name
    page = site.get(f"/patients/{pid}/baseline/new").text
    assert re.search(
        r'<input name="weight_kg" id="weight_kg"[^>]* required aria-required="true"', page
    )
    assert not re.search(r'id="hbv_dna_iu_ml"[^>]*required', page)  # optional
    r = post_form(site, f"/patients/{pid}/baseline/new", {"weight_kg": "abc"})
    assert r.status_code == 422
    assert re.search(
        r'id="weight_kg"[^>]*aria-invalid="true" aria-describedby="error-weight_kg"', r.text
    )
    assert 'id="error-weight_kg"' in r.text


def test_no_add_button_the_patients_state_refuses(app: Any, login: Any) -> None:
    site = login("coord_gz")
    pid = enrol(site, "GZ-402")
    page = site.get(f"/patients/{pid}").text
    assert 'id="add-cycle"' in page and 'id="add-followup"' in page
    r = post_form(
        site,
        f"/patients/{pid}/followups/new",
        {"contact_date": "2026-02-01", "vital_status": "dead", "cause_of_death": "liver failure"},
    )
    assert r.status_code == 303, r.text[:1000]
    page = site.get(f"/patients/{pid}").text
    assert "deceased" in page
    for button in ("add-cycle", "add-followup"):
        assert f'id="{button}"' not in page
    assert 'id="add-labs"' in page  # a late lab dated before the death is still accepted


def test_the_screening_form_speaks_in_words(app: Any, login: Any) -> None:
    site = login("coord_gz")
    page = site.get("/patients/new").text
    assert "White blood cells" in page and 'aria-label="Unit of White blood cells"' in page
    preview = post_form(site, "/patients/new/preview", {"screening_date": "2026-01-05"}).text
    # the engine says "missing: labs.bilirubin, ..., liver.ascites"; the nurse reads words
    assert "labs." not in preview and "liver.ascites" not in preview
    assert "missing: bilirubin, albumin, ascites" in preview


def test_the_memo_serves_unchanged_patients_and_follows_every_write(app: Any, login: Any) -> None:
    from hcctrial.web.patient_memo import patient_memo

    site = login("coord_gz")
    a, b = enrol(site, "GZ-801"), enrol(site, "GZ-802")
    add_baseline(site, a)
    memo = patient_memo(app.state)
    site.get(f"/patients/{a}")
    site.get(f"/patients/{b}/schedule")
    hits = memo.hits
    app.state.page_cache = None  # the rendered pages go; the memo's results stay
    site.get(f"/patients/{a}")
    site.get(f"/patients/{b}/schedule")
    assert memo.hits == hits + 2  # nothing changed: both from the memo
    # a cycle for A: A's page and schedule are recomputed (cycle 1 no longer overdue), B's kept
    r = post_form(
        site, f"/patients/{a}/cycles/new", {"cycle_date": "2026-01-12", "haic_level": "0"}
    )
    assert r.status_code == 303, r.text[:1500]
    page = site.get(f"/patients/{a}").text
    assert "on treatment" in page and "Cycle 1" in page
    grid = site.get(f"/patients/{a}/schedule").text
    row = re.search(r'<th scope="row">Cycle 1</th>(.*?)</tr>', grid, re.S)
    assert row is not None and "status-complete" in row.group(1)
    hits = memo.hits
    site.get(f"/patients/{b}/schedule")
    assert memo.hits == hits + 1


def test_a_lab_far_out_of_range_saved_from_the_web_raises_a_query(app: Any, login: Any) -> None:
    site = login("coord_gz")
    pid = enrol(site, "GZ-901")
    add_baseline(site, pid)
    # bilirubin 13 mg/dL with ULN 1.2: 13 > 10 x 1.2 = 12 -> saved, and an automatic query
    lab = {
        "sample_date": "2026-01-20",
        "analyte": "bilirubin",
        "value_entered": "13",
        "unit_entered": "mg/dL",
        "uln": "1.2",
        "lln": "0.2",
    }
    r = post_form(site, f"/patients/{pid}/labs/new", lab)
    assert r.status_code == 303, r.text[:1500]
    listing = site.get("/queries").text
    assert "GZ-901" in listing and "more than 10 times the upper limit of normal" in listing
    # and a jump: 13 / 0.9 (the screening's bilirubin, tests/web/flows.ELIGIBLE) = 14.4 > 5
    assert "a large change" in listing
    assert "2 open queries" in site.get(f"/patients/{pid}").text


def _post_fields(client: Any, bid: int, verified: list[str], shown: str) -> Any:
    """POST the field checklist of baseline ``bid`` (one ``verified`` value per checked box)."""
    data = {"verified": verified, "shown": shown, "csrf_token": client.csrf}
    return client.post(f"/forms/baselines/{bid}/verify-fields", data=data, follow_redirects=False)


def _checked(page: str) -> list[str]:
    return re.findall(
        r'<input type="checkbox" name="verified" value="(\w+)" id="sdv-\w+" checked', page
    )


def test_fields_verified_one_by_one_and_a_change_clears_only_that_field(
    app: Any, login: Any
) -> None:
    site, monitor = login("coord_gz"), login("monitor")
    pid = enrol(site, "GZ-151")
    add_baseline(site, pid)
    bid = _baseline_id(site, pid)
    url = f"/forms/baselines/{bid}"
    page = monitor.get(url).text
    # the checklist: one labelled checkbox per field of the baseline (17), none checked
    assert len(re.findall(r'<label class="check" for="sdv-\w+"><input type="checkbox"', page)) == 17
    assert _checked(page) == [] and 'name="shown" value=""' in page
    assert 'aria-describedby="sdv-note-weight_kg"' in page
    # a coordinator does not verify; a bad field name is refused beside the checklist
    assert _post_fields(site, bid, ["weight_kg"], "").status_code == 403
    r = _post_fields(monitor, bid, ["shoe_size"], "")
    assert r.status_code == 422
    assert 'id="error-fields"' in r.text
    # beside the checklist, in words, with the rule's id
    assert re.search(
        r'id="error-fields">“shoe size” does not fit here. Please enter a field of the baseline: '
        r"date of the baseline assessment, age, sex, .*, HBV DNA, .*encephalopathy. \[SDV-FIELD\]",
        r.text,
    )
    assert _post_fields(monitor, bid, ["weight_kg", "ecog"], "").status_code == 303
    page = monitor.get(url).text
    assert _checked(page) == ["weight_kg", "ecog"]  # in the form's column order
    assert "fields verified against source: 2 of 17" in page
    assert re.search(r'id="sdv-note-weight_kg">verified · monitor, 2\d\d\d-', page)
    # 11 forms (screening, baseline, 9 labs); fields: 3 + 17 + 9 x 6 = 74
    assert 'source verified 0 of 11 forms</span> (<span id="sdv-field-progress">2 of 74 fields' in (
        monitor.get(f"/patients/{pid}").text
    )
    sdv = monitor.get("/queries").text.split('id="sdv-sites"', 1)[1]
    # forms 0 / 11 = 0 %; fields 2 / 74 = 2.7 % -> 3 %
    assert "<td>GZ</td><td>0</td><td>11</td><td>0 %</td><td>2</td><td>74</td><td>3 %</td>" in sdv
    # the site changes the weight: that mark is cleared, the ECOG's stays
    r = post_form(
        site, f"/records/baseline/{bid}/edit", {"weight_kg": "66", "version": "1", "reason": "typo"}
    )
    assert r.status_code == 303, r.text[:1500]
    page = monitor.get(url).text
    assert _checked(page) == ["ecog"]
    assert re.search(
        r'id="sdv-note-weight_kg">mark cleared by a change · coord_gz, .*\(verified by monitor\)',
        page,
    )
    assert re.search(
        r'id="sdv-cell-weight_kg">mark cleared by a change · coord_gz', site.get(url).text
    )
    # the monitor un-checks the ECOG (shown checked): its mark is withdrawn, nothing else changes
    shown = re.search(r'name="shown" value="([\w,]*)"', page).group(1)  # type: ignore[union-attr]
    assert shown == "ecog"
    assert _post_fields(monitor, bid, [], shown).status_code == 303
    page = monitor.get(url).text
    assert _checked(page) == [] and "fields verified against source: 0 of 17" in page
    assert 'id="sdv-note-ecog">not verified' in page


def test_a_site_monitor_verifies_fields_only_at_its_site(app: Any, login: Any) -> None:
    site = login("coord_gz")
    pid = enrol(site, "GZ-152")
    add_baseline(site, pid)
    bid = _baseline_id(site, pid)
    assert _post_fields(login("monitor_sh"), bid, ["sex"], "").status_code == 403
    assert _post_fields(login("inv_gz"), bid, ["sex"], "").status_code == 403
    assert (
        "fields verified against source: 0 of 17"
        in login("monitor").get(f"/forms/baselines/{bid}").text
    )
