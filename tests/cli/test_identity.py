"""Every command-line write has an account behind it (issue 16, item 4), tried as an attacker
would: a free-text ``--actor`` with no account, no ``--user``, a wrong password, an unknown
account, a revoked token, another account's token, a non-admin issuing tokens, a second
"first admin". Each is refused (exit 2, rule ACCOUNT-AUTH or AUTH-ROLE) and writes nothing;
the accepted writes are audited under the account's name."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CliResult

ADMIN_PASSWORD = "correct horse battery"
NURSE_PASSWORD = "a long nurse passphrase"


def _count(db: Path, sql: str) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as c:
            return int(c.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def db(cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with admin ``boss`` (the first admin, created without --user) and monitor
    ``nurse`` (created by boss, proven by password); a sites.csv to import in ``set/``."""
    path = tmp_path / "t.sqlite"
    assert cli("init", "--database", path).exit_code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    r = cli("user", "add", "--username", "boss", "--role", "admin", "--password-stdin",
            "--database", path)
    assert r.exit_code == 0, r.stderr
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ADMIN_PASSWORD}\n{NURSE_PASSWORD}\n"))
    r = cli("user", "add", "--user", "boss", "--username", "nurse", "--role", "monitor",
            "--password-stdin", "--database", path)
    assert r.exit_code == 0, r.stderr
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "sites.csv").write_text("id,code,name,country\n7,GZ,Guangzhou,China\n")
    return path


def _refused(r: CliResult, rule: str = "ACCOUNT-AUTH") -> None:
    assert r.exit_code == 2, r.stderr
    assert f"[{rule}]" in r.stderr and "Traceback" not in r.stderr


def test_a_free_text_actor_is_refused_even_with_no_users_at_all(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the issue's finding: "Principal Investigator Dr. Wang" accepted with an empty users table
    path = tmp_path / "empty.sqlite"
    assert cli("init", "--database", path).exit_code == 0
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "sites.csv").write_text("id,code,name,country\n1,GZ,Guangzhou,China\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("anything at all\n"))
    r = cli("import", tmp_path / "set", "--database", path, "--actor",
            "Principal Investigator Dr. Wang")
    _refused(r)
    r = cli("import", tmp_path / "set", "--database", path)  # nobody named: refused too
    _refused(r)
    assert "--user" in r.stderr
    assert _count(path, "SELECT count(*) FROM audit_log") == 0
    assert _count(path, "SELECT count(*) FROM sites") == 0


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(
    cli: Callable[..., CliResult], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _count(db, "SELECT count(*) FROM audit_log")
    answers = []
    for user in ("boss", "nobody"):
        monkeypatch.setattr("sys.stdin", io.StringIO("not the password at all\n"))
        r = cli("import", db.parent / "set", "--database", db, "--user", user)
        _refused(r)
        answers.append(r.stderr.replace(repr(user), "NAME"))
    assert answers[0] == answers[1]  # the answer does not say which of the two it was
    assert _count(db, "SELECT count(*) FROM audit_log") == before


def test_the_account_proven_by_its_password_writes_under_its_name(
    cli: Callable[..., CliResult], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    r = cli("import", db.parent / "set", "--database", db, "--user", "boss", "--json")
    assert r.exit_code == 0, r.stderr
    assert _count(db, "SELECT count(*) FROM audit_log WHERE table_name = 'sites' "
                      "AND actor = 'boss'") == 1
    # --actor is only another spelling of --user: the same account, the same proof
    (db.parent / "set" / "sites.csv").write_text("id,code,name,country\n8,SH,Shanghai,China\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    r = cli("import", db.parent / "set", "--database", db, "--actor", "boss")
    assert r.exit_code == 0, r.stderr


def test_a_disabled_account_is_refused(
    cli: Callable[..., CliResult], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as c:  # as the admin page would leave it (not audited here: a fixture)
        c.execute(text("UPDATE users SET active = 0 WHERE username = 'nurse'"))
    engine.dispose()
    monkeypatch.setattr("sys.stdin", io.StringIO(NURSE_PASSWORD + "\n"))
    _refused(cli("import", db.parent / "set", "--database", db, "--user", "nurse"))


def test_tokens_issued_by_an_admin_work_until_revoked(
    cli: Callable[..., CliResult], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    r = cli("user", "token", "issue", "--user", "boss", "--username", "boss", "--database", db,
            "--json")
    assert r.exit_code == 0, r.stderr
    token = r.json()["token"]
    assert token.startswith("hct_") and len(token) > 40
    # only the token's SHA-256 is stored
    assert _count(db, f"SELECT count(*) FROM api_tokens WHERE token_hash = '{token}'") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # nothing on stdin: the token proves it
    monkeypatch.setenv("HCCTRIAL_TOKEN", token)
    r = cli("import", db.parent / "set", "--database", db, "--user", "boss")
    assert r.exit_code == 0, r.stderr
    # a token proves only the account it was issued to
    _refused(cli("user", "token", "revoke", "--user", "nurse", "--id", "1", "--database", db))
    r = cli("user", "token", "revoke", "--user", "boss", "--id", "1", "--database", db, "--json")
    assert r.exit_code == 0 and r.json() == {"revoked": 1}, r.stderr
    # revoked: refused at once, and nothing written
    before = _count(db, "SELECT count(*) FROM audit_log")
    (db.parent / "set" / "sites.csv").write_text("id,code,name,country\n9,BJ,Beijing,China\n")
    _refused(cli("import", db.parent / "set", "--database", db, "--user", "boss"))
    assert _count(db, "SELECT count(*) FROM audit_log") == before


def test_only_an_admin_issues_tokens(
    cli: Callable[..., CliResult], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(NURSE_PASSWORD + "\n"))
    r = cli("user", "token", "issue", "--user", "nurse", "--username", "nurse", "--database", db)
    _refused(r, "AUTH-ROLE")
    assert _count(db, "SELECT count(*) FROM api_tokens") == 0


def test_the_first_admin_creates_itself_once(
    cli: Callable[..., CliResult], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase\n"))
    r = cli("user", "add", "--username", "mallory", "--role", "admin", "--password-stdin",
            "--database", db)
    _refused(r)  # boss exists: no second self-made admin
    assert "admin already" in r.stderr
    assert _count(db, "SELECT count(*) FROM users WHERE username = 'mallory'") == 0
    assert _count(db, "SELECT count(*) FROM audit_log WHERE actor = 'boss' "
                      "AND table_name = 'users'") == 2  # boss made itself, then nurse


def test_the_first_account_of_an_empty_database_is_an_admin(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "e.sqlite"
    assert cli("init", "--database", path).exit_code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    r = cli("user", "add", "--username", "mon", "--role", "monitor", "--password-stdin",
            "--database", path)
    _refused(r)
    assert "first account" in r.stderr


def test_the_demo_writes_as_a_system_account_named_as_such() -> None:
    from hcctrial.demo.cohort import build_cohort
    from hcctrial.demo.generate import ACTOR, build_records

    users = build_records(build_cohort())["users"]
    (system,) = [u for u in users if u["username"] == ACTOR]
    assert system["full_name"].startswith("system account: ")
    assert system["password_hash"] is None  # it cannot sign in


def test_an_admin_adds_a_second_factor_from_the_command_line(
    cli: Callable[..., CliResult], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyotp

    monkeypatch.setattr("sys.stdin", io.StringIO(NURSE_PASSWORD + "\n"))
    r = cli("user", "totp", "add", "--user", "nurse", "--username", "boss", "--database", db)
    _refused(r, "AUTH-ROLE")  # a monitor adds a factor to its own account only
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    r = cli("user", "totp", "add", "--user", "boss", "--username", "nurse", "--database", db,
            "--json")
    assert r.exit_code == 0, r.stderr
    secret = r.json()["secret"]
    assert r.json()["uri"] == pyotp.TOTP(secret).provisioning_uri(name="nurse",
                                                                   issuer_name="hcctrial")
    assert _count(db, "SELECT count(*) FROM totp_secrets") == 1
