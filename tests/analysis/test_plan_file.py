"""The plan file: the shipped plans validate; a malformed plan is refused naming the key path
(schema, cross references, design), through the API and through ``hcctrial sap validate`` (exit 2,
no traceback); ``sap show`` prints the plan in words with the source of each entry."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from hcctrial.analysis.plan import list_plans, load_plan, plan_from_mapping
from hcctrial.analysis.schema import PAPER_SILENT
from hcctrial.errors import DataValidationError

SEED = resources.files("hcctrial.analysis") / "plans" / "sorafenib_tace_haic_folfox.toml"


def _seed() -> dict[str, Any]:
    return tomllib.loads(SEED.read_text(encoding="utf-8"))


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        node = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value

    return edit


def _drop(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        node = d
        for k in path[:-1]:
            node = node[k]
        del node[path[-1]]

    return edit


#: (edit of the seed plan, the key path the error must name, words of the message)
MALFORMED = [
    (
        _set(["endpoints", "os", "landmarks_months"], [12, -24]),
        "endpoints.os.landmarks_months[1]",
        "greater than 0",
    ),
    (
        _set(["endpoints", "os", "landmarks_months"], [24, 12]),
        "endpoints.os",
        "strictly increasing",
    ),
    (_set(["design", "power"], "0.9"), "design.power", "valid number"),
    (_drop(["design", "sides"]), "design.sides", "required key is missing"),
    (_set(["primary", "endpoint"], "pfs_x"), "primary.endpoint", "unknown endpoint 'pfs_x'"),
    (_set(["primary", "endpoint"], "cif_progression"), "primary.endpoint", "cumulative incidence"),
    (
        _set(["conventions", "median", "rule"], "r"),
        "conventions.median",
        "goes with ci 'brookmeyer-crowley'",
    ),
    (
        _set(["conventions", "survival_ci", "type"], "logit"),
        "conventions.survival_ci.type",
        "'log', 'log-log' or 'plain'",
    ),
    (
        _set(["subgroups", 1, "variable"], "pvii"),
        "subgroups[1].variable",
        "unknown subject variable 'pvii'",
    ),
    (
        _set(["subgroups", 0, "endpoints"], ["os", "nope"]),
        "subgroups[0].endpoints[1]",
        "unknown endpoint 'nope'",
    ),
    (
        _set(["populations", "safety", "all_of", 0, "op"], ">>"),
        "populations.safety.all_of[0].op",
        "'=='",
    ),
    (
        _set(["populations", "safety", "all_of", 0, "variable"], "sex"),
        "populations.safety.all_of[0]",
        "numeric variable",
    ),
    (
        _set(["endpoints", "os", "population"], "everyone"),
        "endpoints.os.population",
        "unknown population 'everyone'",
    ),
    (
        _set(["adverse_events", "terms", 4, "clinical_terms"], ["Nausia"]),
        "adverse_events.terms[4].clinical_terms",
        "did you mean 'Nausea'",
    ),
    (
        _set(["adverse_events", "terms", 0, "lab_terms", 0, "analyte"], "anc"),
        "adverse_events.terms[0].lab_terms",
        "grades analyte 'platelets'",
    ),
    (
        _set(["endpoints", "os", "quote"], ""),
        "endpoints.os",
        "source 'paper' needs the paper's words",
    ),
    (_set(["endpoints", "pfs", "quote"], "words"), "endpoints.pfs", "cannot carry a quote"),
    (_set(["design", "n_evaluable"], 49), "design.n_evaluable", "give 60 evaluable patients"),
    (_set(["design", "dropout_rule"], "divide"), "design.n_enrolled", "give 67 patients to enrol"),
    (_drop(["primary", "scale"]), "primary", "needs scale"),
    (_set(["response", "rates"], {}), "response", "needs ['orr', 'dcr']"),
    (_set(["regimen"], "folfiri"), "regimen", "unknown regimen 'folfiri'"),
    (_set(["extra_section"], {"a": 1}), "extra_section", "unknown key"),
    (
        _set(["sensitivity", 1], {"key": "x", "label": "x", "source": PAPER_SILENT}),
        "sensitivity[1]",
        "changes at least one",
    ),
    (
        _set(["outputs", "figures"], ["os", "cif_progression"]),
        "outputs.figures[1]",
        "cumulative incidence",
    ),
    (
        _set(["outputs", "word_fonts"], "comic sans"),
        "outputs.word_fonts",
        "got 'comic sans'; expected one of 'times'",
    ),
]


@pytest.mark.parametrize(("edit", "where", "words"), MALFORMED, ids=[m[1] for m in MALFORMED])
def test_a_malformed_plan_is_refused_naming_the_key_path(
    edit: Callable[[dict[str, Any]], None], where: str, words: str
) -> None:
    data = copy.deepcopy(_seed())
    edit(data)
    with pytest.raises(DataValidationError) as err:
        plan_from_mapping(data, origin="p.toml")
    message = str(err.value)
    assert f"{where}: " in message and words in message, message


@pytest.mark.parametrize("name", ["sorafenib_tace_haic_folfox", "ttp_one_sample_logrank"])
def test_the_shipped_plans_validate(name: str) -> None:
    assert name in list_plans()
    pf = load_plan(name)
    assert len(pf.sha256) == 64 and pf.plan.id == name


def test_the_seed_plan_declares_what_the_issue_asks() -> None:
    p = load_plan().plan
    assert {"itt", "safety", "per_protocol", "response_evaluable"} <= set(p.populations)
    assert {"pfs_paper", "pfs", "os", "ttp", "dor", "ttf", "cif_progression"} <= set(p.endpoints)
    cif = p.endpoints["cif_progression"]
    assert (cif.estimator, cif.events, cif.competing) == (
        "cumulative-incidence",
        ["progression"],
        ["death"],
    )
    paper_pfs = p.endpoints["pfs_paper"]
    assert paper_pfs.events == ["progression"] and "death" not in paper_pfs.competing
    assert (p.primary.test, p.primary.time_months, p.primary.null_rate) == ("landmark", 12, 0.30)
    assert {s.key for s in p.sensitivity} >= {"standard_pfs", "per_protocol", "r_median"}


def _entries(plan: Any) -> list[Any]:
    c = plan.conventions
    return [
        *(getattr(c, n) for n in type(c).model_fields),
        *plan.populations.values(),
        *plan.endpoints.values(),
        plan.primary,
        plan.design,
        plan.response,
        *plan.response.rates.values(),
        plan.adverse_events,
        plan.subgroup_methods,
        *plan.subgroups,
        *plan.cox_models,
        *plan.sensitivity,
    ]


def test_every_entry_of_the_seed_plan_gives_the_papers_words_or_says_the_paper_is_silent() -> None:
    for entry in _entries(load_plan().plan):
        assert entry.source in ("paper", PAPER_SILENT)
        assert bool(entry.quote.strip()) == (entry.source == "paper"), entry


# ------------------------------------------------------------------------------------- the CLI
def test_sap_validate_accepts_the_seed_plan(cli: Any) -> None:
    r = cli("sap", "validate", str(SEED), "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["valid"] is True and out["id"] == "sorafenib_tace_haic_folfox"
    assert out["design"]["n_enrolled"] == 66


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "landmarks_months = [12, 24, 60]",
            "landmarks_months = [12, -24, 60]",
            "endpoints.os.landmarks_months[1]",
        ),
        ("null_rate = 0.30", 'null_rate = "0.30"', "primary.null_rate"),
        ('json_os = "os"', 'json_os = "overall"', "outputs.json_os"),
        ("n_enrolled = 66", "n_enrolled = 67", "design.n_enrolled"),
    ],
)
def test_sap_validate_refuses_a_malformed_plan_with_the_key_path_exit_2(
    cli: Any, tmp_path: Path, old: str, new: str, where: str
) -> None:
    text = SEED.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "plan.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    r = cli("sap", "validate", str(path))
    assert r.exit_code == 2
    assert where in r.stderr and str(path) in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("content", "words"),
    [("id = [", "not valid TOML"), (None, "not found")],
)
def test_sap_validate_refuses_a_broken_or_missing_file(
    cli: Any, tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "plan.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    r = cli("sap", "validate", str(path))
    assert r.exit_code == 2 and words in r.stderr and "Traceback" not in r.stderr


def test_analyze_with_a_malformed_plan_is_exit_2_before_reading_the_database(
    cli: Any, tmp_path: Path
) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(
        SEED.read_text(encoding="utf-8").replace("alpha = 0.05\nsource", "alpha = 5\nsource", 1)
    )
    r = cli("analyze", "--database", str(tmp_path / "none.sqlite"), "--sap", str(path), "--json")
    assert r.exit_code == 2 and "primary.alpha" in r.stderr


def test_sap_show_prints_the_plan_in_words_with_sources(cli: Any) -> None:
    r = cli("sap", "show")
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    assert "H0: S(12 months) = 30 %" in text and "α = 0.05" in text
    assert '[paper: "PFS was defined as the time from the date of the first TACE-HAIC' in text
    assert f"[{PAPER_SILENT}]" in text
    assert "Sensitivity analyses" in text and "Per-protocol population" in text
    j = cli("sap", "show", "ttp_one_sample_logrank", "--json").json()
    assert j["plan"]["id"] == "ttp_one_sample_logrank"
    assert any("one-sample log-rank" in line for s in j["sections"] for line in s["lines"])
