"""docs/rules.md is the rule registry in words: the same rules, ids, kinds, checks, messages and
actions; every registered rule is enforced somewhere in the code."""

from __future__ import annotations

import re
from pathlib import Path

from hcctrial.services.checks import CHART_CHECKS
from hcctrial.services.rules import ALL_ACTIONS, RULES, Action, RuleKind

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "rules.md"


def _doc_rows() -> list[list[str]]:
    """The cells of each row of the table "Every rule" (unescaped)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Every rule", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        rows.append([c.strip().replace("\\|", "|") for c in cells])
    return rows


def _actions(cell: str) -> tuple[Action, ...]:
    if cell == "all":
        return ALL_ACTIONS
    return tuple(Action(a.strip()) for a in cell.split(","))


def test_the_table_lists_every_registered_rule_once_in_registry_order() -> None:
    ids = [row[0].strip("`") for row in _doc_rows()]
    assert ids == [r.id for r in RULES]


def test_each_row_says_what_the_registry_says() -> None:
    for row, rule in zip(_doc_rows(), RULES, strict=True):
        _, kind, checks, message, actions = row
        assert RuleKind(kind) is rule.kind, rule.id
        assert checks == rule.checks, rule.id
        assert message.strip("`") == rule.message, rule.id
        assert _actions(actions) == rule.actions, rule.id


def test_every_rule_is_enforced_by_a_chart_check_or_by_named_code() -> None:
    # A rule is enforced where its id is raised: a chart check registered under it, or code of
    # the services (gates, actions, persistence) that names it.
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (REPO / "src" / "hcctrial" / "services").glob("*.py")
        if p.name not in ("rules.py",)
    )
    source += (REPO / "src" / "hcctrial" / "errors.py").read_text(encoding="utf-8")
    missing = [r.id for r in RULES if r.id not in CHART_CHECKS and f'"{r.id}"' not in source]
    assert missing == []
