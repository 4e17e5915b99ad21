"""Locks as an inspector tries them: a database locked with ``hcctrial lock`` refuses every
write through every door -- web form, JSON API (new record, amendment, deletion), CSV import,
REDCap import, the command line's ``user add`` -- with the rule DATABASE-LOCKED and nothing
written (the audit chain's head does not move); ``hcctrial unlock`` needs an admin, the admin's
password and a reason. Record and casebook locks refuse the writes they cover, the same way.

Runs on SQLite and PostgreSQL (the web fixtures).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_admin
from tests.web.conftest import PASSWORD
from tests.web.test_every_door import LAB, _api, _audit_head, _setup, _write_files


def add_account(url: str, username: str, role: str) -> None:
    """An account of ``role`` (spanning sites) with the test password, through the services."""
    from hcctrial.services.accounts import add_user
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.session import make_engine, open_session
    from hcctrial.web.security import hash_password, password_hasher
    from tests.web.conftest import web_settings

    settings = web_settings(url)
    hasher = password_hasher(settings)
    engine = make_engine(url)
    with open_session(engine) as s:
        add_user(
            UnitOfWork(s, Actor.system("test"), settings=settings),
            username=username,
            role=role,
            site_id=None,
            password=PASSWORD,
            hash_password=lambda pw: hash_password(hasher, pw),
            reason="setup",
        )
    engine.dispose()


def run_with_password(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, password: str, *args: object
) -> Any:
    """Run ``hcctrial ARGS`` with ``password`` on stdin (one line)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return cli(*args)


def lock_cli(
    cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    url: str,
    user: str,
    reason: str,
    password: str = PASSWORD,
) -> Any:
    """``hcctrial lock|unlock --database URL --user USER --reason REASON --json``, the password
    on stdin."""
    args = (command, "--database", url, "--user", user, "--reason", reason, "--json")
    return run_with_password(cli, monkeypatch, password, *args)


def _redcap_files(tmp_path: Path, cli: Callable[..., Any]) -> tuple[Path, Path]:
    from tests.interop.test_redcap import _hand_made

    folder = tmp_path / "redcap"
    folder.mkdir()
    return _hand_made(folder, cli)


def test_a_locked_database_refuses_every_door_and_only_an_admin_unlocks_it(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _setup(web_db)
    add_account(web_db, "dm", "data_manager")
    admin = cli_admin(web_db, "admin")  # an admin's API token, issued before the lock
    gz = ids["gz"]
    c = login("inv_gz")
    redcap = _redcap_files(tmp_path, cli)

    # a wrong password locks nothing
    out = lock_cli(cli, monkeypatch, "lock", web_db, "dm", "freeze", "not the password")
    assert (out.exit_code, "[PASSWORD-REENTERED]" in out.stderr) == (2, True), out.stderr
    # an investigator may not lock
    out = lock_cli(cli, monkeypatch, "lock", web_db, "inv_gz", "freeze")
    assert (out.exit_code, "[AUTH-ROLE]" in out.stderr) == (2, True), out.stderr
    r = c.post(f"/api/patients/{gz}/labs", json=_api(LAB), headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201, r.text  # still open

    out = lock_cli(cli, monkeypatch, "lock", web_db, "dm", "freeze for the final analysis")
    assert out.exit_code == 0, out.stderr
    assert out.json()["locked"] is True and out.json()["locked_by"] == "dm"
    head = _audit_head(web_db)

    answers = {}
    lab2 = LAB | {"value_entered": "150"}
    r = c.post(f"/patients/{gz}/labs/new", data={**lab2, "csrf_token": c.csrf})
    answers["form"] = (r.status_code, "[DATABASE-LOCKED]" in r.text)
    r = c.post(f"/api/patients/{gz}/labs", json=_api(lab2), headers={"X-CSRF-Token": c.csrf})
    answers["api new"] = (r.status_code, r.json().get("rule") == "DATABASE-LOCKED")
    lesion = {"version": 1, "reason": "remeasured", "changes": {"diameter_mm": 45}}
    r = c.put(f"/api/lesions/{ids['gz_lesion']}", json=lesion, headers={"X-CSRF-Token": c.csrf})
    answers["api amend"] = (r.status_code, r.json().get("rule") == "DATABASE-LOCKED")
    r = c.request(
        "DELETE",
        f"/api/lesions/{ids['gz_lesion']}",
        json={"version": 1, "reason": "wrong lesion"},
        headers={"X-CSRF-Token": c.csrf},
    )
    answers["api delete"] = (r.status_code, r.json().get("rule") == "DATABASE-LOCKED")
    _write_files(tmp_path / "files", {"lab_results": [{"id": 900_001, "patient_id": gz} | lab2]})
    out = run_with_password(
        cli,
        monkeypatch,
        PASSWORD,
        "import",
        tmp_path / "files",
        "--database",
        web_db,
        "--user",
        "inv_gz",
    )
    answers["csv import"] = (out.exit_code, "[DATABASE-LOCKED]" in out.stderr)
    records, dictionary = redcap
    redcap_args = ("import", records, "--format=redcap", f"--dictionary={dictionary}")
    out = run_with_password(
        cli, monkeypatch, PASSWORD, *redcap_args, "--database", web_db, "--user", "inv_gz"
    )
    answers["redcap import"] = (out.exit_code, "[DATABASE-LOCKED]" in out.stderr)
    user_add = ("user", "add", "--username=newcomer", "--role=monitor", "--password-stdin")
    out = run_with_password(cli, monkeypatch, PASSWORD, *user_add, "--database", web_db, *admin)
    answers["cli user add"] = (out.exit_code, "[DATABASE-LOCKED]" in out.stderr)
    assert answers == {
        "form": (409, True),
        "api new": (409, True),
        "api amend": (409, True),
        "api delete": (409, True),
        "csv import": (2, True),
        "redcap import": (2, True),
        "cli user add": (2, True),
    }
    assert _audit_head(web_db) == head  # nothing written by any door

    # unlocking: not by the data manager, not without a reason, not with a wrong password
    for user, password, reason, rule in (
        ("dm", PASSWORD, "analysis done", "AUTH-ROLE"),
        ("admin", PASSWORD, " ", "REASON-REQUIRED"),
        ("admin", "guess", "analysis done", "PASSWORD-REENTERED"),
        ("ghost", PASSWORD, "analysis done", "PASSWORD-REENTERED"),
    ):
        out = lock_cli(cli, monkeypatch, "unlock", web_db, user, reason, password)
        assert (out.exit_code, f"[{rule}]" in out.stderr) == (2, True), (user, out.stderr)
    assert _audit_head(web_db) == head
    out = lock_cli(cli, monkeypatch, "unlock", web_db, "admin", "query after the analysis")
    assert out.exit_code == 0, out.stderr
    r = c.post(f"/api/patients/{gz}/labs", json=_api(lab2), headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201, r.text  # open again
    assert cli("audit", "verify", "--database", web_db).exit_code == 0


def test_lock_and_unlock_are_in_the_audit_trail_with_who_and_why(
    web_db: str, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    add_account(web_db, "dm", "data_manager")
    for command, user, reason in (
        ("lock", "dm", "database lock for the primary analysis"),
        ("unlock", "admin", "late query on GZ-1"),
    ):
        out = lock_cli(cli, monkeypatch, command, web_db, user, reason)
        assert out.exit_code == 0, out.stderr
    engine = make_engine(web_db)
    with open_session(engine) as s:
        entries = (
            s.execute(
                select(m.AuditEntry)
                .where(m.AuditEntry.table_name == "locks")
                .order_by(m.AuditEntry.seq)
            )
            .scalars()
            .all()
        )
        trail = [(e.actor, e.action.value, e.reason) for e in entries]
        last = json.loads(entries[-1].new_values or "{}")
    engine.dispose()
    assert trail == [
        ("dm", "insert", "lock: database lock for the primary analysis"),
        ("admin", "update", "unlock: late query on GZ-1"),
    ]
    assert (last["active"], last["unlocked_by"], last["unlock_reason"]) == (
        False,
        "admin",
        "late query on GZ-1",
    )


def test_an_account_can_still_be_disabled_while_the_database_is_locked(
    web_db: str, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from hcctrial.errors import StateConflictError
    from hcctrial.services.accounts import set_user_active
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    add_account(web_db, "dm", "data_manager")
    out = lock_cli(cli, monkeypatch, "lock", web_db, "dm", "x")
    assert out.exit_code == 0, out.stderr
    engine = make_engine(web_db)
    with open_session(engine) as s:
        user = s.scalars(select(m.User).where(m.User.username == "coord_gz")).one()
        uow = UnitOfWork(s, Actor.system("admin"))
        with pytest.raises(StateConflictError, match="DATABASE-LOCKED"):
            set_user_active(uow, user.id, True, expected_version=user.version, reason="enable")
        set_user_active(uow, user.id, False, expected_version=user.version, reason="left")
    with open_session(engine) as s:
        assert s.scalars(select(m.User.active).where(m.User.username == "coord_gz")).one() is False
    engine.dispose()


def test_a_locked_record_refuses_changes_of_its_form_until_unlocked_with_a_reason(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _setup(web_db)
    add_account(web_db, "dm", "data_manager")
    scan, lesion = ids["gz_scan"], ids["gz_lesion"]
    dm, inv = login("dm"), login("inv_gz")
    h = {"X-CSRF-Token": inv.csrf}
    r = inv.post(f"/api/imaging/{scan}/lock", json={"reason": "x"}, headers=h)
    assert (r.status_code, r.json()["rule"]) == (403, "AUTH-ROLE")  # investigators do not lock
    r = dm.post(f"/api/imaging/{scan}/lock", json={"reason": "SDV done"}, headers=_h(dm))
    assert r.status_code == 201, r.text
    r = dm.post(f"/api/imaging/{scan}/lock", json={"reason": "again"}, headers=_h(dm))
    assert (r.status_code, r.json()["rule"]) == (409, "LOCK-STATE")
    head = _audit_head(web_db)

    answers = {}
    change = {"version": 1, "reason": "remeasured", "changes": {"diameter_mm": 45}}
    r = inv.put(f"/api/lesions/{lesion}", json=change, headers=h)
    answers["api amend a lesion of the scan"] = (r.status_code, r.json().get("rule"))
    r = inv.put(
        f"/api/imaging/{scan}",
        json={"version": 1, "reason": "r", "changes": {"afp_ng_ml": 12}},
        headers=h,
    )
    answers["api amend the scan"] = (r.status_code, r.json().get("rule"))
    new_lesion = {"lesion_id": "T2", "kind": "target", "organ": "liver", "diameter_mm": "20"}
    r = inv.post(
        f"/records/imaging/{scan}/lesions/new",
        data={**new_lesion, "reason": "missed", "csrf_token": inv.csrf},
    )
    answers["form adds a lesion"] = (r.status_code, "[RECORD-LOCKED]" in r.text)
    rows = {"lesion_measurements": [{"id": 900_001, "imaging_id": scan} | new_lesion]}
    _write_files(tmp_path / "files", rows)
    out = run_with_password(
        cli,
        monkeypatch,
        PASSWORD,
        "import",
        tmp_path / "files",
        "--database",
        web_db,
        "--user",
        "inv_gz",
    )
    answers["import adds a lesion"] = (out.exit_code, "[RECORD-LOCKED]" in out.stderr)
    assert answers == {
        "api amend a lesion of the scan": (409, "RECORD-LOCKED"),
        "api amend the scan": (409, "RECORD-LOCKED"),
        "form adds a lesion": (409, True),
        "import adds a lesion": (2, True),
    }
    assert _audit_head(web_db) == head
    edit = inv.get(f"/records/lesions/{lesion}/edit").text
    assert "This form is locked" in edit and "SDV done" in edit
    # the rest of the casebook is open
    r = inv.post(f"/api/patients/{ids['gz']}/labs", json=_api(LAB), headers=h)
    assert r.status_code == 201, r.text

    r = dm.post(f"/api/imaging/{scan}/unlock", json={"reason": " "}, headers=_h(dm))
    assert (r.status_code, r.json()["rule"]) == (422, "REASON-REQUIRED")
    r = dm.post(f"/api/imaging/{scan}/unlock", json={"reason": "query on T1"}, headers=_h(dm))
    assert r.status_code == 200, r.text
    r = inv.put(f"/api/lesions/{lesion}", json=change, headers=h)
    assert r.status_code == 200, r.text


def _h(client: Any) -> dict[str, str]:
    return {"X-CSRF-Token": client.csrf}


def test_a_locked_casebook_refuses_every_record_of_the_patient(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _setup(web_db)
    add_account(web_db, "dm", "data_manager")
    gz, sh = ids["gz"], ids["sh"]
    dm, inv = login("dm"), login("inv_gz")
    form = {"target": "casebook", "reason": "casebook complete", "csrf_token": dm.csrf}
    r = dm.post(f"/patients/{gz}/lock", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = dm.get(f"/patients/{gz}").text
    assert "Locked: the casebook" in page and "casebook complete" in page
    head = _audit_head(web_db)

    answers = {}
    r = inv.post(f"/patients/{gz}/labs/new", data={**LAB, "csrf_token": inv.csrf})
    answers["form new lab"] = (r.status_code, "[RECORD-LOCKED]" in r.text)
    r = inv.post(f"/api/patients/{gz}/labs", json=_api(LAB), headers=_h(inv))
    answers["api new lab"] = (r.status_code, r.json().get("rule"))
    r = inv.request(
        "DELETE",
        f"/api/lesions/{ids['gz_lesion']}",
        json={"version": 1, "reason": "duplicate"},
        headers=_h(inv),
    )
    answers["api delete"] = (r.status_code, r.json().get("rule"))
    _write_files(tmp_path / "files", {"lab_results": [{"id": 900_001, "patient_id": gz} | LAB]})
    out = run_with_password(
        cli,
        monkeypatch,
        PASSWORD,
        "import",
        tmp_path / "files",
        "--database",
        web_db,
        "--user",
        "inv_gz",
    )
    answers["import"] = (out.exit_code, "[RECORD-LOCKED]" in out.stderr)
    assert answers == {
        "form new lab": (409, True),
        "api new lab": (409, "RECORD-LOCKED"),
        "api delete": (409, "RECORD-LOCKED"),
        "import": (2, True),
    }
    assert _audit_head(web_db) == head
    # another patient is not locked
    s = login("inv_sh")
    r = s.post(f"/api/patients/{sh}/labs", json=_api(LAB), headers=_h(s))
    assert r.status_code == 201, r.text
    # unlock through the page (reason required), then the lab is accepted
    form = {"target": "casebook", "reason": "", "csrf_token": dm.csrf}
    assert dm.post(f"/patients/{gz}/unlock", data=form).status_code == 422
    form["reason"] = "late lab result"
    assert dm.post(f"/patients/{gz}/unlock", data=form, follow_redirects=False).status_code == 303
    r = inv.post(f"/api/patients/{gz}/labs", json=_api(LAB), headers=_h(inv))
    assert r.status_code == 201, r.text
    assert cli("audit", "verify", "--database", web_db).exit_code == 0
