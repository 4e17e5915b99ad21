"""The web application as a person uses it: Playwright driving Debian's Chromium
(/usr/bin/chromium, never a downloaded browser) against a live uvicorn server on 127.0.0.1.

login -> enrol a patient (screening verdicts appear live) -> baseline -> a cycle (dose sheet
shown) -> labs (CTCAE grade shown) -> an assessment (mRECIST response shown) -> the decision on
the patient page -> the dashboard. Screenshots of the main pages go to tests/artifacts/.
Skipped only when Chromium or Playwright is missing, and never when CI=true.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO
from tests.web.conftest import PASSWORD
from tests.web.flows import BASELINE, ELIGIBLE

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "tests" / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> Any:
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        if in_ci:
            pytest.fail("the playwright package is required in CI")
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():  # pragma: no cover
        if in_ci:
            pytest.fail(f"{CHROMIUM} is required in CI")
        pytest.skip(f"no browser at {CHROMIUM}")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def backend() -> str:
    """The browser flow runs on SQLite only (the TestClient tests cover PostgreSQL)."""
    return "sqlite"


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _fill(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        el = page.locator(f"[name='{name}']")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)


@pytest.mark.slow
def test_nurse_enrols_treats_and_sees_the_decision(live_server: str) -> None:
    sync_playwright = _require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = live_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(10_000)
            # sign in
            page.goto(f"{base}/patients")
            assert page.url.endswith("/login")
            page.fill("#username", "inv_gz")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/patients")
            # screening: verdicts appear as values are typed
            page.click("#new-patient")
            page.fill("#study_id", "GZ-101")
            screening = {k: v for k, v in ELIGIBLE.items() if k != "lab_lvef"}
            _fill(page, screening)
            page.wait_for_selector("#overall:has-text('Cannot decide yet')")
            page.fill("#lab_lvef", "62")
            page.wait_for_selector("#overall:has-text('Eligible')")
            page.screenshot(path=str(ARTIFACTS / "screening.png"), full_page=True)
            page.click("#save")
            page.wait_for_selector("#study-id:has-text('GZ-101')")
            # baseline, with the scores computed live
            page.click("#add-baseline")
            _fill(page, {k: v for k, v in BASELINE.items() if v})
            page.wait_for_selector("#baseline-scores:has-text('Child-Pugh A5')")
            page.click("#save")
            page.wait_for_selector("#action")
            # a cycle: the dose sheet (BSA 1.75 m^2: oxaliplatin 75 x 1.75 = 131 mg)
            page.click("#add-cycle")
            page.wait_for_selector("#dose-oxaliplatin:has-text('131 mg')")
            page.fill("#cycle_date", "2026-01-12")
            page.screenshot(path=str(ARTIFACTS / "cycle.png"), full_page=True)
            page.click("#save")
            page.wait_for_selector("#status:has-text('on treatment')")
            # labs: platelets 40 x10^9/L (LLN 150) is CTCAE grade 3 (<50 - 25)
            page.click("#add-labs")
            _fill(
                page,
                {
                    "sample_date": "2026-02-10",
                    "analyte": "platelets",
                    "value_entered": "40",
                    "unit_entered": "x10^9/L",
                    "lln": "150",
                    "uln": "400",
                },
            )
            page.wait_for_selector("#ctcae-grade:has-text('grade 3')")
            page.screenshot(path=str(ARTIFACTS / "labs.png"), full_page=True)
            page.click("#save")
            page.wait_for_selector("#timeline:has-text('Platelet count decreased: grade 3')")
            # imaging: baseline 52 + 31 mm, then 30 + 20 mm = -39.8 % -> PR
            for day, t1, t2 in (("2026-01-06", "52", "31"), ("2026-02-20", "30", "20")):
                page.click("#add-imaging")
                _fill(
                    page,
                    {
                        "assessment_date": day,
                        "lesion_id_0": "T1",
                        "organ_0": "liver",
                        "diameter_mm_0": t1,
                        "lesion_id_1": "T2",
                        "organ_1": "liver",
                        "diameter_mm_1": t2,
                    },
                )
                if day == "2026-02-20":
                    page.wait_for_selector("#mrecist-response:has-text('PR')")
                    page.screenshot(path=str(ARTIFACTS / "imaging.png"), full_page=True)
                page.click("#save")
                page.wait_for_selector("#next-step")
            # the decision: grade 3 thrombocytopenia after cycle 1 -> the next cycle waits
            decision = page.inner_text("#next-step")
            assert "delay" in decision.lower()
            assert "platelet" in decision.lower()
            page.screenshot(path=str(ARTIFACTS / "patient.png"), full_page=True)
            # the dashboard counts the enrolment
            page.goto(f"{base}/dashboard")
            assert page.inner_text("#enrolled").startswith("1 /")
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
