"""Paths of the tests' reference material (inside the repository) and small readers used across
the tests.

Everything a test compares against is in ``tests/reference/`` (provenance in its README.md);
nothing here points outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS_REFERENCE = Path(__file__).resolve().parent / "reference"
#: Clinical, design and survival reference vectors (copied from the project's peer outputs).
REFERENCE = TESTS_REFERENCE
#: The seed paper's figures, each with its quote (``seed/published.json``).
PUBLISHED_JSON = TESTS_REFERENCE / "seed" / "published.json"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Return the records of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def published_figures() -> dict[str, Any]:
    """Return the seed paper's figures (``tests/reference/seed/published.json``)."""
    data: dict[str, Any] = json.loads(PUBLISHED_JSON.read_text(encoding="utf-8"))
    return data
