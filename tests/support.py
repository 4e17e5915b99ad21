"""Paths of the shared reference material and small readers used across the tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HCCTRIAL_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference"
TESTS_REFERENCE = Path(__file__).resolve().parent / "reference"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Return the records of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
