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
    assert res.exit_code == 2 and "127.0.0.1:1/none" in res.stderr
    assert "Connection refused" in res.stderr and "is the PostgreSQL server running" in res.stderr


def test_analyze_of_a_malformed_url_is_exit_2(cli: Any) -> None:
    res = cli("analyze", "--database", "nosuchdialect://x/y", "--json")
    assert res.exit_code == 2 and "unknown URL scheme 'nosuchdialect'" in res.stderr


def test_demo_into_a_non_empty_database_is_exit_2(cli: Any, tmp_path: Path) -> None:
    out, _ = demo_output()
    res = cli("demo", "--out", str(tmp_path), "--database", str(out / "demo.sqlite"), "--json")
    assert res.exit_code == 2 and "already holds" in res.stderr


# ------------------------------------------------------------------ the demo writes the full report
#: Issue 7's figures: KM of PFS and OS overall and by each of the six subgroups of Table 4
#: (BCLC, portal-vein invasion, extrahepatic spread, AFP, Child-Pugh, imaging modality), the forest,
#: waterfall, swimmer and spider plots and the CONSORT flow: 2 + 2 x 6 + 5 = 19.
_SUBGROUPS = ("bclc", "pvi", "ehs", "afp", "child_pugh", "imaging")
_FIGURES = {
    "consort",
    "waterfall",
    "spider",
    "swimmer",
    "forest",
    "km_pfs_paper",
    "km_os",
    *(f"km_{ep}_{sg}" for ep in ("pfs_paper", "os") for sg in _SUBGROUPS),
}


def test_demo_writes_html_and_word_reports_non_empty() -> None:
    out, results = demo_output()
    report = out / "report"
    assert results["demo"]["report"]["html"] == str(report / "report.html")
    assert results["demo"]["report"]["docx"] == str(report / "report.docx")
    assert (report / "report.html").stat().st_size > 100_000  # 19 SVG figures embedded
    assert (report / "report.docx").stat().st_size > 100_000  # 19 PNG figures embedded
    html = (report / "report.html").read_text(encoding="utf-8")
    # 19 figures of issue 7 and the paper's Figure 4 as one A-D panel (issue 17)
    assert "Published vs reproduced" in html and html.count("data:image/svg+xml;base64,") == 20


@pytest.mark.parametrize("key", sorted(_FIGURES))
def test_demo_writes_every_figure_of_issue_7_as_png_300_dpi_and_svg(key: str) -> None:
    from PIL import Image

    out, _ = demo_output()
    png = out / "report" / "figures" / f"{key}.png"
    svg = out / "report" / "figures" / f"{key}.svg"
    assert png.stat().st_size > 10_000 and svg.stat().st_size > 5_000
    with Image.open(png) as im:
        assert im.info["dpi"][0] == pytest.approx(300, abs=0.5)
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_demo_report_tables_equal_the_report_built_from_the_database() -> None:
    """The demo reuses its derived datasets; `hcctrial report` loads and derives again from the
    database. Both must give the same tables, cell for cell (the Word file is compared with the
    document model built through the database path)."""
    from docx import Document

    from hcctrial.report.build import build_document, report_results
    from hcctrial.report.from_database import report_inputs_from_database
    from hcctrial.store.session import make_engine

    out, _ = demo_output()
    engine = make_engine(f"sqlite:///{out / 'demo.sqlite'}")
    try:
        inputs = report_inputs_from_database(engine)
    finally:
        engine.dispose()
    model = build_document(inputs, report_results(inputs), (), published=True).tables()
    word = Document(str(out / "report" / "report.docx")).tables
    assert len(word) == len(model)
    for wt, mt in zip(word, model, strict=True):
        assert [c.text for c in wt.rows[0].cells] == list(mt.columns)
        # cells; the "generated on" stamp is not in the tables
        assert [[c.text for c in r.cells] for r in wt.rows[1:]] == [
            [r.label, *r.cells] for r in mt.rows
        ]


def test_demo_without_report_writes_results_only(cli: Any, tmp_path: Path) -> None:
    res = cli("demo", "--out", str(tmp_path), "--no-report", "--json")
    assert res.exit_code == 0, res.stderr
    assert "report" not in res.json()["demo"] and not (tmp_path / "report").exists()
    assert (tmp_path / "results.json").stat().st_size > 0
