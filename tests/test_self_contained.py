"""The repository stands alone: the tests' reference files are the recorded copies, and no test or
source file points outside the repository; Hypothesis runs with the printed seed."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest

from tests.support import REPO, TESTS_REFERENCE

_SUMS = TESTS_REFERENCE / "SHA256SUMS"


def _recorded() -> list[tuple[str, str]]:
    rows = [line.split(maxsplit=1) for line in _SUMS.read_text().splitlines() if line.strip()]
    return [(digest, name.strip()) for digest, name in rows]


@pytest.mark.parametrize(("digest", "name"), _recorded(), ids=[n for _, n in _recorded()])
def test_each_reference_copy_is_the_recorded_file(digest: str, name: str) -> None:
    assert hashlib.sha256((TESTS_REFERENCE / name).read_bytes()).hexdigest() == digest


def test_every_reference_file_has_a_recorded_hash_and_a_readme_row() -> None:
    recorded = {name for _, name in _recorded()}
    readme = (TESTS_REFERENCE / "README.md").read_text(encoding="utf-8")
    for path in TESTS_REFERENCE.rglob("*"):
        if path.is_dir() or (
            path.name in {"SHA256SUMS", "README.md"} and path.parent == TESTS_REFERENCE
        ):
            continue
        name = path.relative_to(TESTS_REFERENCE).as_posix()
        if name in {"survival/README.md", "analysis/README.md"}:
            continue
        assert name in recorded, f"{name}: copied without a SHA-256 in SHA256SUMS"
        assert path.name in readme, f"{name}: no provenance row in tests/reference/README.md"


#: A string in code that names the seed's sibling folder (docstrings only cite it as provenance).
_OUTSIDE = re.compile(r"(^|/)\.\./shared(/|$)|/work/shared|^shared$")


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """Return (line, text) of every string constant of a module that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("top", ["src", "tests", "benchmarks", "tools"])
def test_no_code_points_outside_the_repository(top: str) -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line}: {text!r}"
        for path in sorted((REPO / top).rglob("*.py"))
        if path != Path(__file__).resolve()
        for line, text in _code_strings(path)
        if _OUTSIDE.search(text)
    ]
    assert offenders == []


def test_the_outside_pattern_catches_the_old_reference_paths() -> None:
    """The control: the check above flags what the tests used to read."""
    assert _OUTSIDE.search("shared") and _OUTSIDE.search("../shared/reference/design")
    assert not _OUTSIDE.search("shared_state") and not _OUTSIDE.search("docx.shared")


def test_hypothesis_runs_with_the_printed_seed(pytestconfig: pytest.Config) -> None:
    from hypothesis import core

    seed = pytestconfig.getoption("hypothesis_seed")
    assert seed is not None and core.global_force_seed == int(seed)
