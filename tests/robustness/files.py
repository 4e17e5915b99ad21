"""Bad versions of a good input file, one function per kind of damage (table-driven catalogue).

Each mutation takes the text of a valid file and returns the bytes of a damaged one, or one of
the markers :data:`MISSING` (no file at the path) and :data:`DIRECTORY` (a directory at the path).
The same damage is applied to every file kind a command reads (JSON, TOML, CSV), so each command
is shown to refuse it by name through the one reader (:mod:`hcctrial.input_files`).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from pathlib import Path

MISSING = b"\x00<missing>"
DIRECTORY = b"\x00<directory>"

Mutation = Callable[[str], bytes]


def _insert_in_first_string(text: str, raw: bytes) -> bytes:
    """Insert ``raw`` bytes inside the first quoted string of ``text`` (after its first char),
    or, in a file without quotes (CSV), after the first character of the second line."""
    data = text.encode("utf-8")
    start = data.index(b'"') + 2 if b'"' in data else data.index(b"\n") + 2
    return data[:start] + raw + data[start:]


#: Damage that every text file kind suffers alike.
ENCODING_DAMAGE: dict[str, Mutation] = {
    "missing": lambda t: MISSING,
    "directory": lambda t: DIRECTORY,
    "empty": lambda t: b"",
    "only-whitespace": lambda t: b"  \n\r\n\t\n",
    "latin-1-byte": lambda t: _insert_in_first_string(t, "é".encode("latin-1")),
    "windows-1252-quotes": lambda t: _insert_in_first_string(t, b"\x93x\x94"),
    "nul-byte": lambda t: _insert_in_first_string(t, b"\x00"),
    "binary-png": lambda t: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "binary-random": lambda t: bytes((i * 7919 + 13) % 256 for i in range(4096)),
    "utf-16-without-bom": lambda t: t.encode("utf-16-le"),
    "utf-16-be-without-bom": lambda t: t.encode("utf-16-be"),
    "gzip": lambda t: b"\x1f\x8b\x08\x00" + bytes(64),
    "truncated-utf-8": lambda t: (t + "é").encode("utf-8")[:-1],
}

#: Encodings that are read: the output must equal that of the plain UTF-8 file.
ACCEPTED_ENCODINGS: dict[str, Mutation] = {
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16-le-bom": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-32-le-bom": lambda t: codecs.BOM_UTF32_LE + t.encode("utf-32-le"),
    "crlf": lambda t: t.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"),
    "no-final-newline": lambda t: t.rstrip("\r\n").encode("utf-8"),
}


def _first_key(text: str) -> tuple[str, str]:
    data = json.loads(text)
    key = next(iter(data))
    return key, json.dumps(data[key])


def _dup_first_key(text: str) -> bytes:
    key, value = _first_key(text)
    body = text.lstrip()
    return ("{" + json.dumps(key) + ": " + value + ", " + body[1:]).encode()


def _in_second_object(text: str, members: str) -> bytes:
    """Insert ``members`` at the start of the second JSON object of ``text`` (a nested one)."""
    at = text.index("{", text.index("{") + 1) + 1
    return (text[:at] + members + text[at:]).encode()


def _prepend_member(member: str) -> Mutation:
    return lambda t: ("{" + member + ", " + t.lstrip()[1:]).encode()


#: Damage to a JSON file (beyond :data:`ENCODING_DAMAGE`).
JSON_DAMAGE: dict[str, Mutation] = {
    "truncated-half": lambda t: t.encode()[: len(t.encode()) // 2],
    "truncated-last-brace": lambda t: t.rstrip().rstrip("}").encode(),
    "trailing-garbage": lambda t: (t + "\n}}\n").encode(),
    "two-documents": lambda t: (t + "\n" + t).encode(),
    "duplicate-key": _dup_first_key,
    "duplicate-key-nested": lambda t: _in_second_object(t, '"zz": 1, "zz": 2, '),
    "nan": _prepend_member('"zz": NaN'),
    "infinity": _prepend_member('"zz": Infinity'),
    "minus-infinity": _prepend_member('"zz": -Infinity'),
    "overflowing-float": _prepend_member('"zz": 1e400'),
    "huge-integer": _prepend_member('"zz": 1' + "0" * 5000),
    "integer-400-digits": _prepend_member('"zz": ' + "9" * 400),
    "integer-16-digits": _prepend_member('"zz": -1234567890123456'),
    "lone-surrogate-value": _prepend_member('"zz": "\\ud800"'),
    "lone-surrogate-key": _prepend_member('"\\udc00zz": 1'),
    "nested-100-deep": lambda t: ("[" * 100 + "]" * 100).encode(),
    "nested-100000-deep": lambda t: ("[" * 100_000 + "]" * 100_000).encode(),
    "single-quotes": lambda t: t.replace('"', "'").encode(),
    "comment": lambda t: ("// exported by hand\n" + t).encode(),
    "top-level-array": lambda t: ("[" + t + "]").encode(),
    "top-level-string": lambda t: b'"patient"',
    "top-level-number": lambda t: b"42",
    "top-level-null": lambda t: b"null",
    "top-level-true": lambda t: b"true",
    "oversize-17-mb": lambda t: b'{"zz": "' + b"a" * (17 * 1024 * 1024) + b'"}',
}

#: Damage to a TOML file.
TOML_DAMAGE: dict[str, Mutation] = {
    "truncated-half": lambda t: t.encode()[: len(t.encode()) // 2] + b"\n[[",
    "syntax-error": lambda t: (t + "\nmax = = 8\n").encode(),
    "duplicate-key": lambda t: (t.replace("\nname = ", '\nname = "x"\nname = ', 1)).encode(),
    "duplicate-table": lambda t: (t + "\n[eligibility]\nage_min_years = 1\n").encode(),
    "json-not-toml": lambda t: b'{"id": "x"}',
    "oversize-2-mb": lambda t: (t + "\n# " + "x" * (2 * 1024 * 1024) + "\n").encode(),
    "unterminated-string": lambda t: (t + '\nextra = "no end\n').encode(),
}


def _csv_lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def _ragged_long(t: str) -> bytes:
    lines = _csv_lines(t)
    lines[2] += ",surplus"
    return ("\n".join(lines) + "\n").encode()


def _ragged_short(t: str) -> bytes:
    lines = _csv_lines(t)
    lines[2] = lines[2].rsplit(",", 1)[0]
    return ("\n".join(lines) + "\n").encode()


def _truncated_mid_row(t: str) -> bytes:
    data = t.rstrip("\n")
    last = data.rfind("\n")
    cut = last + 1 + max(1, data[last + 1 :].find(","))  # within the first cell of the last row
    return data[:cut].encode()


def _duplicate_column(t: str) -> bytes:
    lines = _csv_lines(t)
    first = lines[0].split(",")[0]
    lines = [ln + "," + ln.split(",")[0] for ln in lines]
    lines[0] = lines[0].rsplit(",", 1)[0] + "," + first
    return ("\n".join(lines) + "\n").encode()


def _long_field(t: str) -> bytes:
    lines = _csv_lines(t)
    cells = lines[1].split(",")
    cells[-1] = '"' + "x" * 20_000 + '"'
    lines[1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def _unterminated_quote(t: str) -> bytes:
    lines = _csv_lines(t)
    cells = lines[-1].split(",")
    cells[0] = '"' + cells[0]
    lines[-1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


#: Damage to a CSV file.
CSV_DAMAGE: dict[str, Mutation] = {
    "ragged-row-too-many-cells": _ragged_long,
    "ragged-row-too-few-cells": _ragged_short,
    "truncated-mid-row": _truncated_mid_row,
    "duplicate-column": _duplicate_column,
    "field-over-length-limit": _long_field,
    "unterminated-quote": _unterminated_quote,
}


def write_input(path: Path, content: bytes) -> None:
    """Create ``path`` holding ``content``, a directory, or nothing (:data:`MISSING`)."""
    if content == MISSING:
        return
    if content == DIRECTORY:
        path.mkdir(parents=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
