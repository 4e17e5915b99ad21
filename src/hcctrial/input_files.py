"""The one reader of every input file a user hands hcctrial: JSON, CSV and TOML.

Every command that reads a file (``screen``, ``next``, ``assess``, ``survival``, ``regimen``,
``dose --regimen``, ``import``, ...) goes through this module, so every bad file is refused the
same way: a :class:`hcctrial.errors.DataValidationError` (exit code 2 on the command line) that
names the file, where in it the problem is (byte offset, line, row, column or key) and what was
expected. Nothing here knows what the data mean; the callers check fields.

Why our own layer over :mod:`json`, :mod:`csv` and :mod:`tomllib`: those parse text, but none
checks what arrives before the parse or what the parse silently accepts —

- encodings: UTF-8 with or without a byte-order mark is read; UTF-16 and UTF-32 *with* a BOM are
  decoded (a spreadsheet's "Unicode text" export); anything else (Latin-1 or Windows-1252 bytes,
  UTF-16 without a BOM, binary data, NUL bytes) is refused naming the byte offset and the encoding
  expected, instead of a ``UnicodeDecodeError`` traceback or mojibake;
- JSON: a key given twice in one object is refused (:func:`json.loads` keeps the last silently);
  ``NaN``/``Infinity`` (not JSON), numbers that overflow and integers of more than 15 digits are
  refused; nesting deeper than
  :data:`MAX_JSON_DEPTH` and files over the size limit are refused with a named error instead of a
  ``RecursionError`` or memory exhaustion;
- CSV: a row with more or fewer cells than the header is refused naming its line (:mod:`csv` pads
  a short row with ``None`` or piles extra cells under a ``None`` key), a header naming a column
  twice is refused (:class:`csv.DictReader` keeps the last column silently), a cell over
  :data:`MAX_CSV_FIELD_CHARS` is refused; CRLF line ends and a final newline are accepted.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hcctrial.errors import DataValidationError

__all__ = [
    "MAX_CSV_FIELD_CHARS",
    "MAX_CSV_FILE_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_JSON_FILE_BYTES",
    "MAX_JSON_INT_DIGITS",
    "MAX_TOML_FILE_BYTES",
    "CsvFile",
    "decode_text",
    "read_csv_file",
    "read_json_file",
    "read_text_file",
    "read_toml_file",
]

#: Largest JSON input file, bytes (a patient record of years of daily labs is < 1 MB).
MAX_JSON_FILE_BYTES = 16 * 1024 * 1024
#: Deepest nesting of JSON objects and arrays (patient files nest 4 levels).
MAX_JSON_DEPTH = 64
#: Largest TOML input file (regimen files are a few kB), bytes.
MAX_TOML_FILE_BYTES = 1024 * 1024
#: Largest CSV input file, bytes (a million-row lab table is ~100 MB).
MAX_CSV_FILE_BYTES = 1024 * 1024 * 1024
#: Longest CSV cell, characters (the longest free-text column is a few hundred characters).
MAX_CSV_FIELD_CHARS = 10_000

# Byte-order marks, longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 (big-endian)"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 (big-endian)"),
)
_EXPECTED_ENCODING = "expected UTF-8 text (with or without a BOM; UTF-16/32 need a BOM)"


def _error(what: str, path: Path, problem: str, field: str | None) -> DataValidationError:
    return DataValidationError(f"{what} {str(path)!r}: {problem}", field=field or str(path))


def read_bytes(path: Path, *, what: str, max_bytes: int, field: str | None = None) -> bytes:
    """Return the bytes of ``path`` (at most ``max_bytes``); refuse a missing file, a directory,
    an unreadable file and a larger file by name."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _error(what, path, "file not found", field) from None
    except OSError as exc:
        raise _error(what, path, f"cannot read ({exc.strerror or exc})", field) from None
    if stat.S_ISDIR(info.st_mode):
        raise _error(what, path, "is a directory; expected a file", field)
    if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
        raise _error(
            what, path, f"{info.st_size} bytes; expected a file of at most {max_bytes} bytes", field
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _error(what, path, f"cannot read ({exc.strerror or exc})", field) from None
    if len(data) > max_bytes:
        raise _error(what, path, f"more than {max_bytes} bytes; expected a smaller file", field)
    return data


def _looks_like_utf16(data: bytes) -> bool:
    """Whether BOM-less bytes look like UTF-16 text (every other byte of the first ones NUL)."""
    head = data[:64]
    if len(head) < 4:
        return False
    odd, even = head[1::2], head[0::2]
    return odd.count(0) * 2 >= len(odd) or even.count(0) * 2 >= len(even)


def decode_text(data: bytes, *, what: str, path: Path, field: str | None = None) -> str:
    """Return ``data`` decoded by its byte-order mark (UTF-8 without one); refuse bytes that are
    not text, naming the byte offset and the encoding expected."""
    encoding, label, start = "utf-8", "UTF-8", 0
    for bom, name, shown in _BOMS:
        if data.startswith(bom):
            encoding, label, start = name, shown, len(bom)
            break
    try:
        text = data[start:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        if start == 0 and _looks_like_utf16(data):
            hint = "looks like UTF-16 without a byte-order mark"
        elif start == 0 and 0 in data[: offset + 1]:
            hint = "binary data, not text"
        else:
            hint = f"byte 0x{data[offset]:02x} is not valid {label} (Latin-1 or Windows-1252?)"
        raise _error(
            what,
            path,
            f"not readable as {label} at byte offset {offset}: {hint}; {_EXPECTED_ENCODING}",
            field,
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        offset = start + len(text[:nul].encode(encoding))
        hint = (
            "the file looks like UTF-16 without a byte-order mark"
            if start == 0 and _looks_like_utf16(data)
            else "binary data, not text"
        )
        raise _error(
            what, path, f"NUL byte at byte offset {offset} ({hint}); {_EXPECTED_ENCODING}", field
        )
    return text


def read_text_file(
    path: Path, *, what: str = "file", max_bytes: int, field: str | None = None
) -> str:
    """Return the text of ``path`` (see :func:`decode_text`); refuse an empty file by name."""
    path = Path(path)
    data = read_bytes(path, what=what, max_bytes=max_bytes, field=field)
    text = decode_text(data, what=what, path=path, field=field)
    if not text.strip():
        raise _error(what, path, "the file is empty", field)
    return text


# ---------------------------------------------------------------------------------------------
# JSON


class _JsonRefusal(ValueError):
    """Raised inside the JSON parse hooks; turned into a named error by :func:`read_json_file`."""


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonRefusal(f"key {key!r} appears twice in one object; expected unique keys")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise _JsonRefusal(f"{name} is not a JSON number; expected a finite number or null")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonRefusal(f"number {text} is out of range; expected a finite number")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


#: Most digits of a JSON integer: no quantity hcctrial reads needs more (a float holds 15 exactly).
MAX_JSON_INT_DIGITS = 15


class _LongInteger(str):
    """The text of a JSON integer with too many digits (refused, by key, after the parse)."""


def _bounded_int(text: str) -> int | _LongInteger:
    return _LongInteger(text) if len(text.lstrip("-")) > MAX_JSON_INT_DIGITS else int(text)


def _refusal_at(where: tuple[int | str, ...], node: Any) -> str | None:
    """Return why the leaf ``node`` at key path ``where`` is refused (None when it is fine)."""
    at = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in where).lstrip(".")
    at = at or "(top level)"
    if isinstance(node, _LongInteger):
        digits = len(node.lstrip("-"))
        shown = node if digits <= 30 else f"{node[:12]}...{node[-6:]}"
        return f"{at}: integer {shown} has {digits} digits; expected at most {MAX_JSON_INT_DIGITS}"
    if isinstance(node, str) and _SURROGATE.search(node):
        return (
            f"{at}: the string {node[:40]!r} holds an unpaired surrogate escape "
            "(\\ud800-\\udfff); expected valid Unicode text"
        )
    return None


def _json_depth(value: Any) -> int:
    """Return the nesting depth of objects and arrays in ``value`` (iteratively: no recursion).

    Raises :class:`_JsonRefusal` naming the key path of an integer of more than
    :data:`MAX_JSON_INT_DIGITS` digits, or of a string or key holding an unpaired surrogate
    (``"\\ud800"`` is valid JSON syntax but not text: printing it would fail).
    """
    deepest = 0
    stack: list[tuple[Any, int, tuple[int | str, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            for key, child in node.items():
                problem = _refusal_at(where, key)
                if problem is not None:
                    raise _JsonRefusal(problem)
                stack.append((child, depth + 1, (*where, key)))
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1, (*where, i)) for i, child in enumerate(node))
        else:
            problem = _refusal_at(where, node)
            if problem is not None:
                raise _JsonRefusal(problem)
    return deepest


def read_json_file(
    path: Path,
    *,
    what: str = "file",
    field: str | None = None,
    max_bytes: int = MAX_JSON_FILE_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
    require_object: bool = True,
) -> Any:
    """Return the parsed JSON of ``path``; raise :class:`DataValidationError` naming the file.

    ``what`` names the kind of file in the message ("patient file"); ``field`` is the error's
    field (default: the path). Duplicate keys, ``NaN``/``Infinity``, overflowing numbers, nesting
    deeper than ``max_depth``, files over ``max_bytes`` and (``require_object``, as every input
    file of hcctrial is) a top level other than an object are refused.
    """
    path = Path(path)
    text = read_text_file(path, what=what, max_bytes=max_bytes, field=field)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_object,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as exc:
        raise _error(
            what,
            path,
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            field,
        ) from None
    except _JsonRefusal as exc:
        raise _error(what, path, f"not accepted as JSON input: {exc}", field) from None
    except RecursionError:
        raise _error(
            what, path, f"nested too deeply; expected at most {max_depth} levels", field
        ) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise _error(what, path, f"not accepted as JSON input: {exc}", field) from None
    try:
        depth = _json_depth(value)
    except _JsonRefusal as exc:
        raise _error(what, path, f"not accepted as JSON input: {exc}", field) from None
    if depth > max_depth:
        raise _error(what, path, f"nested {depth} levels deep; expected at most {max_depth}", field)
    if require_object and not isinstance(value, dict):
        shown = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}
        got = shown.get(type(value), "a number")
        raise _error(
            what, path, f"holds {got} at the top level; expected a JSON object {{...}}", field
        )
    return value


# ---------------------------------------------------------------------------------------------
# TOML


def read_toml_file(
    path: Path,
    *,
    what: str = "file",
    field: str | None = None,
    max_bytes: int = MAX_TOML_FILE_BYTES,
) -> dict[str, Any]:
    """Return the parsed TOML of ``path``; raise :class:`DataValidationError` naming the file and,
    for bad TOML, the line and column (TOML itself refuses duplicate keys)."""
    path = Path(path)
    text = read_text_file(path, what=what, max_bytes=max_bytes, field=field)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(what, path, f"not valid TOML ({exc})", field) from None
    except RecursionError:
        raise _error(what, path, "not valid TOML (nested too deeply)", field) from None


# ---------------------------------------------------------------------------------------------
# CSV


@dataclass(frozen=True)
class CsvFile:
    """A CSV file as text: its header (names stripped of spaces) and its data rows.

    ``rows[i]`` has exactly ``len(header)`` cells; ``line_numbers[i]`` is the line of the file it
    starts on, as a text editor shows it and as a spreadsheet numbers its rows (the header is line
    1; blank lines are skipped but counted; a quoted cell spanning lines counts its lines).
    """

    path: Path
    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]

    def records(self) -> list[dict[str, str]]:
        """Return each data row as ``{column: cell}``."""
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


def _duplicate_names(header: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for name in header:
        if name in seen and name not in dupes:
            dupes.append(name)
        seen.add(name)
    return dupes


def _row_problem(
    row: list[str], header: list[str], number: int, max_field_chars: int
) -> str | None:
    """Return what is wrong with the data row starting on line ``number`` (None when fine)."""
    if len(row) != len(header):
        return (
            f"line {number} has {len(row)} cells; expected {len(header)}, one per header column "
            "(a truncated, ragged or mis-quoted row?)"
        )
    if row and max(map(len, row)) > max_field_chars:
        i = next(i for i, cell in enumerate(row) if len(cell) > max_field_chars)
        return (
            f"line {number}, column {header[i]!r}: a cell of {len(row[i])} characters; expected "
            f"at most {max_field_chars}"
        )
    return None


def read_csv_file(
    path: Path,
    *,
    what: str = "CSV file",
    field: str | None = None,
    max_bytes: int = MAX_CSV_FILE_BYTES,
    max_field_chars: int = MAX_CSV_FIELD_CHARS,
) -> CsvFile:
    """Return the header and rows of a CSV file, checked; raise naming the file and the row.

    Refused: an empty file, a header naming a column twice, a data row with more or fewer cells
    than the header, a cell longer than ``max_field_chars``, and text that is not UTF-8 (see
    :func:`decode_text`). Blank lines are skipped; CRLF line ends and a final newline are fine.
    """
    path = Path(path)
    text = read_text_file(path, what=what, max_bytes=max_bytes, field=field)
    limit = max(csv.field_size_limit(), max_field_chars + 1)
    if csv.field_size_limit() < limit:  # our own limit is checked per cell, with a named error
        csv.field_size_limit(limit)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except (csv.Error, StopIteration) as exc:
        raise _error(what, path, f"cannot read the header row ({exc})", field) from None
    dupes = _duplicate_names(header)
    if dupes:
        raise _error(
            what,
            path,
            f"header row names column {', '.join(repr(d) for d in dupes)} more than once; "
            "expected each column once",
            field or dupes[0],
        )
    rows: list[list[str]] = []
    lines: list[int] = []
    line_before = reader.line_num
    try:
        for row in reader:
            number = line_before + 1  # the row's first line (a quoted cell may span lines)
            line_before = reader.line_num
            if not row:
                continue
            problem = _row_problem(row, header, number, max_field_chars)
            if problem is not None:
                raise _error(what, path, problem, field)
            rows.append(row)
            lines.append(number)
    except csv.Error as exc:
        raise _error(what, path, f"line {line_before + 1}: not valid CSV ({exc})", field) from None
    return CsvFile(path, header, rows, lines)
