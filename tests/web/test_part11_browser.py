"""Signatures and locks as people use them, in Debian's Chromium (Playwright): the investigator
signs a scan on the patient page (password again, meaning chosen) and sees the signature; the
data manager locks the casebook; the investigator's next lab is refused with the lock named; a
screenshot of the section goes to tests/artifacts/part11.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM, _require_browser, live_server
from tests.web.test_every_door import _setup
from tests.web.test_locks import add_account

__all__ = ["live_server"]


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _sign_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/patients")
    return page


@pytest.mark.slow
def test_sign_a_scan_and_lock_the_casebook_on_the_patient_page(
    web_db: str, live_server: str
) -> None:
    sync_playwright = _require_browser()
    ids = _setup(web_db)
    add_account(web_db, "dm", "data_manager")
    gz, base = ids["gz"], live_server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            inv = _sign_in(browser, base, "inv_gz")
            inv.goto(f"{base}/patients/{gz}")
            inv.select_option("#sign-target", f"imaging:{ids['gz_scan']}")
            inv.select_option("#sign-meaning", "reviewed_and_approved")
            inv.fill("#sign-password", PASSWORD)
            inv.click("#sign")
            inv.wait_for_selector("#signatures tr.signed:has-text('reviewed and approved')")
            assert "inv_gz" in inv.inner_text("#signatures")
            assert "signed" in (inv.text_content("#timeline .mark.signed") or "")  # in a folded period

            dm = _sign_in(browser, base, "dm")
            dm.goto(f"{base}/patients/{gz}")
            assert dm.locator("#sign-form").count() == 0  # a data manager does not sign
            dm.select_option("#lock-target", "casebook")
            dm.fill("#lock-reason", "casebook complete")
            dm.click("#lock")
            dm.wait_for_selector("#locks:has-text('Locked: the casebook')")
            dm.locator("#part11").screenshot(path=str(ARTIFACTS / "part11.png"))
            dm.locator("#timeline").screenshot(path=str(ARTIFACTS / "part11_timeline.png"))

            inv.goto(f"{base}/patients/{gz}/labs/new")
            inv.fill("[name='sample_date']", "2026-01-20")
            inv.fill("[name='analyte']", "platelets")
            inv.fill("[name='value_entered']", "140")
            inv.fill("[name='unit_entered']", "x10^9/L")
            inv.click("#save")
            inv.wait_for_selector("text=RECORD-LOCKED")
            assert "casebook complete" in inv.content()
        finally:
            browser.close()
