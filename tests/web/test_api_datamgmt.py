"""The JSON API of data management (issue 19): the query loop monitor -> site -> monitor, a form
completed with a missing-data code and verified, the refusals (another site, a role without the
capability, bad input), and the same audit entries whichever door -- page or JSON -- was used.

The patients are screened and given a baseline through the pages (``tests/web/flows``): the
baseline of flows.BASELINE leaves HBV DNA empty (a required field of a complete baseline,
``form_status.EXPECTED``) and weighs 65 kg. Each test runs on SQLite and on PostgreSQL
(``tests/web/conftest``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.web.flows import add_baseline, enrol, post_form


def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json=body, headers={"X-CSRF-Token": client.csrf})


def _baseline(client: Any, study_id: str) -> tuple[int, int]:
    """(patient id, baseline id) of a new patient of site GZ with a baseline."""
    pid = enrol(client, study_id)
    add_baseline(client, pid)
    forms = client.get(f"/api/patients/{pid}/forms").json()
    (bid,) = [f["record_id"] for f in forms if f["form"] == "baselines"]
    return pid, int(bid)


def test_the_forms_of_a_patient_with_their_status(app: Any, login: Callable[[str], Any]) -> None:
    site = login("coord_gz")
    pid, bid = _baseline(site, "GZ-501")
    forms = site.get(f"/api/patients/{pid}/forms").json()
    # the screening, the baseline and the screening's 9 labs (WBC, ANC, platelets, creatinine,
    # albumin, bilirubin, INR, AFP, LVEF: tests/web/flows.ELIGIBLE), in FORMS order
    assert [f["form"] for f in forms] == ["screenings", "baselines"] + ["lab_results"] * 9
    assert {f["status"] for f in forms} == {"incomplete"}
    baseline = next(f for f in forms if f["form"] == "baselines")
    assert baseline == {
        "form": "baselines",
        "record_id": bid,
        "title": "Baseline",
        "status": "incomplete",
        "by": None,
        "at": None,
        "missing_codes": {},
        "verified": False,
    }


def test_the_query_loop_monitor_site_monitor(app: Any, login: Callable[[str], Any]) -> None:
    site, monitor = login("coord_gz"), login("monitor")
    pid, bid = _baseline(site, "GZ-502")
    r = _post(monitor, f"/api/forms/baselines/{bid}/queries", {"field": "weight_kg", "text": "56?"})
    assert r.status_code == 201, r.text
    q = r.json()
    assert (q["status"], q["raised_by"], q["field"], q["rule_id"]) == (
        "open",
        "monitor",
        "weight_kg",
        None,
    )
    listed = site.get(f"/api/patients/{pid}/queries?status=open").json()
    assert [x["id"] for x in listed] == [q["id"]]
    r = _post(
        site,
        f"/api/queries/{q['id']}/answer",
        {"answer": "Typo", "change_value": True, "new_value": 56},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["answer"], r.json()["answered_by"]) == (
        "answered",
        "Typo",
        "coord_gz",
    )
    record = site.get(f"/api/baseline/{bid}").json()
    assert (record["weight_kg"], record["version"]) == (56.0, 2)  # 65 -> 56, a new version
    r = _post(site, f"/api/queries/{q['id']}/close")
    assert (r.status_code, r.json()["rule"]) == (403, "AUTH-ROLE")
    r = _post(monitor, f"/api/queries/{q['id']}/close")
    assert (r.status_code, r.json()["status"], r.json()["closed_by"]) == (200, "closed", "monitor")
    assert site.get(f"/api/patients/{pid}/queries?status=open,answered").json() == []
    r = _post(monitor, f"/api/queries/{q['id']}/close")  # closed already
    assert (r.status_code, r.json()["rule"]) == (409, "QUERY-FLOW")
    r = _post(monitor, f"/api/queries/{q['id']}/reopen", {"text": "And the height?"})
    assert (r.status_code, r.json()["status"], r.json()["text"]) == (200, "open", "And the height?")
    assert r.json()["closed_by"] is None
    form = monitor.get(f"/api/forms/baselines/{bid}").json()
    assert [x["id"] for x in form["queries"]] == [q["id"]]
    assert monitor.get(f"/api/queries/{q['id']}").json()["version"] == 4  # raised + 3 changes


def test_complete_with_a_missing_data_code_then_verify(
    app: Any, login: Callable[[str], Any]
) -> None:
    site, monitor = login("coord_gz"), login("monitor")
    _, bid = _baseline(site, "GZ-503")
    url = f"/api/forms/baselines/{bid}"
    r = _post(site, f"{url}/complete", {})
    assert (r.status_code, r.json()["rule"], r.json()["field"]) == (
        422,
        "FORM-COMPLETE",
        "hbv_dna_iu_ml",
    )
    assert "HBV DNA: is empty" in r.json()["detail"]
    r = _post(site, f"{url}/complete", {"missing_codes": {"hbv_dna_iu_ml": "forgotten"}})
    assert r.status_code == 422 and "'forgotten' is not one of" in r.json()["detail"]
    r = _post(monitor, f"{url}/verify")
    assert (r.status_code, r.json()["rule"]) == (409, "FORM-VERIFY")  # not complete: a state
    r = _post(site, f"{url}/complete", {"missing_codes": {"hbv_dna_iu_ml": "not_done"}})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["by"]) == ("complete", "coord_gz")
    assert r.json()["missing_codes"] == {"hbv_dna_iu_ml": "not_done"}
    r = _post(site, f"{url}/verify")
    assert (r.status_code, r.json()["rule"]) == (403, "AUTH-ROLE")  # the site does not verify
    r = _post(monitor, f"{url}/verify")
    assert (r.status_code, r.json()["status"], r.json()["verified"]) == (200, "verified", True)


def test_another_sites_user_and_the_wrong_role_are_refused(
    app: Any, login: Callable[[str], Any]
) -> None:
    site, monitor, other, other_monitor = (
        login("coord_gz"),
        login("monitor"),
        login("inv_sh"),
        login("monitor_sh"),
    )
    pid, bid = _baseline(site, "GZ-504")
    q = _post(monitor, f"/api/forms/baselines/{bid}/queries", {"field": "sex", "text": "Check"})
    qid = q.json()["id"]
    # reads: another site's patient is not shown
    assert other.get(f"/api/patients/{pid}/forms").status_code == 403
    assert other.get(f"/api/patients/{pid}/queries").status_code == 403
    assert other.get(f"/api/queries/{qid}").status_code == 403
    assert other.get("/api/queries").json() == []
    assert [x["id"] for x in monitor.get("/api/queries").json()] == [qid]  # a central monitor
    gz_site = site.get("/api/me").json()["site_id"]
    r = other.get(f"/api/queries?site_id={gz_site}")
    assert (r.status_code, r.json()["rule"], r.json()["field"]) == (403, "DM-SITE", "site_id")
    # writes: the site's rule (DM-SITE) before anything is written
    r = _post(other_monitor, f"/api/forms/baselines/{bid}/queries", {"field": "sex", "text": "?"})
    assert (r.status_code, r.json()["rule"]) == (403, "DM-SITE")
    r = _post(other, f"/api/queries/{qid}/answer", {"answer": "No"})
    assert (r.status_code, r.json()["rule"]) == (403, "DM-SITE")
    r = _post(other, f"/api/forms/baselines/{bid}/complete", {})
    assert (r.status_code, r.json()["rule"]) == (403, "DM-SITE")
    # the role: a coordinator neither raises nor closes nor re-opens
    r = _post(site, f"/api/forms/baselines/{bid}/queries", {"field": "sex", "text": "?"})
    assert (r.status_code, r.json()["rule"]) == (403, "AUTH-ROLE")
    r = _post(site, f"/api/queries/{qid}/close")
    assert (r.status_code, r.json()["rule"]) == (403, "AUTH-ROLE")
    r = _post(site, f"/api/queries/{qid}/reopen", {"text": "?"})
    assert (r.status_code, r.json()["rule"]) == (403, "AUTH-ROLE")
    # nothing changed by the refusals, and no write without the CSRF header
    r = monitor.post(f"/api/queries/{qid}/close")
    assert r.status_code == 403
    assert monitor.get(f"/api/queries/{qid}").json()["version"] == 1


def test_bad_input_is_named(app: Any, login: Callable[[str], Any]) -> None:
    site, monitor = login("coord_gz"), login("monitor")
    pid, bid = _baseline(site, "GZ-505")
    url = f"/api/forms/baselines/{bid}/queries"
    r = _post(monitor, url, {"field": "shoe_size", "text": "?"})
    body = r.json()
    assert (r.status_code, body["rule"], body["field"]) == (422, "QUERY-TEXT", "field")
    assert "'shoe_size' is not a field of this form" in body["detail"]
    assert "weight_kg" in body["detail"]  # the fields it could be
    r = _post(monitor, url, {"field": "weight_kg", "text": "   "})
    assert (r.status_code, r.json()["rule"], r.json()["field"]) == (422, "QUERY-TEXT", "text")
    assert "please write what should be checked" in r.json()["detail"]
    r = _post(monitor, url, {"field": "weight_kg"})
    assert (r.status_code, r.json()["field"]) == (422, "text")  # missing
    r = _post(monitor, url, {"field": "weight_kg", "text": "?", "urgent": True})
    assert (r.status_code, r.json()["field"]) == (422, "urgent")  # not a field of the request
    r = _post(monitor, "/api/forms/shoes/1/queries", {"field": "size", "text": "?"})
    assert r.status_code == 404 and r.json()["detail"].startswith("form: got 'shoes'; expected")
    r = _post(monitor, "/api/forms/baselines/99999/queries", {"field": "sex", "text": "?"})
    assert r.status_code == 404 and "record_id: got 99999" in r.json()["detail"]
    r = _post(site, "/api/queries/99999/answer", {"answer": "x"})
    assert r.status_code == 404 and "query_id: got 99999" in r.json()["detail"]
    r = monitor.get(f"/api/patients/{pid}/queries?status=pending")
    assert (r.status_code, r.json()["field"]) == (400, "status")
    assert "got 'pending'; expected one of open, answered, closed" in r.json()["detail"]
    r = monitor.get("/api/queries?site_id=99999")
    assert (r.status_code, r.json()["field"]) == (400, "site_id")
    assert "got 99999; expected the id of a site of this trial" in r.json()["detail"]
    qid = _post(monitor, url, {"field": "weight_kg", "text": "56?"}).json()["id"]
    # the trial-wide list filters by status: the new query is open, not answered
    assert [x["id"] for x in monitor.get("/api/queries?status=open").json()] == [qid]
    assert monitor.get("/api/queries?status=answered").json() == []
    r = _post(site, f"/api/queries/{qid}/answer", {"answer": ""})
    assert (r.status_code, r.json()["rule"], r.json()["field"]) == (422, "QUERY-TEXT", "answer")
    # a new value the field cannot take: refused by the record's rule, nothing written
    r = _post(
        site,
        f"/api/queries/{qid}/answer",
        {"answer": "Typo", "change_value": True, "new_value": "heavy"},
    )
    assert (r.status_code, r.json()["rule"], r.json()["field"]) == (422, "FIELD-VALUE", "weight_kg")
    assert site.get(f"/api/queries/{qid}").json()["status"] == "open"
    assert site.get(f"/api/baseline/{bid}").json()["weight_kg"] == 65.0


# ------------------------------------------------------------------- the same audit, both doors
def _html_loop(site: Any, monitor: Any, bid: int) -> None:
    assert post_form(monitor, f"/forms/baselines/{bid}/queries", _RAISE).status_code == 303
    page = site.get(f"/forms/baselines/{bid}").text
    found = re.search(r'id="query-(\d+)"', page)
    assert found is not None
    qid = int(found.group(1))
    answer = {"answer": "Typo", "change_value": "yes", "new_value": "56"}
    assert post_form(site, f"/queries/{qid}/answer", answer).status_code == 303
    assert post_form(monitor, f"/queries/{qid}/close", {}).status_code == 303
    assert post_form(monitor, f"/queries/{qid}/reopen", {"text": "Height?"}).status_code == 303
    codes = {"missing_hbv_dna_iu_ml": "unknown"}
    assert post_form(site, f"/forms/baselines/{bid}/complete", codes).status_code == 303
    assert post_form(monitor, f"/forms/baselines/{bid}/verify", {}).status_code == 303


def _json_loop(site: Any, monitor: Any, bid: int) -> None:
    qid = _post(monitor, f"/api/forms/baselines/{bid}/queries", _RAISE).json()["id"]
    answer = {"answer": "Typo", "change_value": True, "new_value": 56}
    assert _post(site, f"/api/queries/{qid}/answer", answer).status_code == 200
    assert _post(monitor, f"/api/queries/{qid}/close").status_code == 200
    assert _post(monitor, f"/api/queries/{qid}/reopen", {"text": "Height?"}).status_code == 200
    codes = {"missing_codes": {"hbv_dna_iu_ml": "unknown"}}
    assert _post(site, f"/api/forms/baselines/{bid}/complete", codes).status_code == 200
    assert _post(monitor, f"/api/forms/baselines/{bid}/verify").status_code == 200


_RAISE = {"field": "weight_kg", "text": "Source says 56 kg"}
_VARIES = {
    "id",
    "completed_at",
    "verified_at",
    "answered_at",
    "closed_at",
    "record_id",
    "patient_id",
}


def _shape(entries: list[dict[str, Any]], after: int) -> list[Any]:
    """The entries after seq ``after``, without what differs between two patients (times, ids):
    who, table, action, reason (query ids named by role) and the fields changed, old -> new."""
    out = []
    for e in entries:
        if e["seq"] <= after:
            continue
        reason = re.sub(r"query \d+", "query <q>", e["reason"])
        changes = [
            (c["field"], c["old"], c["new"]) if c["field"] not in _VARIES else (c["field"],)
            for c in e["changes"]
        ]
        out.append((e["actor"], e["table"], e["action"], reason, changes))
    return out


def test_the_page_and_the_json_doors_write_the_same_audit_entries(
    app: Any, login: Callable[[str], Any]
) -> None:
    site, monitor = login("coord_gz"), login("monitor")
    a, bid_a = _baseline(site, "GZ-601")
    b, bid_b = _baseline(site, "GZ-602")
    trails = {}
    for pid, bid, loop in ((a, bid_a, _html_loop), (b, bid_b, _json_loop)):
        before = monitor.get(f"/api/patients/{pid}/audit").json()
        head = max(e["seq"] for e in before)
        loop(site, monitor, bid)
        trails[pid] = _shape(monitor.get(f"/api/patients/{pid}/audit").json(), head)
    assert trails[a] == trails[b]
    # what both doors wrote, in order (7 + 17 entries): the query raised, the value changed with
    # the query as its reason, the query answered, closed, re-opened, the form state created
    # (complete) and changed (verified), and verifying the form marks each of the baseline form's
    # 17 fields (assessment date, age, sex, height, weight, nodules, largest nodule, vascular
    # invasion, portal vein invasion, extrahepatic spread, HBV, HBV DNA, cirrhosis, ECOG, imaging
    # modality, ascites, encephalopathy: docs/data-management.md, field-level SDV)
    assert [(t[0], t[1], t[2], t[3]) for t in trails[a]] == [
        ("monitor", "data_queries", "insert", "query raised"),
        ("coord_gz", "baselines", "update", "answer to query <q>: Typo"),
        ("coord_gz", "data_queries", "update", "query answered"),
        ("monitor", "data_queries", "update", "query closed"),
        ("monitor", "data_queries", "update", "query re-opened"),
        ("coord_gz", "form_states", "insert", "form marked complete"),
        ("monitor", "form_states", "update", "verified against source"),
        *[("monitor", "field_verifications", "insert", "verified against source")] * 17,
    ]
    assert ("weight_kg", 65.0, 56.0) in trails[a][1][4]


def test_field_verification_through_the_json_api(app: Any, login: Callable[[str], Any]) -> None:
    site, monitor, other = login("coord_gz"), login("monitor"), login("monitor_sh")
    _, bid = _baseline(site, "GZ-509")
    url = f"/api/forms/baselines/{bid}/fields"
    before = monitor.get(url).json()
    # every field of the baseline, in the form's order, none verified yet
    assert [f["field"] for f in before][:5] == [
        "assessment_date",
        "age_years",
        "sex",
        "height_cm",
        "weight_kg",
    ]
    assert len(before) == 17 and not any(f["verified"] or f["by"] for f in before)
    r = _post(monitor, f"{url}/verify", {"fields": ["weight_kg", "ecog"]})
    assert r.status_code == 200, r.text
    marks = {f["field"]: f for f in r.json()}
    assert [n for n, f in marks.items() if f["verified"]] == ["weight_kg", "ecog"]
    assert (marks["ecog"]["by"], marks["ecog"]["cleared_by"]) == ("monitor", None)
    # refusals: the site does not verify, a Shanghai monitor not at Guangzhou, a field not on the form
    r = _post(site, f"{url}/verify", {"fields": ["sex"]})
    assert (r.status_code, r.json()["rule"]) == (403, "AUTH-ROLE")
    r = _post(other, f"{url}/verify", {"fields": ["sex"]})
    assert (r.status_code, r.json()["rule"]) == (403, "DM-SITE")
    assert monitor.get(url).json()[2]["verified"] is False  # sex: still not verified
    r = _post(monitor, f"{url}/verify", {"fields": ["weight"]})
    assert (r.status_code, r.json()["rule"]) == (422, "SDV-FIELD")
    assert "'weight'" in r.json()["detail"]
    # the site changes the weight (65 -> 56) answering a query: that mark is cleared, ECOG's kept
    q = _post(monitor, f"/api/forms/baselines/{bid}/queries", {"field": "weight_kg", "text": "?"})
    change = {"answer": "Typo", "change_value": True, "new_value": 56}
    assert _post(site, f"/api/queries/{q.json()['id']}/answer", change).status_code == 200
    marks = {f["field"]: f for f in monitor.get(url).json()}
    assert (marks["weight_kg"]["verified"], marks["weight_kg"]["cleared_by"]) == (False, "coord_gz")
    assert marks["weight_kg"]["by"] == "monitor"  # who had verified it is still said
    assert (marks["ecog"]["verified"], marks["ecog"]["cleared_by"]) == (True, None)
    # withdrawing ECOG's mark leaves it with none
    r = _post(monitor, f"{url}/unverify", {"fields": ["ecog"]})
    assert r.status_code == 200, r.text
    ecog = next(f for f in r.json() if f["field"] == "ecog")
    assert (ecog["verified"], ecog["by"]) == (False, None)
