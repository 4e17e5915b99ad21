"""``hcctrial analyze --json`` with the shipped plan reproduces the output it had before the plan
became a data file (tests/reference/analysis/analyze_demo_before_plan.json, made at commit
b51c3e2): the fixed keys of issue 6 and the other keys of that output value for value; new keys
may only be added beside them.

Two deliberate changes, each checked here: ``primary_endpoint.lower``/``upper`` are now the plan's
one CI of S(12) (the curve's log-log band, :func:`hcctrial.stats.kaplan_meier.confidence_band`),
which equals the landmark test's own log-log interval to the last bit or two (rel. 1e-12); and
``subgroups`` lists the plan's six subgroups where it listed three -- the three it had are
reproduced entry for entry, their groups in the plan's order (reference level first). Floating-point
values agree to rel. 1e-12 (the reference was written on another machine; a sum may differ in its last bit).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.demo.demo_run import demo_output
from tests.support import TESTS_REFERENCE

BEFORE = TESTS_REFERENCE / "analysis" / "analyze_demo_before_plan.json"


def _paths(before: Any, now: Any, where: str = "", rel: float = 0.0) -> list[str]:
    """Return the key paths where ``now`` differs from ``before`` (keys of ``before`` only).

    ``rel`` > 0 lets floats differ by that relative amount (rounding of a refactored path).
    """
    if isinstance(before, dict):
        if not isinstance(now, dict):
            return [f"{where}: was an object, now {type(now).__name__}"]
        out: list[str] = []
        for k, v in before.items():
            if k not in now:
                out.append(f"{where}.{k}: missing")
            else:
                out += _paths(v, now[k], f"{where}.{k}", rel)
        return out
    if isinstance(before, list):
        if not isinstance(now, list) or len(now) != len(before):
            return [f"{where}: list changed length or type"]
        return [
            p
            for i, (a, b) in enumerate(zip(before, now, strict=True))
            for p in _paths(a, b, f"{where}[{i}]", rel)
        ]
    if isinstance(before, float) and isinstance(now, float):
        # Last-bit differences only (rel. 1e-12 unless ``rel`` says otherwise): the reference was
        # written on another machine, where numpy's sums may round differently
        # (seen: 0.9570792402508252 vs ...825).
        if math.isclose(before, now, rel_tol=rel or 1e-12, abs_tol=1e-300):
            return []
        return [f"{where}: was {before!r}, now {now!r}"]
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


def test_the_subgroups_of_before_keep_every_key_and_number(analyzed_now: dict[str, Any]) -> None:
    """The plan lists six subgroups per endpoint where analyze had three; those three are
    reproduced entry for entry (their groups now in the plan's order, reference level first).
    The Cox numbers (HR, CI, score test) to rel. 1e-12: the fit follows R's coxfit6 centring and
    Cholesky since issue 15, which moves their last bits."""
    before = json.loads(BEFORE.read_text(encoding="utf-8"))["subgroups"]
    now = {(s["endpoint"], s["variable"]): s for s in analyzed_now["subgroups"]}
    assert len(before) == 6 and len(now) == 12
    for old in before:
        new = dict(now[(old["endpoint"], old["variable"])])
        groups = {g["label"]: g for g in new.pop("groups")}
        old = dict(old)
        assert _paths({k: v for k, v in old.items() if k != "groups"}, new, rel=1e-12) == []
        for g in old["groups"]:
            assert _paths(g, groups[g["label"]]) == [], (old["variable"], g["label"])
