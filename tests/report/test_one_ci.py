"""One CI per quantity across the report's tables (issue 17, item 2).

Every table that shows a quantity -- a median, a survival rate, a hazard ratio, the reverse-KM
follow-up -- must show the same estimate and the same CI (same method, same numbers) wherever it
appears: the survival summary, the primary-endpoint table, the subgroup tables, the sensitivity
table, the conventions table, the published-vs-reproduced table and the computed column of the
paper's inconsistencies. A second CI of the same quantity is allowed only by a method the plan
declares elsewhere (a sensitivity analysis, the convention the paper did not use), in a table
whose footnote says why. The pairs are collected from the report's table model
(:class:`hcctrial.report.tables.Table`), never from the rendered HTML; the demo trial is used so
that the published section and the truncated-at-zero medians are there.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest

from hcctrial.report.tables import TRUNCATED, TRUNCATED_NOTE, Table

#: (endpoint label, population label (case-folded), statistic, method)
Key = tuple[str, str, str, str]
#: key -> [(table key, estimate, CI text or None)]
Seen = dict[Key, list[tuple[str, str, str | None]]]

_CELL = re.compile(r"^(\S+) \((.+)\)$")


@pytest.fixture(scope="module")
def demo_report(demo_database):
    from sqlalchemy import create_engine

    from hcctrial.analysis.plan import default_plan
    from hcctrial.report.build import build_document, report_results
    from hcctrial.report.from_database import report_inputs_from_database

    engine = create_engine(f"sqlite:///{demo_database}")
    try:
        pf = default_plan()
        inputs = report_inputs_from_database(engine, plan=pf)
        results = report_results(inputs, pf)
    finally:
        engine.dispose()
    doc = build_document(inputs, results, (), published=True)
    return {t.key: t for t in doc.tables()}, results.plan


def _add(seen: Seen, key: Key, table: str, cell: str) -> None:
    """Record ``cell`` ("13.1 (9.5–16.7)" or a bare "13.1") under ``key``; "—" is not shown."""
    cell = cell.strip()
    if not cell or cell == "—":
        return
    m = _CELL.match(cell)
    seen[key].append((table, m.group(1), m.group(2)) if m else (table, cell, None))


def _methods(plan: Any) -> dict[str, str]:
    """The plan's own method per kind of statistic (what every main table must show)."""
    return {"median": plan.conventions.median.rule, "rate": plan.conventions.survival_ci.type}


def _survival(t: Table, plan: Any, seen: Seen) -> None:
    eps = t.columns[1:]
    pops = t.rows[0].cells
    assert t.rows[0].label == "Population"
    m = _methods(plan)
    for r in t.rows:
        for ep, pop, cell in zip(eps, pops, r.cells, strict=True):
            where = (ep, pop.casefold())
            if r.label.startswith("Median"):
                _add(seen, (*where, "median", m["median"]), t.key, cell)
            elif r.label.endswith(" months") and r.indent:
                _add(seen, (*where, f"rate {r.label}", m["rate"]), t.key, cell)
            elif r.label.startswith("Reverse Kaplan"):
                _add(seen, (*where, "reverse-KM follow-up", "reverse-km"), t.key, cell)


def _primary(t: Table, plan: Any, seen: Seen) -> None:
    ep = plan.endpoints[plan.primary.endpoint]
    pop = plan.populations[ep.population].label.casefold()
    months = f"{plan.primary.time_months:g} months"
    (column,) = [c for c in t.columns if "rate" in c]
    planned = [r for r in t.rows if "(planned)" in r.label]
    assert len(planned) == 1
    _add(
        seen,
        (ep.label, pop, f"rate {months}", _methods(plan)["rate"]),
        t.key,
        t.cell(planned[0].label, column),
    )


def _subgroups(t: Table, plan: Any, seen: Seen) -> None:
    ep = t.title.removeprefix("Subgroups: ")
    pop = plan.populations[
        next(e for e in plan.endpoints.values() if e.label == ep).population
    ].label.casefold()
    group = ""
    for r in t.rows:
        if r.indent == 0:
            group = r.label
            continue
        _add(
            seen,
            (ep, pop, f"median | {group}: {r.label}", _methods(plan)["median"]),
            t.key,
            r.cells[2],
        )
        if r.cells[3] != "1 (reference)":
            _add(seen, (ep, pop, f"HR | {group}: {r.label}", "cox"), t.key, r.cells[3])


def _changes(text: str, plan: Any, endpoints: list[str]) -> dict[str, str]:
    """What a sensitivity analysis changes: the endpoint or population it names, and the method
    of the statistics it touches (R's median rule, the plain CI of S(t))."""
    out = _methods(plan)
    if "median: R's rule" in text:
        out["median"] = "r"
    if "CI of S(t): plain scale" in text:
        out["rate"] = "plain"
    m = re.search(r"endpoint: (.+?)(?:;|$)", text)
    if m:
        assert m.group(1) in endpoints
        out["endpoint"] = m.group(1)
    m = re.search(r"population: (.+?)(?:;|$)", text)
    if m:
        out["population"] = m.group(1).casefold()
    return out


def _sensitivity_rates(key: Key, cell: str, table: str, seen: Seen) -> None:
    for part in filter(None, cell.split("; ")):
        months, value = re.match(r"^(\d+) mo (.+)$", part).groups()  # type: ignore[union-attr]
        _add(seen, (key[0], key[1], f"rate {months} months", key[3]), table, value)


def _sensitivity(t: Table, plan: Any, seen: Seen, endpoints: list[str]) -> None:
    primary = plan.endpoints[plan.primary.endpoint]
    change: dict[str, str] = {}
    for r in t.rows:
        if r.label.startswith("Changes: "):
            change = _changes(r.label, plan, endpoints)
        elif r.label.startswith("Primary: "):
            ep = change.get("endpoint", primary.label)
            pop = change.get("population", plan.populations[primary.population].label.casefold())
            months = f"{plan.primary.time_months:g}"
            _sensitivity_rates(
                (ep, pop, "", change["rate"]), f"{months} mo {r.cells[2]}", t.key, seen
            )
        elif r.indent:
            ep = next(e for e in endpoints if r.label.startswith(f"{e} ("))
            pop = r.label[len(ep) + 2 : -1].casefold()
            _add(seen, (ep, pop, "median", change["median"]), t.key, r.cells[1])
            _sensitivity_rates((ep, pop, "", change["rate"]), r.cells[2], t.key, seen)


def _conventions(t: Table, plan: Any, seen: Seen, short: dict[str, str]) -> None:
    itt = plan.populations["itt"].label.casefold()
    alternative = {"spss": "r", "r": "spss"}[plan.conventions.median.rule]
    for r in t.rows:
        if r.label.endswith("median, months (95 % CI)"):
            ep = short[r.label.removesuffix(" median, months (95 % CI)")]
            _add(seen, (ep, itt, "median", plan.conventions.median.rule), t.key, r.cells[0])
            _add(seen, (ep, itt, "median", alternative), t.key, r.cells[1])
        elif r.label == "Median follow-up, months":
            os_label = plan.endpoints["os"].label
            _add(seen, (os_label, itt, "reverse-KM follow-up", "reverse-km"), t.key, r.cells[1])


def _published(t: Table, plan: Any, seen: Seen, short: dict[str, str]) -> None:
    """The reproduced median with its CI, given there as three rows, and the rates."""
    itt = plan.populations["itt"].label.casefold()
    rule = plan.conventions.median.rule
    for name in ("OS", "PFS"):
        ep = short["OS" if name == "OS" else "PFS (paper)"]
        est = t.cell(f"{name} median (SPSS rule), months", "Reproduced")
        lo = t.cell(f"{name} median 95 % CI lower (SPSS)", "Reproduced")
        up = t.cell(f"{name} median 95 % CI upper (SPSS)", "Reproduced")
        _add(seen, (ep, itt, "median", rule), t.key, f"{est} ({lo}–{up})")
        for r in t.rows:
            m = re.match(rf"^{name} rate at (\d+) months, %$", r.label)
            if m:
                key = (ep, itt, f"rate {m.group(1)} months", plan.conventions.survival_ci.type)
                _add(seen, key, t.key, r.cells[1])


def _inconsistencies(t: Table, plan: Any, seen: Seen, short: dict[str, str]) -> None:
    """INC-29 (both medians with their CIs), INC-23 (the OS hazard ratio), INC-14 (OS rates)."""
    itt = plan.populations["itt"].label.casefold()
    os_label = short["OS"]
    computed = {r.label: r.cells[-1] for r in t.rows}
    m = re.match(r"^OS (\S+ \(.+?\)); PFS (\S+ \(.+?\)) \(SPSS\)$", computed["INC-29"])
    assert m, computed["INC-29"]
    _add(seen, (os_label, itt, "median", "spss"), t.key, m.group(1))
    _add(seen, (short["PFS (paper)"], itt, "median", "spss"), t.key, m.group(2))
    m = re.match(r"^OS HR C vs B (\S+ \(.+?\)),", computed["INC-23"])
    assert m, computed["INC-23"]
    _add(seen, (os_label, itt, "HR | BCLC stage: C", "cox"), t.key, m.group(1))
    for months, value in re.findall(r"(\d+) mo (\S+) %", computed["INC-14"]):
        _add(seen, (os_label, itt, f"rate {months} months", "log-log"), t.key, value)


def _collect(tables: dict[str, Table], plan: Any) -> Seen:
    seen: Seen = defaultdict(list)
    endpoints = [e.label for e in plan.endpoints.values()]
    short = {"OS": plan.endpoints["os"].label, "PFS (paper)": plan.endpoints["pfs_paper"].label}
    _survival(tables["survival"], plan, seen)
    _primary(tables["primary"], plan, seen)
    for key in (k for k in tables if k.startswith("subgroups_")):
        _subgroups(tables[key], plan, seen)
    _sensitivity(tables["sensitivity"], plan, seen, endpoints)
    _conventions(tables["conventions"], plan, seen, short)
    _published(tables["published"], plan, seen, short)
    _inconsistencies(tables["inconsistencies"], plan, seen, short)
    return seen


def test_every_quantity_has_one_estimate_and_one_ci_across_the_tables(demo_report):
    tables, plan = demo_report
    seen = _collect(tables, plan)
    itt = plan.populations["itt"].label.casefold()
    os_, pfs = plan.endpoints["os"].label, plan.endpoints["pfs_paper"].label
    # the collector finds the quantities several tables show (not a vacuous pass)
    for key, tables_showing in {
        (os_, itt, "median", "spss"): {"survival", "conventions", "published", "inconsistencies"},
        (pfs, itt, "median", "spss"): {"survival", "conventions", "published", "inconsistencies"},
        (pfs, itt, "rate 12 months", "log-log"): {
            "survival",
            "primary",
            "sensitivity",
            "published",
        },
        (os_, itt, "rate 60 months", "log-log"): {"survival", "sensitivity", "published"},
        (os_, itt, "median", "r"): {"conventions", "sensitivity"},
        (os_, itt, "HR | BCLC stage: C", "cox"): {"subgroups_os", "inconsistencies"},
        (os_, itt, "reverse-KM follow-up", "reverse-km"): {"survival", "conventions"},
    }.items():
        assert {t for t, *_ in seen[key]} >= tables_showing, key
    assert sum(len({t for t, *_ in v}) > 1 for v in seen.values()) >= 15
    for key, shown in seen.items():
        assert len({est for _, est, _ in shown}) == 1, (key, shown)
        cis = {ci.replace(TRUNCATED, "") for _, _, ci in shown if ci is not None}
        assert len(cis) <= 1, (key, shown)


def test_a_second_ci_of_a_quantity_comes_from_the_plan_and_its_footnote_says_why(demo_report):
    tables, plan = demo_report
    seen = _collect(tables, plan)
    planned = set(_methods(plan).values())
    by_quantity: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for ep, pop, stat, method in seen:
        by_quantity[(ep, pop, stat)].add(method)
    explained = {
        # the sensitivity table: "with the plan's settings changed as stated"
        "sensitivity": "with the plan's settings changed as stated",
        # the conventions table: "paper's convention = SPSS ...; alternative = R survival ..."
        "conventions": "alternative = R survival",
    }
    others = 0
    for (ep, pop, stat), methods in by_quantity.items():
        for method in methods - planned - {"cox", "reverse-km"}:
            others += 1
            where = {t for t, *_ in seen[(ep, pop, stat, method)]}
            assert where <= set(explained), (ep, pop, stat, method, where)
            for t in where:
                assert any(explained[t] in f for f in tables[t].footnotes), t
    assert others >= 5  # R's medians and the plain-scale rates are shown, and explained


def test_a_median_whose_wald_interval_crosses_zero_is_marked_wherever_it_is_shown(demo_report):
    tables, _ = demo_report
    # The demo's OS median of the patients with extrahepatic spread: 21.8, SPSS's Wald interval
    # 21.8 ± 44.5 (the paper's audit: "21.8 (−22.7–66.3)"): the lower bound prints as 0 marked †.
    sub = tables["subgroups_os"]
    row = next(r for r in sub.rows if r.label == "Present" and r.indent)
    assert row.cells[2] == f"21.8 (0.0{TRUNCATED}–66.3)"
    for t in tables.values():
        cells = [c for r in t.rows for c in r.cells]
        if any(TRUNCATED in c for c in cells):
            assert TRUNCATED_NOTE in t.footnotes, t.key
        for c in cells:  # a truncated Wald bound is never printed as a plain 0.0
            for est, up in re.findall(r"(\d+\.\d) \(0\.0–(\d+\.\d)\)", c):
                assert float(up) - float(est) <= float(est), (t.key, c)
