"""User management by admins (/admin/users): list, create with role and site, disable/enable, reset
the password — CSRF-protected, argon2 hashes, audited through the service layer, 403 to others.

Expected values come from the rules in docs/web.md and hcctrial.web.routes_admin's docstring
(the same rules as ``hcctrial user add``), not from running the code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, USERS, sign_in
from tests.web.flows import enrol, post_form

NEW_PASSWORD = "a brand new passphrase"


def _users(app: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import open_session

    with open_session(app.state.web.engine) as s:
        return {
            u.username: (u.id, u.version, u.role.value, u.site_id, u.active, u.password_hash)
            for u in s.scalars(select(m.User))
        }


def _user_audit(app: Any, user_id: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(action, actor, reason, new values) of every audit entry of user ``user_id``."""
    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import open_session

    with open_session(app.state.web.engine) as s:
        rows = s.scalars(
            select(m.AuditEntry)
            .where(m.AuditEntry.table_name == "users", m.AuditEntry.row_pk == str(user_id))
            .order_by(m.AuditEntry.seq)
        )
        return [(e.action.value, e.actor, e.reason, json.loads(e.new_values or "{}")) for e in rows]


def _site_id(app: Any, code: str) -> int:
    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import open_session

    with open_session(app.state.web.engine) as s:
        return int(s.scalars(select(m.Site.id).where(m.Site.code == code)).one())


NEW_NURSE = {
    "username": "nurse_sh",
    "full_name": "Li Na",
    "role": "coordinator",
    "password": NEW_PASSWORD,
    "reason": "",
}


def test_only_admins_manage_users(app: Any, login: Any) -> None:
    admin = login("admin")
    html = admin.get("/admin/users").text
    for username in USERS:
        assert f'id="user-{username}"' in html
    assert 'id="nav-users"' in html
    before = _users(app)
    target = before["inv_gz"]
    # every other role: the page and each write are refused (403) and nothing changes
    for username in ("inv_gz", "coord_gz", "monitor", "monitor_sh", "stat"):
        c = login(username)
        assert c.get("/admin/users").status_code == 403, username
        assert 'id="nav-users"' not in c.get("/dashboard").text
        form = {**NEW_NURSE, "username": f"x_{username}", "site_id": ""}
        assert post_form(c, "/admin/users/new", form).status_code == 403
        active = {"version": str(target[1]), "active": "false", "reason": "r"}
        assert post_form(c, f"/admin/users/{target[0]}/active", active).status_code == 403
        reset = {"version": str(target[1]), "password": NEW_PASSWORD, "reason": "r"}
        assert post_form(c, f"/admin/users/{target[0]}/password", reset).status_code == 403
    assert _users(app) == before


def test_user_forms_need_the_csrf_token(app: Any, login: Any) -> None:
    admin = login("admin")
    before = _users(app)
    r = admin.post("/admin/users/new", data={**NEW_NURSE, "site_id": ""}, follow_redirects=False)
    assert r.status_code == 403
    uid, version = before["inv_gz"][:2]
    r = admin.post(
        f"/admin/users/{uid}/active",
        data={"version": str(version), "active": "false", "reason": "r", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert _users(app) == before


def test_admin_creates_a_user_with_role_and_site_who_can_sign_in(app: Any, login: Any) -> None:
    admin = login("admin")
    sh = _site_id(app, "SH")
    r = post_form(admin, "/admin/users/new", {**NEW_NURSE, "site_id": str(sh)})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    uid, version, role, site_id, active, pw_hash = _users(app)["nurse_sh"]
    assert (version, role, site_id, active) == (1, "coordinator", sh, True)
    # argon2id hash with its parameters and salt; the password itself is nowhere
    assert pw_hash.startswith("$argon2id$") and NEW_PASSWORD not in pw_hash
    ((action, actor, reason, new),) = _user_audit(app, uid)
    assert (action, actor) == ("insert", "admin") and reason
    assert NEW_PASSWORD not in json.dumps(new)
    # the new coordinator signs in and sees only site SH's patients
    enrol(login("inv_sh"), "SH-001")
    enrol(login("inv_gz"), "GZ-001")
    nurse = sign_in(app, "nurse_sh", NEW_PASSWORD)
    me = nurse.get("/api/me").json()
    assert (me["role"], me["site_id"]) == ("coordinator", sh)
    assert [p["study_id"] for p in nurse.get("/api/patients").json()] == ["SH-001"]
    assert nurse.get("/admin/users").status_code == 403


def test_a_name_with_markup_is_stored_verbatim_and_shown_escaped(app: Any, login: Any) -> None:
    admin = login("admin")
    payload = '<script>alert(1)</script>" onmouseover="alert(1)'
    form = {**NEW_NURSE, "full_name": payload, "site_id": str(_site_id(app, "GZ"))}
    assert post_form(admin, "/admin/users/new", form).status_code == 303
    html = admin.get("/admin/users").text
    assert "<script>alert" not in html and '" onmouseover="alert(1)' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"username": "inv_gz"}, "username", "not already used"),
        ({"username": "no spaces"}, "username", "letters, digits"),
        ({"role": "chef"}, "role", "one of investigator"),
        ({"site_id": ""}, "site_id", "a coordinator works at"),  # a coordinator needs a site
        ({"password": "short"}, "password", "You entered a password of 5 characters"),
    ],
    ids=["username-taken", "username-pattern", "unknown-role", "coordinator-needs-site", "short"],
)
def test_new_user_errors_are_shown_beside_the_field_and_nothing_saved(
    app: Any, login: Any, changes: dict[str, str], field: str, words: str
) -> None:
    admin = login("admin")
    before = _users(app)
    form = {**NEW_NURSE, "site_id": str(_site_id(app, "GZ")), **changes}
    r = post_form(admin, "/admin/users/new", form)
    assert r.status_code == 422
    assert f'id="error-{field}"' in r.text and words in r.text
    assert NEW_PASSWORD not in r.text  # the typed password is not sent back
    assert _users(app) == before


def test_disabling_ends_the_session_and_enabling_restores_sign_in(app: Any, login: Any) -> None:
    admin = login("admin")
    nurse = login("coord_gz")
    uid, version = _users(app)["coord_gz"][:2]
    url = f"/admin/users/{uid}/active"
    # a reason is required; nothing changes without it
    r = post_form(admin, url, {"version": str(version), "active": "false", "reason": " "})
    assert r.status_code == 422 and f'id="error-user-{uid}"' in r.text
    assert _users(app)["coord_gz"][4] is True
    r = post_form(admin, url, {"version": str(version), "active": "false", "reason": "left"})
    assert r.status_code == 303
    assert _users(app)["coord_gz"][1:5:3] == (version + 1, False)
    assert 'id="user-coord_gz" class="inactive"' in admin.get("/admin/users").text
    assert nurse.get("/api/me").status_code == 401  # out at once
    with pytest.raises(AssertionError):
        sign_in(app, "coord_gz")
    # a stale version (someone else saved first) is a conflict, never a lost update
    r = post_form(admin, url, {"version": str(version), "active": "true", "reason": "back"})
    assert r.status_code == 409 and "changed by someone else" in r.text
    assert _users(app)["coord_gz"][4] is False
    r = post_form(admin, url, {"version": str(version + 1), "active": "true", "reason": "back"})
    assert r.status_code == 303
    assert sign_in(app, "coord_gz").get("/api/me").status_code == 200
    trail = _user_audit(app, uid)
    assert [(a, actor, reason, new.get("active")) for a, actor, reason, new in trail[1:]] == [
        ("update", "admin", "left", False),
        ("update", "admin", "back", True),
    ]


def test_an_admin_cannot_disable_their_own_account(app: Any, login: Any) -> None:
    admin = login("admin")
    uid, version = _users(app)["admin"][:2]
    form = {"version": str(version), "active": "false", "reason": "oops"}
    r = post_form(admin, f"/admin/users/{uid}/active", form)
    assert r.status_code == 409 and "cannot disable your own account" in r.text
    assert _users(app)["admin"][4] is True


def test_password_reset_is_hashed_audited_and_ends_old_sessions(app: Any, login: Any) -> None:
    admin = login("admin")
    old_session = login("inv_gz")
    uid, version, *_, old_hash = _users(app)["inv_gz"]
    url = f"/admin/users/{uid}/password"
    r = post_form(admin, url, {"version": str(version), "password": "short", "reason": "r"})
    assert r.status_code == 422 and "Password: you entered a password of 5 characters" in r.text
    form = {"version": str(version), "password": NEW_PASSWORD, "reason": "forgotten"}
    assert post_form(admin, url, form).status_code == 303
    new_hash = _users(app)["inv_gz"][5]
    assert new_hash.startswith("$argon2id$") and new_hash != old_hash
    assert old_session.get("/api/me").status_code == 401  # the password change ends it
    with pytest.raises(AssertionError):
        sign_in(app, "inv_gz", PASSWORD)
    assert sign_in(app, "inv_gz", NEW_PASSWORD).get("/api/me").status_code == 200
    action, actor, reason, new = _user_audit(app, uid)[-1]
    assert (action, actor, reason) == ("update", "admin", "forgotten")
    assert NEW_PASSWORD not in json.dumps(new)
