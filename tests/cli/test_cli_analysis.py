"""``hcctrial analyze --json``: the fixed JSON contract of issue 6; bad --database -> exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.demo.demo_run import demo_output


@pytest.fixture(scope="module")
def analyzed() -> dict[str, Any]:
    import json

    from hcctrial.cli.main import run

    out, _ = demo_output()
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exc:
        run(["analyze", "--database", str(out / "demo.sqlite"), "--json"])
    assert exc.value.code in (0, None)
    return dict(json.loads(buf.getvalue()))


def test_analyze_json_has_the_fixed_top_level_keys(analyzed: dict[str, Any]) -> None:
    fixed = {"n_enrolled", "best_response", "orr", "dcr", "adverse_events", "pfs", "os", "followup"}
    assert fixed <= set(analyzed)


@pytest.mark.parametrize(
    ("key", "subkeys"),
    [
        ("best_response", {"CR", "PR", "SD", "PD"}),
        ("orr", {"n", "pct", "lower", "upper"}),
        ("dcr", {"n", "pct", "lower", "upper"}),
        ("pfs", {"definition", "events", "median", "lower", "upper", "rates"}),
        ("os", {"events", "median", "lower", "upper", "rates"}),
        ("followup", {"median", "min", "max", "method"}),
    ],
)
def test_analyze_json_contract_subkeys(
    analyzed: dict[str, Any], key: str, subkeys: set[str]
) -> None:
    assert subkeys <= set(analyzed[key])


def test_rates_keys_are_the_landmark_months_as_fractions(analyzed: dict[str, Any]) -> None:
    assert set(analyzed["pfs"]["rates"]) == {"6", "12", "24"}
    assert set(analyzed["os"]["rates"]) == {"12", "24", "60"}
    assert all(
        0 <= v <= 1 for v in [*analyzed["pfs"]["rates"].values(), *analyzed["os"]["rates"].values()]
    )


def test_adverse_events_rows_have_term_and_grade_counts(analyzed: dict[str, Any]) -> None:
    assert len(analyzed["adverse_events"]) == 10
    for row in analyzed["adverse_events"]:
        assert set(row["worst_grade_counts"]) == {"1", "2", "3", "4"} and row["term"]


def test_analyze_of_an_empty_sqlite_file_is_exit_2(cli: Any, tmp_path: Path) -> None:
    res = cli("analyze", "--database", str(tmp_path / "none.sqlite"), "--json")
    assert res.exit_code == 2 and "hcctrial init" in res.stderr and "Traceback" not in res.stderr


def test_analyze_of_an_unreachable_database_is_exit_2(cli: Any) -> None:
    res = cli("analyze", "--database", "postgresql://nobody@127.0.0.1:1/none", "--json")
    assert res.exit_code == 2 and "--database" in res.stderr


def test_analyze_of_a_malformed_url_is_exit_2(cli: Any) -> None:
    res = cli("analyze", "--database", "nosuchdialect://x/y", "--json")
    assert res.exit_code == 2 and "--database" in res.stderr


def test_demo_into_a_non_empty_database_is_exit_2(cli: Any, tmp_path: Path) -> None:
    out, _ = demo_output()
    res = cli("demo", "--out", str(tmp_path), "--database", str(out / "demo.sqlite"), "--json")
    assert res.exit_code == 2 and "already holds" in res.stderr
