"""The report in the background (issue 19): a progress page (202) until the build is done, the
built file for the same data from the cache (one build per content hash), a new build when the
data change; the trial-wide report is for users who span sites; a site role's dashboard counts
its own site's patients only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.web.flows import add_baseline, enrol, post_form


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _fake_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the (30 s) report build by one that reports two stages and writes a file."""
    calls: list[str] = []

    def builder(state: Any, fmt: str) -> Any:
        def build(out: Path, progress: Any) -> Path:
            calls.append(fmt)
            progress("results", 1, 1)
            time.sleep(0.3)
            progress("figures", 1, 2)
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"report.{fmt}"
            path.write_text(f"report {len(calls)}")
            return path

        return build

    monkeypatch.setattr("hcctrial.web.routes_dashboard._builder", builder)
    return calls


def _wait(client: Any, url: str) -> Any:
    deadline = time.monotonic() + 10
    while True:
        r = client.get(url)
        if r.status_code != 202 or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


def test_built_once_per_content_hash_with_progress(
    app: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fake_builds(monkeypatch)
    admin = login("admin")
    first = admin.get("/report.html")
    assert first.status_code == 202
    assert 'id="report-progress"' in first.text and '<meta http-equiv="refresh"' in first.text
    done = _wait(admin, "/report.html")
    assert (done.status_code, done.text) == (200, "report 1")
    assert admin.get("/report.html").text == "report 1" and calls == ["html"]  # the cache
    site = login("coord_gz")
    enrol(site, "GZ-601")  # the data change: the audit head moves, so does the hash
    assert admin.get("/report.html").status_code == 202
    assert _wait(admin, "/report.html").text == "report 2" and calls == ["html", "html"]
    assert _wait(admin, "/report.docx").status_code == 200 and calls[-1] == "docx"


def test_a_site_role_gets_no_trial_report_and_its_own_sites_dashboard(
    app: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_builds(monkeypatch)
    gz, sh, admin = login("coord_gz"), login("inv_sh"), login("admin")
    add_baseline(gz, enrol(gz, "GZ-602"))
    post_form(gz, "/patients/new", {"study_id": "GZ-603", "screening_date": "2026-01-05"})
    assert gz.get("/report.html").status_code == 403
    assert 'id="report-html"' not in gz.get("/dashboard").text
    import re

    def enrolled(client: Any) -> str:
        return re.search(r'id="enrolled">([^<]*)<', client.get("/dashboard").text).group(1)  # type: ignore[union-attr]

    assert enrolled(admin).startswith("1 /")
    assert enrolled(gz).startswith("1 /")
    assert enrolled(sh).startswith("0 /")  # the GZ patient is not counted at SH
    assert "Your site's patients only." in sh.get("/dashboard").text


def test_a_failed_build_is_shown_in_words_and_tried_again(
    app: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hcctrial.errors import DataValidationError

    attempts: list[int] = []

    def builder(state: Any, fmt: str) -> Any:
        def build(out: Path, progress: Any) -> Path:
            attempts.append(1)
            raise DataValidationError("no patient is analysable yet")

        return build

    monkeypatch.setattr("hcctrial.web.routes_dashboard._builder", builder)
    admin = login("admin")
    r = _wait(admin, "/report.html")
    assert r.status_code == 400 and "no patient is analysable yet" in r.text
    assert 'http-equiv="refresh"' not in r.text
    assert admin.get("/report.html").status_code == 400 and len(attempts) == 1  # shown, kept
    assert admin.get("/report.html?retry=1", follow_redirects=False).status_code == 303
    assert _wait(admin, "/report.html").status_code == 400
    assert len(attempts) == 2  # tried again on request
