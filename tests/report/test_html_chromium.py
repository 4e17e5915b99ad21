"""The HTML report renders in headless Chromium without console messages, and a screenshot of
the Kaplan-Meier figure area is not blank. Skipped only when Chromium is absent and CI is not set."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and Path("/usr/bin/chromium").exists():
    CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI", "").lower() != "true",
    reason="headless Chromium not installed (Debian package chromium; CI installs it)",
)


def _chromium(page: Path, tmp: Path, screenshot: Path, size: str = "1100,900") -> str:
    assert CHROMIUM is not None, "CI=true: Chromium must be installed"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={size}",
        f"--screenshot={screenshot}",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert screenshot.exists(), proc.stderr[-2000:]
    return proc.stderr


def _console_lines(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if ":CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line
    ]


def test_the_console_check_sees_a_page_error(tmp_path):
    # the detector itself: a page with a script error must produce a console line
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>missingFunction();</script></body></html>")
    err = _chromium(bad, tmp_path, tmp_path / "bad.png", "400,300")
    assert any("missingFunction" in line for line in _console_lines(err))


def test_report_renders_without_console_messages(built_report, tmp_path):
    html = built_report.html.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:|//)', html), "no external resources"
    err = _chromium(built_report.html, tmp_path, tmp_path / "page.png")
    assert _console_lines(err) == []


def test_km_figure_area_screenshot_is_not_blank(built_report, tmp_path):
    import numpy as np
    from PIL import Image

    html = built_report.html.read_text(encoding="utf-8")
    head = html[: html.index("</head>") + len("</head>")]
    m = re.search(r'<figure id="fig-km_pfs_paper">.*?</figure>', html, re.S)
    assert m is not None
    page = tmp_path / "km.html"
    page.write_text(f"{head}<body style='margin:0'>{m.group(0)}</body></html>", encoding="utf-8")
    shot = tmp_path / "km.png"
    err = _chromium(page, tmp_path, shot, "1000,900")
    assert _console_lines(err) == []
    with Image.open(shot) as im:
        px = np.asarray(im.convert("L"), dtype=np.float64)
    area = px[:700, :900]  # the figure (drawn from the top-left of the page)
    dark = (area < 128).mean()
    assert dark > 0.005, f"only {dark:.4%} dark pixels: the KM figure did not render"
    assert area.std() > 10
