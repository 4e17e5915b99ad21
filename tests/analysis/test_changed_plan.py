"""A changed plan changes ``analyze --json``, the report's tables and the dashboard together, and
they agree number for number.

The changed plan is the seed plan with four edits a statistician makes: another landmark (PFS at
18 months), another CI type for S(t) (plain instead of log-log), another median rule (R's midpoint
rule with the Brookmeyer-Crowley CI instead of SPSS's) and another subgroup (ECOG 0 vs >= 1, by a
cut point). Each output is produced through its own door on the demo trial: the CLI's JSON, the
report's CSV tables (``hcctrial report --sap``), and the dashboard page of the web application
(``GET /dashboard``) with the same plan. The JSON's raw numbers are formatted here, independently
of the report's formatter (half-up to one decimal), and looked up in the other two.
"""

from __future__ import annotations

import csv
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.demo.demo_run import demo_output

PFS = "PFS (as the paper defined it: progression only)"
OS = "Overall survival"


def _changed_plan_text() -> str:
    text = (
        resources.files("hcctrial.analysis") / "plans" / "sorafenib_tace_haic_folfox.toml"
    ).read_text(encoding="utf-8")
    edits = [
        (
            'landmarks_months = [6, 12, 24]\nsource = "paper"\nquote = "PFS was defined',
            'landmarks_months = [6, 12, 18, 24]\nsource = "paper"\nquote = "PFS was defined',
        ),
        (
            '[conventions.survival_ci]\ntype = "log-log"',
            '[conventions.survival_ci]\ntype = "plain"',
        ),
        ('rule = "spss"\nci = "wald"', 'rule = "r"\nci = "brookmeyer-crowley"'),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text + (
        "\n[[subgroups]]\n"
        'key = "ecog"\n'
        'label = "ECOG performance status"\n'
        'variable = "ecog"\n'
        "cut_points = [0]\n"
        'labels = ["0", "≥ 1"]\n'
        'endpoints = ["pfs_paper", "os"]\n'
        'source = "hcctrial default; paper silent"\n'
    )


@cache
def _outputs() -> dict[str, Any]:
    """Run the three doors once: JSON (shipped and changed plan), report CSV, dashboard HTML."""
    import contextlib
    import io
    import tempfile

    from hcctrial.cli.main import run

    out, _ = demo_output()
    work = Path(tempfile.mkdtemp(prefix="hcctrial-changed-plan-"))
    plan = work / "changed.toml"
    plan.write_text(_changed_plan_text(), encoding="utf-8")
    db = work / "trial.sqlite"
    shutil.copy(out / "demo.sqlite", db)

    def cli(*args: str) -> str:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exc:
            run(list(args))
        assert exc.value.code in (0, None)
        return buf.getvalue()

    shipped = json.loads(cli("analyze", "--database", str(db), "--json"))
    changed = json.loads(cli("analyze", "--database", str(db), "--sap", str(plan), "--json"))
    cli("report", "--database", str(db), "--out", str(work / "report"), "--format", "csv",
        "--sap", str(plan), "--json")  # fmt: skip
    tables = {
        p.stem: _csv_table(list(csv.reader(p.open(encoding="utf-8"))))
        for p in (work / "report" / "tables").glob("*.csv")
    }
    return {
        "plan": plan,
        "shipped": shipped,
        "changed": changed,
        "tables": tables,
        **_dashboard(f"sqlite:///{db}", plan),
    }


def _dashboard(url: str, plan: Path) -> dict[str, Any]:
    """The dashboard page and ``GET /api/dashboard`` of the web application with the plan."""
    from hcctrial.services.accounts import add_user
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.session import make_engine, open_session
    from hcctrial.web import create_app
    from hcctrial.web.dashboard_cache import DashboardCache
    from hcctrial.web.security import hash_password, password_hasher
    from tests.web.conftest import PASSWORD, sign_in, web_settings

    settings = web_settings(url).model_copy(update={"sap": str(plan)})
    engine = make_engine(url)
    with open_session(engine) as s:
        uow = UnitOfWork(s, Actor.system("test"), settings=settings)
        add_user(
            uow,
            username="stat_plan",
            role="statistician",
            site_id=None,
            password=PASSWORD,
            hash_password=lambda pw: hash_password(password_hasher(settings), pw),
            reason="changed-plan test",
        )
    engine.dispose()
    app = create_app(settings)
    app.state.web.dashboard_cache = DashboardCache(
        min_interval_s=0, plan=app.state.web.dashboard_cache.plan
    )
    try:
        client = sign_in(app, "stat_plan")
        page = client.get("/dashboard")
        api = client.get("/api/dashboard")
        assert page.status_code == 200 and api.status_code == 200
        return {"dashboard": str(page.text), "api": api.json()}
    finally:
        app.state.web.engine.dispose()


class _Tables(HTMLParser):
    """The rows of every <table id=...> of a page, as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._id: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._id = dict(attrs).get("id") or ""
            self.tables[self._id] = []
        elif tag == "tr" and self._id is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._id is not None:
            self.tables[self._id].append(self._row)
            self._row = None
        elif tag == "table":
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _dashboard_tables() -> dict[str, list[list[str]]]:
    p = _Tables()
    p.feed(_outputs()["dashboard"])
    return p.tables


def _f1(x: float | None) -> str:
    """One decimal, half-up (the report's rounding rule, written independently)."""
    if x is None:
        return "NR"
    return str(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _median_text(m: float | None, lo: float | None, up: float | None) -> str:
    return f"{_f1(m)} ({_f1(lo)}–{_f1(up)})"


def _rate_text(r: dict[str, Any]) -> str:
    s, lo, up = (None if v is None else 100 * v for v in (r["surv"], r["lower"], r["upper"]))
    return f"{_f1(s)} ({_f1(lo)}–{_f1(up)})"


def _cell(rows: list[list[str]], label: str, column: str, *, skip: int = 0) -> str:
    """Cell of the row labelled ``label`` under ``column`` (``skip`` leading columns in CSV)."""
    header = rows[0][skip:]
    j = header.index(column)
    for r in rows[1:]:
        if r[skip:][0] == label:
            return r[skip:][j]
    raise AssertionError(f"no row {label!r} in {[r[skip:][0] for r in rows]}")


def _csv_table(lines: list[list[str]]) -> list[list[str]]:
    """Header and rows of a report CSV as printed (issue 17 adds the title above them, the
    footnotes after an empty row and, beside each printed column, its numbers as columns named
    "<column>: <part>": left out here)."""
    body = lines[1:]
    body = body[: body.index([])] if [] in body else body
    head = body[0]
    keep = [j for j, h in enumerate(head) if not any(h.startswith(f"{k}: ") for k in head[:j])]
    return [[row[j] for j in keep] for row in body]


def _report(key: str) -> list[list[str]]:
    return _outputs()["tables"][key]


def _dash(key: str) -> list[list[str]]:
    return _dashboard_tables()[f"plan-{key}"]


# ---------------------------------------------------------------------------- the plan changed
def test_the_json_names_the_changed_plan_and_its_hash() -> None:
    import hashlib

    o = _outputs()
    ref = o["changed"]["plan"]
    assert ref["file"] == str(o["plan"])
    assert ref["sha256"] == hashlib.sha256(o["plan"].read_bytes()).hexdigest()
    assert o["shipped"]["plan"]["sha256"] != ref["sha256"]
    assert ref["sha256"][:16] in o["dashboard"]


def test_another_landmark_appears_in_the_json_the_report_and_the_dashboard() -> None:
    o = _outputs()
    assert "18" not in o["shipped"]["pfs"]["rates"] and "18" in o["changed"]["pfs"]["rates"]
    rate = next(
        r for r in o["changed"]["analysis"]["endpoints"]["pfs_paper"]["rates"] if r["time"] == 18
    )
    assert rate["surv"] == o["changed"]["pfs"]["rates"]["18"]
    text = _rate_text(rate)
    assert _cell(_report("survival"), "18 months", PFS, skip=1) == text
    assert _cell(_dash("survival"), "18 months", PFS) == text


def test_another_ci_type_changes_every_ci_of_s_t_and_stays_one_ci_per_quantity() -> None:
    o = _outputs()
    shipped = o["shipped"]["analysis"]["endpoints"]["pfs_paper"]["rates"]
    changed = o["changed"]["analysis"]["endpoints"]["pfs_paper"]["rates"]
    assert {r["ci"] for r in shipped} == {"log-log"} and {r["ci"] for r in changed} == {"plain"}
    at12 = next(r for r in changed if r["time"] == 12)
    # plain CI: S -/+ 1.96 SE (R survfit conf.type = "plain"), checked from the JSON's own SE
    assert at12["lower"] == pytest.approx(at12["surv"] - 1.959963984540054 * at12["se"], rel=1e-12)
    text = _rate_text(at12)
    primary = o["changed"]["primary_endpoint"]
    assert (primary["lower"], primary["upper"]) == (at12["lower"], at12["upper"])
    assert _cell(_report("survival"), "12 months", PFS, skip=1) == text
    assert _cell(_dash("survival"), "12 months", PFS) == text
    # the primary table shows the same CI of S(12): one CI per quantity
    column = "12-month rate, % (95 % CI)"
    assert _report("primary")[1][2] == text and _report("primary")[0][2] == column
    assert _cell(_dash("primary"), "log–log scale (planned)", column) == text


def test_another_median_rule_changes_the_median_everywhere() -> None:
    o = _outputs()
    s_os, c_os = o["shipped"]["os"], o["changed"]["os"]
    assert (s_os["median_method"], c_os["median_method"]) == ("spss", "r")
    assert c_os["median"] == c_os["r_median"] and c_os["median"] != s_os["median"]
    # OS: SPSS's 21.8 vs R's midpoint of the flat 0.5 stretch (AUDIT section 3.3)
    assert (_f1(s_os["median"]), _f1(c_os["median"])) == ("21.8", "22.5")
    for endpoint, label in (("pfs", PFS), ("os", OS)):
        j = o["changed"][endpoint]
        text = _median_text(j["median"], j["lower"], j["upper"])
        assert _cell(_report("survival"), "Median, months (95 % CI)", label, skip=1) == text
        assert _cell(_dash("survival"), "Median, months (95 % CI)", label) == text


def _subgroup_rows(rows: list[list[str]], label: str, skip: int) -> list[list[str]]:
    body = [r[skip:] for r in rows[1:]]
    start = next(i for i, r in enumerate(body) if r[0] == label)
    return body[start : start + 3]


@pytest.mark.parametrize("endpoint", ["pfs_paper", "os"])
def test_another_subgroup_appears_with_the_same_numbers_in_all_three(endpoint: str) -> None:
    o = _outputs()
    assert not [s for s in o["shipped"]["subgroups"] if s["variable"] == "ecog"]
    sg = next(
        s
        for s in o["changed"]["subgroups"]
        if s["variable"] == "ecog" and s["endpoint"] == endpoint
    )
    assert [g["label"] for g in sg["groups"]] == ["0", "≥ 1"]
    for rows in (
        _subgroup_rows(_report(f"subgroups_{endpoint}"), "ECOG performance status", 1),
        _subgroup_rows(_dash(f"subgroups_{endpoint}"), "ECOG performance status", 0),
    ):
        header, level0, level1 = rows
        assert (
            header[5]
            == f"{Decimal(repr(sg['logrank_p'])).quantize(Decimal('0.001'), rounding=ROUND_HALF_UP)}"
        )
        for row, g in ((level0, sg["groups"][0]), (level1, sg["groups"][1])):
            assert row[0] == g["label"]
            assert (row[1], row[2]) == (str(g["n"]), str(g["events"]))
            assert row[3] == _median_text(g["median"], g["lower"], g["upper"])
        hr = (
            f"{Decimal(repr(sg['hazard_ratio'])).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"
        )
        assert level1[4].startswith(hr + " (")


def test_the_subgroup_levels_follow_the_data_by_hand() -> None:
    """ECOG 0 vs >= 1 by the cut point 0: the level sizes are Table 1's ECOG counts (46 / 20)."""
    sg = next(s for s in _outputs()["changed"]["subgroups"] if s["variable"] == "ecog")
    assert [g["n"] for g in sg["groups"]] == [46, 20]


def test_the_web_api_serves_the_same_result_as_analyze_json() -> None:
    o = _outputs()
    api, cli = o["api"]["analysis"], o["changed"]["analysis"]
    assert o["api"]["plan"]["sha256"] == o["changed"]["plan"]["sha256"]
    for key in ("endpoints", "primary", "subgroups", "response", "adverse_events"):
        assert api[key] == cli[key], key
    # the dashboard lists NE even at 0 (its contract); analyze --json only when > 0 (issue 6's)
    dash = {k: v for k, v in o["api"]["best_response"].items() if k != "NE" or v}
    assert dash == o["changed"]["best_response"]


def test_the_methods_text_follows_the_plan() -> None:
    from hcctrial.analysis.describe import methods_paragraphs
    from hcctrial.analysis.plan import load_plan

    shipped = " ".join(methods_paragraphs(load_plan().plan))
    changed = " ".join(methods_paragraphs(load_plan(_outputs()["plan"]).plan))
    assert "SPSS's rule" in shipped and "log–log scale" in shipped
    assert "R survival's rule" in changed and "plain (linear) scale" in changed
    assert "ECOG performance status (0 / ≥ 1; reference 0)" in changed
    assert "rates at 6, 12, 18, 24 months" in changed
