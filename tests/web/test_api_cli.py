"""The JSON API (OpenAPI schema, create/read/update with optimistic locking, previews, dashboard)
and the ``hcctrial user add`` command."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, sign_in
from tests.web.flows import add_baseline, enrol

RECORD_TYPES = (
    "baseline",
    "labs",
    "cycles",
    "adverse_events",
    "imaging",
    "followups",
    "withdrawals",
    "deviations",
)


def test_openapi_describes_every_record_type(app: Any) -> None:
    schema = sign_in(app, "stat").get("/openapi.json").json()  # for signed-in users
    paths = schema["paths"]
    for slug in RECORD_TYPES:
        assert "post" in paths[f"/api/patients/{{patient_id}}/{slug}"]
        assert {"get", "put"} <= set(paths[f"/api/{slug}/{{record_id}}"])
    for slug in ("doses", "lesions"):
        assert "post" in paths[f"/api/{slug}"]
    assert "LabsIn" in schema["components"]["schemas"]
    assert "/login" not in paths  # pages are not part of the API


def test_api_create_read_update_with_optimistic_locking(login: Any) -> None:
    c = login("inv_gz")
    pid = enrol(c, "GZ-A1")
    h = {"X-CSRF-Token": c.csrf}
    r = c.post(
        f"/api/patients/{pid}/adverse_events",
        headers=h,
        json={
            "term": "Fatigue",
            "grade": 2,
            "onset_date": "2026-01-20",
            "attribution": "possible",
            "serious": False,
        },
    )
    assert r.status_code == 201, r.text
    ae = r.json()
    assert (ae["version"], ae["term"]) == (1, "Fatigue")
    # a value outside the column's range is refused by the schema (grade 1-5)
    r = c.post(
        f"/api/patients/{pid}/adverse_events",
        headers=h,
        json={
            "term": "Fatigue",
            "grade": 6,
            "onset_date": "2026-01-20",
            "attribution": "possible",
            "serious": False,
        },
    )
    assert r.status_code == 422
    url = f"/api/adverse_events/{ae['id']}"
    r = c.put(url, headers=h, json={"version": 1, "reason": "worse", "changes": {"grade": 3}})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["grade"] == 3
    # a second writer who read version 1 is refused: no lost update
    r = c.put(url, headers=h, json={"version": 1, "reason": "mine", "changes": {"grade": 1}})
    assert r.status_code == 409 and "changed by someone else" in r.json()["detail"]
    assert c.get(url).json()["grade"] == 3
    r = c.put(url, headers=h, json={"version": 2, "reason": " ", "changes": {"grade": 1}})
    assert r.status_code == 422


def test_api_lab_grade_preview_and_next_step(login: Any) -> None:
    c = login("inv_gz")
    h = {"X-CSRF-Token": c.csrf}
    # CTCAE v4.03 neutrophil count decreased: grade 4 is < 0.5 x10^9/L
    r = c.post(
        "/api/preview/lab-grade",
        headers=h,
        json={"analyte": "anc", "value": 0.4, "unit": "10^9/L", "lln": 1.8},
    )
    assert r.status_code == 200 and r.json()[0]["grade"] == 4
    pid = enrol(c, "GZ-A2")
    assert c.get(f"/api/patients/{pid}/next-step").json()["decision"] is None  # no baseline
    add_baseline(c, pid)
    # no ALT/AST and no pre-cycle examination recorded yet: the cycle is held (issue 13)
    assert c.get(f"/api/patients/{pid}/next-step").json()["decision"]["action"] == "delay_cycle"


def test_api_screening_preview_matches_the_cli_example(login: Any) -> None:
    import json

    from tests.support import REPO

    c = login("inv_gz")
    patient = json.loads((REPO / "examples/patients/ineligible_child_pugh_b8.json").read_text())
    r = c.post(
        "/api/preview/screening", headers={"X-CSRF-Token": c.csrf}, json={"patient": patient}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["eligible"] is False and body["child_pugh"]["class"] == "B"
    assert body["child_pugh"]["total"] == 8  # the example's name: Child-Pugh B8


def test_dashboard_counts_enrolment_and_failures(login: Any) -> None:
    c = login("inv_gz")
    enrol(c, "GZ-D1")
    enrol(c, "GZ-D2", lab_wbc="2.5")  # WBC 2.5 x10^9/L is not > 3.0: screen failure
    d = login("stat").get("/api/dashboard").json()
    assert (d["screened"], d["enrolled"], d["screen_failures"], d["target"]) == (2, 1, 1, 66)
    assert d["failure_reasons"] == {"WBC too low": 1}
    # the enrolled patient has no baseline yet: listed as not analysable, not an error
    assert [x["study_id"] for x in d["not_analysable"]] == ["GZ-D1"]
    html = login("stat").get("/dashboard").text
    assert 'id="enrolled">1 / 66' in html


def test_cli_user_add_creates_an_account_that_can_sign_in(
    cli: Any, web_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hcctrial.web import create_app
    from tests.web.conftest import web_settings

    # the admin's password (--user admin), then the new account's
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\na long passphrase\n"))
    r = cli(
        "user",
        "add",
        "--user",
        "admin",
        "--username",
        "nurse1",
        "--role",
        "coordinator",
        "--site",
        "GZ",
        "--password-stdin",
        "--database",
        web_db,
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["role"] == "coordinator"
    app = create_app(web_settings(web_db))
    try:
        assert sign_in(app, "nurse1", "a long passphrase").get("/api/me").json()["site_id"]
    finally:
        app.state.web.engine.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--role", "chef"), "a long passphrase\n", "role: got 'chef'"),
        (("--role", "investigator"), "a long passphrase\n", "site_id: got None"),
        (("--role", "admin"), "short\n", "at least 12 characters"),
        (("--role", "monitor", "--site", "XX"), "a long passphrase\n", "site: got 'XX'"),
    ],
    ids=["unknown-role", "investigator-without-site", "short-password", "unknown-site"],
)
def test_cli_user_add_bad_input_exits_2(
    cli: Any,
    web_db: str,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{stdin}"))
    r = cli(
        "user",
        "add",
        "--user",
        "admin",
        "--username",
        "x",
        *args,
        "--password-stdin",
        "--database",
        web_db,
    )
    assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_cli_serve_refuses_an_uninitialised_database(cli: Any, tmp_path: Path) -> None:
    r = cli("serve", "--database", str(tmp_path / "empty.sqlite"))
    assert r.exit_code == 2 and "hcctrial init" in r.stderr
    assert PASSWORD  # fixtures' password is not used here


def test_api_body_with_an_unknown_key_is_422_naming_it(login: Any) -> None:
    """An extra key in a JSON body is a named 422 (FastAPI's validation error, whose ``errors()``
    takes no arguments, went through the one wording of hcctrial.errors and was a 500)."""
    c = login("inv_gz")
    pid = enrol(c, "GZ-A2")
    h = {"X-CSRF-Token": c.csrf}
    body = {
        "term": "Fatigue",
        "grade": 2,
        "onset_date": "2026-01-20",
        "attribution": "possible",
        "serious": False,
        "colour": "blue",
    }
    r = c.post(f"/api/patients/{pid}/adverse_events", headers=h, json=body)
    assert r.status_code == 422, r.text
    assert "colour" in r.text
    del body["colour"]
    ae = c.post(f"/api/patients/{pid}/adverse_events", headers=h, json=body).json()
    r = c.put(
        f"/api/adverse_events/{ae['id']}",
        headers=h,
        json={"version": 1, "reason": "x", "changes": {"grade": 3}, "patient_id": pid},
    )
    assert r.status_code == 422, r.text
    assert "patient_id" in r.text
