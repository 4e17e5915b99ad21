"""Security: access across sites and roles is refused (403), posts without the CSRF token are
refused, SQL/HTML injection in free-text fields is inert, failed logins are rate-limited, the
session cookie is Secure/HttpOnly/SameSite and passwords are stored as argon2 hashes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import PASSWORD, sign_in
from tests.web.flows import ELIGIBLE, add_baseline, enrol, post_form

LAB = {
    "sample_date": "2026-01-20",
    "analyte": "platelets",
    "value_entered": "140",
    "unit_entered": "x10^9/L",
}


@pytest.fixture
def gz_patient(login: Any) -> int:
    """A patient of site GZ, enrolled by the GZ investigator."""
    c = login("inv_gz")
    pid = enrol(c, "GZ-001")
    add_baseline(c, pid)
    return pid


# ------------------------------------------------------------------------------ sites and roles

#: (user, method, url template, expected status): who may read or write a GZ patient
ACCESS = [
    ("inv_sh", "GET", "/patients/{pid}", 403),
    ("inv_sh", "GET", "/api/patients/{pid}", 403),
    ("inv_sh", "GET", "/api/patients/{pid}/next-step", 403),
    ("inv_sh", "POST", "/patients/{pid}/labs/new", 403),
    ("inv_sh", "POST", "/api/patients/{pid}/labs", 403),
    ("monitor_sh", "GET", "/patients/{pid}", 403),
    ("monitor_sh", "GET", "/patients/{pid}/audit", 403),
    ("stat", "GET", "/patients/{pid}", 403),
    ("stat", "GET", "/api/patients/{pid}", 403),
    ("monitor", "POST", "/patients/{pid}/labs/new", 403),
    ("monitor", "POST", "/api/patients/{pid}/labs", 403),
    ("stat", "POST", "/api/patients/{pid}/labs", 403),
    ("coord_gz", "GET", "/patients/{pid}/audit", 403),
    ("monitor", "GET", "/patients/{pid}", 200),
    ("monitor", "GET", "/patients/{pid}/audit", 200),
    ("coord_gz", "GET", "/patients/{pid}", 200),
    ("coord_gz", "POST", "/patients/{pid}/labs/new", 303),
    ("admin", "POST", "/api/patients/{pid}/labs", 201),
    ("stat", "GET", "/dashboard", 200),
    ("stat", "GET", "/api/dashboard", 200),
]


def test_access_by_site_and_role(app: Any, gz_patient: int) -> None:
    # one database for the whole table (a setup per row doubled the suite's time on two
    # backends); every row is checked and all mismatches are reported together
    clients = {user: sign_in(app, user) for user in {u for u, *_ in ACCESS}}
    wrong = []
    for i, (user, method, url, status) in enumerate(ACCESS):
        c = clients[user]
        target = url.format(pid=gz_patient)
        lab = {**LAB, "value_entered": str(100 + i)}  # a different lab each time (LAB-DUPLICATE)
        if method == "GET":
            r = c.get(target, follow_redirects=False)
        elif target.startswith("/api/"):
            r = c.post(target, json=lab, headers={"X-CSRF-Token": c.csrf})
        else:
            r = post_form(c, target, lab)
        if r.status_code != status:
            wrong.append((user, method, url, status, r.status_code, r.text[:200]))
    assert wrong == []


def test_patient_list_shows_only_the_users_site(app: Any, gz_patient: int, login: Any) -> None:
    sh = login("inv_sh")
    enrol(sh, "SH-001")
    assert [p["study_id"] for p in sh.get("/api/patients").json()] == ["SH-001"]
    assert "GZ-001" not in sh.get("/patients").text
    assert [p["study_id"] for p in login("monitor").get("/api/patients").json()] == [
        "GZ-001",
        "SH-001",
    ]
    assert login("monitor_sh").get("/api/patients").json()[0]["study_id"] == "SH-001"
    assert login("stat").get("/api/patients").status_code == 403


def test_editing_a_record_of_another_site_is_refused(app: Any, gz_patient: int, login: Any) -> None:
    lab_id = login("inv_gz").get(f"/api/patients/{gz_patient}").json()["labs"][0]["id"]
    sh = login("inv_sh")
    assert sh.get(f"/records/labs/{lab_id}/edit").status_code == 403
    r = sh.put(
        f"/api/labs/{lab_id}",
        json={"version": 1, "reason": "x", "changes": {"value_entered": 9}},
        headers={"X-CSRF-Token": sh.csrf},
    )
    assert r.status_code == 403


def test_anonymous_requests_go_to_login_or_get_401(app: Any) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="https://testserver")
    r = c.get("/patients", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/api/patients").status_code == 401
    assert c.get("/dashboard", follow_redirects=False).status_code == 303
    # the API's schema is for signed-in users; no Swagger UI (it would load a CDN's scripts)
    assert c.get("/openapi.json", follow_redirects=False).status_code == 303
    assert c.get("/api/docs").status_code in (401, 404)


# ------------------------------------------------------------------------------------- CSRF


def test_form_post_without_csrf_token_is_refused_and_nothing_saved(login: Any) -> None:
    c = login("inv_gz")
    r = c.post("/patients/new", data={**ELIGIBLE, "study_id": "GZ-X"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post(
        "/patients/new",
        data={**ELIGIBLE, "study_id": "GZ-X", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert c.get("/api/patients").json() == []


def test_api_post_without_csrf_header_is_refused(login: Any, gz_patient: int) -> None:
    c = login("inv_gz")
    r = c.post(f"/api/patients/{gz_patient}/labs", json=LAB)
    assert r.status_code == 403
    r = c.post(f"/api/patients/{gz_patient}/labs", json=LAB, headers={"X-CSRF-Token": "x"})
    assert r.status_code == 403
    r = c.post(f"/api/patients/{gz_patient}/labs", json=LAB, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201


def test_login_and_logout_need_the_csrf_token(app: Any) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="https://testserver")
    r = c.post("/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    signed = sign_in(app, "admin")
    assert signed.post("/logout", follow_redirects=False).status_code == 403
    assert signed.get("/api/me").status_code == 200  # still signed in


# -------------------------------------------------------------------------------- injection

PAYLOADS = (
    "<script>alert('x')</script>",
    "'; DROP TABLE patients; --",
    '" onmouseover="alert(1)" x="',
)

#: (form, field): every free-text field of the forms (an adverse event's term is not free text: it
#: must be a CTCAE v4.03 term, see the test below)
FREE_TEXT = [
    ("deviations", "category"),
    ("deviations", "description"),
    ("followups", "cause_of_death"),
    ("withdrawals", "reason"),
]
BASE_VALUES = {
    "adverse_events": {
        "grade": "2",
        "onset_date": "2026-01-20",
        "attribution": "possible",
        "serious": "false",
        "term": "Fatigue",
    },
    "deviations": {
        "deviation_date": "2026-01-20",
        "category": "visit_window",
        "severity": "minor",
        "description": "late visit",
    },
    "followups": {"contact_date": "2026-01-20", "vital_status": "dead", "cause_of_death": "x"},
    "withdrawals": {"withdrawal_date": "2026-01-20", "kind": "other", "reason": "moved"},
}
API_KEY = {
    "adverse_events": "adverse_events",
    "deviations": "deviations",
    "followups": "followups",
    "withdrawals": "withdrawal",
}


@pytest.mark.parametrize(("slug", "field"), FREE_TEXT, ids=[f"{s}.{f}" for s, f in FREE_TEXT])
@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "sql", "attribute"])
def test_injection_in_free_text_is_stored_verbatim_and_shown_escaped(
    login: Any, gz_patient: int, slug: str, field: str, payload: str
) -> None:
    c = login("inv_gz")
    r = post_form(c, f"/patients/{gz_patient}/{slug}/new", {**BASE_VALUES[slug], field: payload})
    assert r.status_code == 303, r.text[:1000]
    data = c.get(f"/api/patients/{gz_patient}").json()
    saved = data[API_KEY[slug]]
    saved = saved[-1] if isinstance(saved, list) else saved
    assert saved[field] == payload  # stored as text, byte for byte
    assert len(c.get("/api/patients").json()) == 1  # the patients table is still there
    pages = [
        c.get(f"/patients/{gz_patient}").text,
        login("monitor").get(f"/patients/{gz_patient}/audit").text,
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert '" onmouseover="alert(1)' not in html
    assert "&lt;script&gt;" in pages[1] or payload != PAYLOADS[0]


@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "sql", "attribute"])
def test_injection_in_the_adverse_event_term_is_refused_beside_the_field_and_inert(
    login: Any, gz_patient: int, payload: str
) -> None:
    # the term is a controlled vocabulary (CTCAE v4.03): a payload is not a term, so the form is
    # shown again with the error beside the term, escaped, and nothing is saved
    c = login("inv_gz")
    before = c.get(f"/api/patients/{gz_patient}").json()["adverse_events"]
    values = {**BASE_VALUES["adverse_events"], "term": payload}
    r = post_form(c, f"/patients/{gz_patient}/adverse_events/new", values)
    assert r.status_code == 422 and 'id="error-term"' in r.text
    assert "<script>alert" not in r.text and '" onmouseover="alert(1)' not in r.text
    assert c.get(f"/api/patients/{gz_patient}").json()["adverse_events"] == before


@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "sql", "attribute"])
def test_injection_in_screening_notes_reason_and_study_id_is_inert(
    login: Any, payload: str
) -> None:
    c = login("inv_gz")
    r = post_form(c, "/patients/new", {**ELIGIBLE, "study_id": payload})
    assert r.status_code == 422 and 'id="error-study_id"' in r.text
    assert "<script>alert" not in r.text
    pid = enrol(c, "GZ-N", notes=payload)
    assert c.get(f"/api/patients/{pid}").json()["screening"]["notes"] == payload
    html = c.get(f"/patients/{pid}").text
    assert "<script>alert" not in html and '" onmouseover="alert(1)' not in html
    lab = c.get(f"/api/patients/{pid}").json()["labs"][0]
    r = post_form(
        c,
        f"/records/labs/{lab['id']}/edit",
        {"value_entered": str(lab["value_entered"] + 0.1), "version": "1", "reason": payload},
    )
    assert r.status_code == 303
    trail = login("monitor").get(f"/api/patients/{pid}/audit").json()
    assert trail[-1]["reason"] == payload
    assert "<script>alert" not in login("monitor").get(f"/patients/{pid}/audit").text


def test_pages_send_a_content_security_policy(login: Any) -> None:
    r = login("inv_gz").get("/patients")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


# ---------------------------------------------------------------------- login, cookie, hash


def _login_attempt(app: Any, password: str) -> int:
    import re

    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="https://testserver")
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token is not None
    r = c.post(
        "/login",
        data={"username": "inv_gz", "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    return r.status_code


def test_failed_logins_are_rate_limited(app: Any) -> None:
    from datetime import UTC, datetime, timedelta

    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    app.state.web.clock = lambda: now[0]
    # 5 failures within 15 minutes: the 6th attempt is refused even with the right password,
    # and locks the account for 60 s (the first lockout)
    assert [_login_attempt(app, "wrong password!") for _ in range(5)] == [401] * 5
    assert _login_attempt(app, PASSWORD) == 429
    now[0] += timedelta(seconds=61)  # the lockout has passed
    assert _login_attempt(app, PASSWORD) == 303


def test_session_cookie_is_secure_httponly_samesite_strict(app: Any) -> None:
    import re

    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="https://testserver")
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token is not None
    r = c.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"].lower()
    assert "hcctrial_session=" in cookie
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_passwords_are_stored_as_argon2id_hashes(web_db: str) -> None:
    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session
    from hcctrial.web.security import password_hasher, verify_password
    from tests.web.conftest import web_settings

    engine = make_engine(web_db)
    with open_session(engine) as s:
        h = s.scalars(select(m.User.password_hash).where(m.User.username == "admin")).one()
    engine.dispose()
    hasher = password_hasher(web_settings(web_db))
    assert h is not None and h.startswith("$argon2id$") and PASSWORD not in h
    assert verify_password(hasher, h, PASSWORD)
    assert not verify_password(hasher, h, PASSWORD + "x")


def test_a_disabled_account_loses_its_session(app: Any, login: Any) -> None:
    from sqlalchemy import select

    from hcctrial.services.accounts import set_user_active
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import open_session

    c = login("coord_gz")
    assert c.get("/api/me").status_code == 200
    with open_session(app.state.web.engine) as s:
        u = s.scalars(select(m.User).where(m.User.username == "coord_gz")).one()
        uow = UnitOfWork(s, Actor.system("admin"))
        set_user_active(uow, u.id, False, expected_version=u.version, reason="left the trial")
    assert c.get("/api/me").status_code == 401
