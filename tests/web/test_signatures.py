"""Electronic signatures as an inspector tries them (21 CFR 11.50, 11.70, 11.200): an
investigator signs a record or a casebook by re-entering the password and choosing the meaning;
name, UTC time and meaning are stored, shown on the patient page and in the audit trail; a wrong
password, another role, another site sign nothing; a change of a signed record (through any door)
marks its signature "changed after signing" and the page asks for a new one, while the signature
of a record that did not change stays valid.

Runs on SQLite and PostgreSQL (the web fixtures).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.test_every_door import LAB, _api, _audit_head, _setup, _write_files


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json=body, headers={"X-CSRF-Token": client.csrf})


def _statuses(client: Any, patient_id: int) -> dict[tuple[str | None, int | None], list[str]]:
    """(table, record id) -> the statuses of its signatures, newest first."""
    r = client.get(f"/api/patients/{patient_id}/signatures")
    assert r.status_code == 200, r.text
    out: dict[tuple[str | None, int | None], list[str]] = {}
    for s in r.json()["signatures"]:
        out.setdefault((s["table_name"], s["record_id"]), []).append(s["status"])
    return out


def test_who_may_sign_and_a_wrong_password_signs_nothing(
    app: Any, login: Callable[[str], Any], web_db: str
) -> None:
    ids = _setup(web_db)
    scan = f"/api/imaging/{ids['gz_scan']}/sign"
    good = {"password": PASSWORD, "meaning": "reviewed_and_approved"}
    head = _audit_head(web_db)
    answers = {}
    for who, body in (
        ("inv_gz", {**good, "password": "not my password"}),
        ("coord_gz", good),  # a coordinator does not sign
        ("admin", good),  # nor does an admin: a signature is the investigator's
        ("monitor", good),
        ("inv_gz", {**good, "meaning": "looked at it"}),
    ):
        r = _post(login(who), scan, body)
        answers[(who, body["password"] == PASSWORD, body["meaning"])] = (
            r.status_code,
            r.json().get("rule"),
        )
    r = _post(login("inv_sh"), scan, good)  # another site's patient
    answers[("inv_sh", True, "reviewed_and_approved")] = (r.status_code, None)
    assert answers == {
        ("inv_gz", False, "reviewed_and_approved"): (403, "PASSWORD-REENTERED"),
        ("coord_gz", True, "reviewed_and_approved"): (403, "AUTH-ROLE"),
        ("admin", True, "reviewed_and_approved"): (403, "AUTH-ROLE"),
        ("monitor", True, "reviewed_and_approved"): (403, "AUTH-ROLE"),
        ("inv_gz", True, "looked at it"): (422, "SIGN-RECORD"),
        ("inv_sh", True, "reviewed_and_approved"): (403, None),
    }
    assert _audit_head(web_db) == head  # nothing written


def test_signing_then_changing_a_signed_record_asks_for_a_new_signature(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _setup(web_db)
    gz, scan, lesion = ids["gz"], ids["gz_scan"], ids["gz_lesion"]
    c = login("inv_gz")
    before = datetime.now(UTC) - timedelta(seconds=5)
    r = _post(c, f"/api/imaging/{scan}/sign", {"password": PASSWORD, "meaning": "authored"})
    assert r.status_code == 201, r.text
    r = _post(
        c, f"/api/cycles/{ids['gz_cycle']}/sign", {"password": PASSWORD, "meaning": "authored"}
    )
    assert r.status_code == 201, r.text
    # the casebook, through the patient page's form
    form = {"target": "casebook", "meaning": "reviewed_and_approved", "password": PASSWORD}
    r = c.post(f"/patients/{gz}/sign", data={**form, "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text

    sigs = c.get(f"/api/patients/{gz}/signatures").json()["signatures"]
    assert [
        (s["scope"], s["table_name"], s["meaning"], s["signer"], s["status"]) for s in sigs
    ] == [
        ("casebook", None, "reviewed_and_approved", "inv_gz", "signed"),
        ("record", "treatment_cycles", "authored", "inv_gz", "signed"),
        ("record", "imaging_assessments", "authored", "inv_gz", "signed"),
    ]
    signed_at = datetime.fromisoformat(sigs[0]["signed_at"])
    assert signed_at.utcoffset() == timedelta(0)  # UTC, with its offset
    assert before <= signed_at <= datetime.now(UTC)
    page = c.get(f"/patients/{gz}").text
    assert "reviewed and approved" in page and "inv_gz" in page
    assert "changed after signing" not in page
    # the edit page of a lesion of the signed scan says what a change would do
    edit = c.get(f"/records/lesions/{lesion}/edit").text
    assert "inv_gz signed this form (authored" in edit
    assert "inv_gz signed the casebook (reviewed and approved" in edit
    assert "a new signature is needed" in edit

    # a lesion of the signed scan changes: the scan's and the casebook's signatures are stale,
    # the cycle's (not changed) stays valid
    change = {"version": 1, "reason": "remeasured on review", "changes": {"diameter_mm": 45}}
    r = c.put(f"/api/lesions/{lesion}", json=change, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 200, r.text
    assert _statuses(c, gz) == {
        (None, None): ["changed_after_signing"],
        ("treatment_cycles", ids["gz_cycle"]): ["signed"],
        ("imaging_assessments", scan): ["changed_after_signing"],
    }
    page = c.get(f"/patients/{gz}").text
    assert "changed after signing: a new signature is needed" in page
    assert page.count('class="mark changed-after-signing"') == 1  # the scan, in the timeline
    assert page.count('class="mark signed"') == 1  # the cycle

    # the audit trail shows the signatures and why they became stale
    trail = c.get(f"/api/patients/{gz}/audit").json()
    sig_entries = [
        (e["actor"], e["action"], e["reason"]) for e in trail if e["table"] == "signatures"
    ]
    assert (
        "inv_gz",
        "insert",
        f"electronic signature (authored) of the imaging_assessments id {scan}",
    ) in sig_entries
    assert (
        sig_entries.count(
            ("inv_gz", "update", "changed after signing: amend a record: remeasured on review")
        )
        == 2
    )

    # a new signature of the casebook; then a lab imported from a file changes the casebook
    r = _post(
        c, f"/api/patients/{gz}/sign", {"password": PASSWORD, "meaning": "reviewed and approved"}
    )
    assert r.status_code == 201, r.text
    assert _statuses(c, gz)[(None, None)] == ["signed", "changed_after_signing"]
    _write_files(tmp_path / "f", {"lab_results": [{"id": 900_001, "patient_id": gz} | LAB]})
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))  # the password on stdin
    out = cli("import", tmp_path / "f", "--database", web_db, "--user", "inv_gz")
    assert out.exit_code == 0, out.stderr
    assert _statuses(c, gz)[(None, None)] == ["changed_after_signing", "changed_after_signing"]
    # another patient's signature is untouched by GZ-1's changes
    s = login("inv_sh")
    sh = ids["sh"]
    assert (
        _post(
            s, f"/api/patients/{sh}/sign", {"password": PASSWORD, "meaning": "authored"}
        ).status_code
        == 201
    )
    r = _post(c, f"/api/patients/{gz}/labs", _api(LAB) | {"value_entered": 151})
    assert r.status_code == 201, r.text
    assert _statuses(s, sh) == {(None, None): ["signed"]}
    assert cli("audit", "verify", "--database", web_db).exit_code == 0


def test_nothing_is_signed_or_locked_while_the_database_is_locked(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    monkeypatch: Any,
) -> None:
    from tests.web.test_locks import add_account, lock_cli

    ids = _setup(web_db)
    add_account(web_db, "dm", "data_manager")
    assert lock_cli(cli, monkeypatch, "lock", web_db, "dm", "final analysis").exit_code == 0
    head = _audit_head(web_db)
    inv, dm = login("inv_gz"), login("dm")
    page = inv.get(f"/patients/{ids['gz']}").text
    assert "The database is locked for analysis" in page and "final analysis" in page
    r = _post(inv, f"/api/patients/{ids['gz']}/sign", {"password": PASSWORD, "meaning": "authored"})
    assert (r.status_code, r.json()["rule"]) == (409, "DATABASE-LOCKED")
    r = _post(dm, f"/api/patients/{ids['gz']}/lock", {"reason": "casebook complete"})
    assert (r.status_code, r.json()["rule"]) == (409, "DATABASE-LOCKED")
    assert _audit_head(web_db) == head
