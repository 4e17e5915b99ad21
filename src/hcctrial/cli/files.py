"""Reading the JSON input files of the CLI commands (patient files, records, mRECIST inputs).

One reader, so that every command reports an unreadable or malformed file the same way: a
:class:`DataValidationError` naming the file, and for bad JSON the line and column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hcctrial.errors import DataValidationError

__all__ = ["read_json_file"]


def read_json_file(path: Path, *, what: str = "file", field: str | None = None) -> Any:
    """Return the parsed JSON of ``path``; raise :class:`DataValidationError` naming the file.

    ``what`` names the kind of file in the message ("patient file", "patient record");
    ``field`` is the error's field (default: the path).
    """
    name = field or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataValidationError(f"{what} {str(path)!r}: file not found", field=name) from None
    except OSError as exc:
        raise DataValidationError(
            f"{what} {str(path)!r}: cannot read ({exc.strerror or exc})", field=name
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataValidationError(
            f"{what} {str(path)!r}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})",
            field=name,
        ) from None
