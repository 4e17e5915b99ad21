"""Saved records through the web: deleting one (reason, optimistic lock, audit, refused to read-only
roles, a clear message while others refer to it), adding a lesion to a saved scan and a dose line
to a saved cycle (the recomputed mRECIST response / dose sheet shown), and the live CTCAE check
of the adverse-event form. Expected values are hand calculations (comments) or the shared CTCAE
reference text (tests/reference/clinical/ctcae_v403_clinical_terms.json)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support import REFERENCE
from tests.web.flows import add_baseline, enrol, post_form


def _audit_rows(app: Any, table: str, row_id: int) -> list[tuple[str, str, str]]:
    """(action, actor, reason) of every audit entry of one row, oldest first."""
    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import open_session

    with open_session(app.state.web.engine) as s:
        rows = s.scalars(
            select(m.AuditEntry)
            .where(m.AuditEntry.table_name == table, m.AuditEntry.row_pk == str(row_id))
            .order_by(m.AuditEntry.seq)
        )
        return [(e.action.value, e.actor, e.reason) for e in rows]


def _file(client: Any, pid: int) -> dict[str, Any]:
    return dict(client.get(f"/api/patients/{pid}").json())


# ---------------------------------------------------------------------------------- delete


def test_deleting_a_record_needs_a_reason_and_the_current_version_and_is_audited(
    app: Any, login: Any
) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-D1")
    lab = next(x for x in _file(c, pid)["labs"] if x["analyte"] == "wbc")
    url = f"/records/labs/{lab['id']}/delete"
    page = c.get(url)
    assert page.status_code == 200 and 'name="version" value="1"' in page.text
    # no reason: refused beside the field, nothing deleted
    r = post_form(c, url, {"version": "1", "reason": ""})
    assert r.status_code == 422 and 'id="error-reason"' in r.text
    # someone changed it meanwhile (version 2 now): a conflict, nothing deleted
    r = c.put(
        f"/api/labs/{lab['id']}",
        json={"version": 1, "reason": "typo", "changes": {"value_entered": 5.3}},
        headers={"X-CSRF-Token": c.csrf},
    )
    assert r.status_code == 200
    r = post_form(c, url, {"version": "1", "reason": "duplicate entry"})
    assert r.status_code == 409 and "changed by someone else" in r.text
    assert any(x["id"] == lab["id"] for x in _file(c, pid)["labs"])
    r = post_form(c, url, {"version": "2", "reason": "duplicate entry"})
    assert r.status_code == 303 and r.headers["location"] == f"/patients/{pid}"
    assert all(x["id"] != lab["id"] for x in _file(c, pid)["labs"])
    assert _audit_rows(app, "lab_results", lab["id"])[-1] == ("delete", "inv_gz", "duplicate entry")
    assert c.get(url).status_code == 404


def test_deleting_is_refused_to_read_only_roles_and_other_sites(app: Any, login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-D2")
    lab = _file(c, pid)["labs"][0]
    url = f"/records/labs/{lab['id']}/delete"
    for username in ("monitor", "stat", "inv_sh"):
        other = login(username)
        assert other.get(url).status_code == 403, username
        assert post_form(other, url, {"version": "1", "reason": "x"}).status_code == 403
    assert 'class="delete"' not in login("monitor").get(f"/patients/{pid}").text
    assert any(x["id"] == lab["id"] for x in _file(c, pid)["labs"])


def _scan(day: str, *diameters: str) -> dict[str, str]:
    form = {"assessment_date": day, "modality": "mri", "afp_ng_ml": ""}
    for i, d in enumerate(diameters):
        form |= {f"lesion_id_{i}": f"T{i + 1}", f"kind_{i}": "target", f"diameter_mm_{i}": d}
    return form


def test_deleting_a_scan_with_lesions_says_to_delete_those_first(app: Any, login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-D3")
    add_baseline(c, pid)
    assert post_form(c, f"/patients/{pid}/imaging/new", _scan("2026-01-06", "52", "31")).status_code
    data = _file(c, pid)
    (scan,) = data["imaging"]
    r = post_form(c, f"/records/imaging/{scan['id']}/delete", {"version": "1", "reason": "wrong"})
    assert r.status_code == 409  # a clear message, not a 500
    assert "cannot be deleted: 2 lesion measurements refer to it" in r.text
    assert "DELETE-REFERENCED" in r.text
    assert len(_file(c, pid)["imaging"]) == 1
    for lesion in data["lesions"]:
        r = post_form(
            c, f"/records/lesions/{lesion['id']}/delete", {"version": "1", "reason": "wrong"}
        )
        assert r.headers["location"] == f"/records/imaging/{scan['id']}"  # back to the scan
    r = post_form(c, f"/records/imaging/{scan['id']}/delete", {"version": "1", "reason": "wrong"})
    assert r.status_code == 303
    assert _file(c, pid)["imaging"] == [] and _file(c, pid)["lesions"] == []


# ------------------------------------------------------------------------- lesions, doses


def test_adding_a_lesion_to_a_saved_scan_shows_the_recomputed_response(
    app: Any, login: Any
) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-L1")
    add_baseline(c, pid)
    assert post_form(c, f"/patients/{pid}/imaging/new", _scan("2026-01-06", "52", "31")).status_code
    # the follow-up scan saved through the API with T1 only (T2 forgotten); a scan is saved with
    # its lesions (SCAN-LESIONS)
    h = {"X-CSRF-Token": c.csrf}
    t1 = {"lesion_id": "T1", "kind": "target", "organ": "liver", "diameter_mm": 30}
    scan = c.post(
        f"/api/patients/{pid}/imaging",
        json={"assessment_date": "2026-02-20", "modality": "mri", "lesions": [t1]},
        headers=h,
    ).json()
    page = f"/records/imaging/{scan['id']}"
    assert 'id="lesion-T1"' in c.get(page).text
    t2 = {"lesion_id": "T2", "kind": "target", "organ": "liver", "diameter_mm": "20"}
    # live: baseline sum 52 + 31 = 83 mm; with T2: 30 + 20 = 50 mm, (50 - 83) / 83 = -39.8 %,
    # a decrease of at least 30 % -> PR (mRECIST)
    html = post_form(c, f"{page}/lesions/preview", t2).text
    assert re.search(r'id="mrecist-response">Response: <strong>PR</strong>', html)
    assert "Sum of viable diameters 50 mm" in html and "-39.8 % from baseline" in html
    # a reason is needed to add to the saved scan; a label already on the scan is refused
    assert post_form(c, f"{page}/lesions/new", {**t2, "reason": ""}).status_code == 422
    r = post_form(c, f"{page}/lesions/new", {**t2, "lesion_id": "T1", "reason": "forgotten"})
    assert r.status_code == 422 and "lesion label T1" in r.text and "RECORD-UNIQUE" in r.text
    r = post_form(c, f"{page}/lesions/new", {**t2, "reason": "T2 forgotten"})
    assert r.status_code == 303 and r.headers["location"] == page
    html = c.get(page).text
    assert re.search(r'id="mrecist-response">Response: <strong>PR</strong>', html)
    assert re.search(r'id="lesion-T2">.*?<td class="diameter">20</td>', html, re.S)
    t2_id = next(
        x["id"]
        for x in _file(c, pid)["lesions"]
        if x["lesion_id"] == "T2" and x["imaging_id"] == scan["id"]
    )
    assert _audit_rows(app, "lesion_measurements", t2_id) == [("insert", "inv_gz", "T2 forgotten")]
    assert "mRECIST: PR" in c.get(f"/patients/{pid}").text
    # read-only roles see the scan and its response but cannot add to it
    monitor = login("monitor")
    assert 'id="lesion-form"' not in monitor.get(page).text
    assert post_form(monitor, f"{page}/lesions/new", {**t2, "reason": "x"}).status_code == 403


def test_adding_a_dose_line_to_a_saved_cycle_shows_the_dose_sheet(app: Any, login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-C1")
    add_baseline(c, pid)
    form = {"cycle_date": "2026-01-12", "haic_level": "0", "sorafenib_level": "start"}
    assert post_form(c, f"/patients/{pid}/cycles/new", {**form, "given_oxaliplatin": "130"})
    (cycle,) = _file(c, pid)["cycles"]
    page = f"/records/cycles/{cycle['id']}"
    html = c.get(page).text
    # BSA (Mosteller) sqrt(170 x 65 / 3600) = 1.752 -> 1.75 m^2; Child-Pugh A, level 0:
    # oxaliplatin 75 x 1.75 = 131.25 -> 131 mg; fluorouracil 1.5 g x 1.75 = 2.625 g = 2625 mg;
    # leucovorin 200 x 1.75 = 350 mg
    assert "BSA 1.75 m²" in html
    assert re.search(r'id="dose-fluorouracil">2625 mg', html)
    # oxaliplatin given 130 of 131 mg planned: 130 / 131 = 99.2 %
    assert re.search(r'id="line-oxaliplatin">.*?<td class="pct">99.2 %</td>', html, re.S)
    leu = next(d for d in _file(c, pid)["doses"] if d["drug"] == "leucovorin")
    r = post_form(c, f"/records/doses/{leu['id']}/delete", {"version": "1", "reason": "not given"})
    assert r.headers["location"] == page
    html = c.get(page).text
    assert 'id="line-leucovorin"' not in html
    assert 'name="drug" id="drug" value="leucovorin"' in html  # the missing line is offered
    line = {"drug": "leucovorin", "planned_mg": "", "given_mg": "300"}
    assert post_form(c, f"{page}/doses/new", {**line, "reason": ""}).status_code == 422
    r = post_form(c, f"{page}/doses/new", {**line, "reason": "given after all"})
    assert r.status_code == 303 and r.headers["location"] == page
    html = c.get(page).text
    # planned defaults to the dose sheet's 350 mg; 300 / 350 = 85.7 %
    assert re.search(
        r'id="line-leucovorin"><td>leucovorin</td><td class="planned">350</td>'
        r'<td class="given">300</td><td class="pct">85.7 %</td>',
        html,
    )
    r = post_form(c, f"{page}/doses/new", {**line, "reason": "again"})
    assert r.status_code == 422 and "drug leucovorin" in r.text and "RECORD-UNIQUE" in r.text
    new = next(d for d in _file(c, pid)["doses"] if d["drug"] == "leucovorin")
    # (SQLite may reuse the deleted line's id: the new row's entry is the last one)
    assert _audit_rows(app, "cycle_doses", new["id"])[-1] == ("insert", "inv_gz", "given after all")
    # a cycle with dose lines cannot be deleted before them
    r = post_form(c, f"/records/cycles/{cycle['id']}/delete", {"version": "1", "reason": "x"})
    assert r.status_code == 409 and "cannot be deleted: 4 dose lines refer to it" in r.text


# ------------------------------------------------------------------------ adverse events


def _ctcae_text(term: str, grade: int) -> str:
    data = json.loads((REFERENCE / "clinical" / "ctcae_v403_clinical_terms.json").read_text())
    entry = next(t for t in data["terms"] if t["term"] == term)
    return str(entry["grades"][str(grade)])


def test_adverse_event_preview_checks_the_term_and_shows_the_grade_text(
    app: Any, login: Any
) -> None:
    import html as html_lib

    c = login("inv_gz")
    pid = enrol(c, "GZ-A1")
    url = f"/patients/{pid}/adverse_events/preview"

    def preview(term: str, grade: str) -> str:
        return html_lib.unescape(post_form(c, url, {"term": term, "grade": grade}).text)

    text = preview("nausea", "2")
    assert "Term: <strong>Nausea</strong>" in text
    assert f"Grade 2: {_ctcae_text('Nausea', 2)}" in text
    # the paper's "hand-foot skin reaction" is CTCAE's palmar-plantar erythrodysesthesia
    text = preview("hand-foot skin reaction", "3")
    assert "Term: <strong>Palmar-plantar erythrodysesthesia syndrome</strong>" in text
    assert f"Grade 3: {_ctcae_text('Palmar-plantar erythrodysesthesia syndrome', 3)}" in text
    # CTCAE v4.03 defines Nausea grades 1-3 only
    assert "CTCAE v4.03 has no grade 4 for Nausea (grades 1, 2, 3)" in preview("Nausea", "4")
    # a typo: refused, with the close term suggested
    text = preview("Nausae", "1")
    assert 'id="ae-term-problem"' in text and "did you mean “Nausea”" in text
    # every term's grade text is bundled (issue 13): CTCAE v4.03 Fatigue grade 2
    assert "Grade 2: Fatigue not relieved by rest; limiting instrumental ADL" in preview(
        "Fatigue", "2"
    )
    assert 'id="ae-check"' not in preview("", "")
