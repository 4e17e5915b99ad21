"""``hcctrial report``: bad input exits 2 naming the option, no traceback."""

from __future__ import annotations

import pytest


def _report(cli, tmp_path, *args, db="x.sqlite"):
    """``hcctrial report`` on a database file in ``tmp_path``, writing to ``tmp_path/out``."""
    return cli(
        "report", "--database", f"sqlite:///{tmp_path / db}", "--out", str(tmp_path / "out"), *args
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "rtf"], "--format: got 'rtf'"),
        (["--format", ""], "--format: got ''"),
        (["--figure-width", "triple"], "--figure-width: figure width: got 'triple'"),
        (["--figure-width", "20"], "from 60 to 250"),
        (["--word-fonts", "nonsense"], "--word-fonts: word fonts: got 'nonsense'; expected one of"),
    ],
)
def test_report_rejects_bad_options_with_exit_2(cli, tmp_path, args, message):
    r = _report(cli, tmp_path, *args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_report_on_a_database_without_a_trial_exits_2(cli, tmp_path):
    r = _report(cli, tmp_path, db="empty.sqlite")
    assert r.exit_code == 2
    assert "--database" in r.stderr or "database" in r.stderr
    assert "Traceback" not in r.stderr


def test_report_names_every_word_font_preset_when_refusing_one(cli, tmp_path):
    r = _report(cli, tmp_path, "--word-fonts", "nonsense")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    for preset in ("'times'", "'arial'", "'calibri'"):
        assert preset in r.stderr
    assert not (tmp_path / "out").exists()  # refused before any work
