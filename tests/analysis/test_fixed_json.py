"""``hcctrial analyze --json`` with the shipped plan reproduces the output it had before the plan
became a data file (tests/reference/analysis/analyze_demo_before_plan.json, made at commit
b51c3e2): the fixed keys of issue 6 and the other keys of that output value for value; new keys
may only be added beside them.

Two deliberate changes, each checked here: ``primary_endpoint.lower``/``upper`` are now the plan's
one CI of S(12) (the curve's log-log band, :func:`hcctrial.stats.kaplan_meier.confidence_band`),
which equals the landmark test's own log-log interval to the last bit or two (rel. 1e-12); and
``subgroups`` lists the plan's six subgroups (reference level first, the report's level labels)
where it listed three -- the three it had keep their numbers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.demo.demo_run import demo_output
from tests.support import TESTS_REFERENCE

BEFORE = TESTS_REFERENCE / "analysis" / "analyze_demo_before_plan.json"


def _paths(before: Any, now: Any, where: str = "") -> list[str]:
    """Return the key paths where ``now`` differs from ``before`` (keys of ``before`` only)."""
    if isinstance(before, dict):
        if not isinstance(now, dict):
            return [f"{where}: was an object, now {type(now).__name__}"]
        out: list[str] = []
        for k, v in before.items():
            if k not in now:
                out.append(f"{where}.{k}: missing")
            else:
                out += _paths(v, now[k], f"{where}.{k}")
        return out
    if isinstance(before, list):
        if not isinstance(now, list) or len(now) != len(before):
            return [f"{where}: list changed length or type"]
        return [
            p
            for i, (a, b) in enumerate(zip(before, now, strict=True))
            for p in _paths(a, b, f"{where}[{i}]")
        ]
    if type(before) is not type(now) or before != now:
        return [f"{where}: was {before!r}, now {now!r}"]
    return []


@pytest.fixture(scope="module")
def analyzed_now() -> dict[str, Any]:
    import contextlib
    import io

    from hcctrial.cli.main import run

    out, _ = demo_output()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exc:
        run(["analyze", "--database", str(out / "demo.sqlite"), "--json"])
    assert exc.value.code in (0, None)
    return dict(json.loads(buf.getvalue()))


def test_the_reference_pins_the_fixed_contract_keys() -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    fixed = {"n_enrolled", "best_response", "orr", "dcr", "adverse_events", "pfs", "os", "followup"}
    assert fixed <= set(before)


FIXED = ("n_enrolled", "best_response", "orr", "dcr", "adverse_events", "pfs", "os", "followup")


@pytest.mark.parametrize("key", [*FIXED, "n_screened", "pfs_standard", "conventions"])
def test_analyze_json_with_the_shipped_plan_reproduces_the_key_exactly(
    analyzed_now: dict[str, Any], key: str
) -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    assert _paths({key: before[key]}, analyzed_now) == []


def test_primary_endpoint_is_reproduced_with_the_ci_of_s12_to_rounding(
    analyzed_now: dict[str, Any],
) -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))["primary_endpoint"]
    now = analyzed_now["primary_endpoint"]
    for key, value in before.items():
        if isinstance(value, float):
            assert now[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert now[key] == value, key


#: old subgroup label -> the plan's (portal-vein invasion was "PVI"/"no PVI" in analyze only)
_LABELS = {"PVI": "Present", "no PVI": "Absent"}
_VARIABLES = {"portal_vein_invasion": "pvi", "bclc": "bclc", "imaging": "imaging"}


def test_the_three_subgroups_of_before_keep_their_numbers(analyzed_now: dict[str, Any]) -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))["subgroups"]
    now = {(s["endpoint"], s["variable"]): s for s in analyzed_now["subgroups"]}
    assert len(before) == 6 and len(now) == 12
    for old in before:
        new = now[(old["endpoint"], _VARIABLES[old["variable"]])]
        for key in ("logrank_chisq", "logrank_p", "hazard_ratio", "hr_lower", "hr_upper", "hr_p"):
            assert new[key] == pytest.approx(old[key], rel=1e-12), (old["variable"], key)
        groups = {g["label"]: g for g in new["groups"]}
        for g in old["groups"]:
            ng = groups[_LABELS.get(g["label"], g["label"])]
            for key in ("n", "events", "median", "lower", "upper", "r_median", "rates"):
                assert ng[key] == g[key], (old["variable"], g["label"], key)


def test_the_comparison_sees_a_changed_value() -> None:
    """The comparer itself: a changed number, a missing key and a changed type are all found."""
    before = {"a": {"b": 1.5, "c": [1, 2]}, "d": "x"}
    assert _paths(before, {"a": {"b": 1.5, "c": [1, 2]}, "d": "x", "new": 1}) == []
    assert _paths(before, {"a": {"b": 1.5000001, "c": [1, 2]}, "d": "x"}) == [
        ".a.b: was 1.5, now 1.5000001"
    ]
    assert _paths(before, {"a": {"c": [1, 2]}, "d": "x"}) == [".a.b: missing"]
    assert _paths(before, {"a": {"b": 1.5, "c": [1, 2]}, "d": 1}) == [".d: was 'x', now 1"]
