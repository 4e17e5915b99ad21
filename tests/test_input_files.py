"""The one input-file reader (hcctrial.input_files), by hand-made files: what it reads, where it
says a problem is (byte offset, line, column, key), and that it reads nothing it should refuse."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from hcctrial.errors import DataValidationError
from hcctrial.input_files import (
    decode_text,
    read_csv_file,
    read_json_file,
    read_toml_file,
)


def _file(tmp_path: Path, content: bytes, name: str = "f") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"abc", "abc"),
        (codecs.BOM_UTF8 + "é".encode(), "é"),
        (codecs.BOM_UTF16_LE + "é1".encode("utf-16-le"), "é1"),
        (codecs.BOM_UTF16_BE + "é1".encode("utf-16-be"), "é1"),
        (codecs.BOM_UTF32_LE + "é1".encode("utf-32-le"), "é1"),  # not read as UTF-16-LE + NULs
        (codecs.BOM_UTF32_BE + "é1".encode("utf-32-be"), "é1"),
    ],
)
def test_text_is_decoded_by_its_byte_order_mark(content: bytes, text: str) -> None:
    assert decode_text(content, what="file", path=Path("x")) == text


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"a": "caf\xe9"}', "byte offset 10: byte 0xe9 is not valid UTF-8"),  # '{"a": "caf' = 10
        (b"ab\x00cd", "NUL byte at byte offset 2 (binary data"),
        ("ab".encode("utf-16-le"), "looks like UTF-16 without a byte-order mark"),
        (codecs.BOM_UTF8 + b"ok\xff", "not readable as UTF-8 with BOM at byte offset 5"),
        (codecs.BOM_UTF16_LE + b"a\x00\x00\xd8", "not readable as UTF-16 (little-endian)"),
    ],
)
def test_bytes_that_are_not_text_are_refused_with_the_offset(content: bytes, words: str) -> None:
    with pytest.raises(DataValidationError, match=r"'x': ") as err:
        decode_text(content, what="file", path=Path("x"))
    assert words in str(err.value)


def test_json_duplicate_keys_at_any_depth_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="key 'b' appears twice in one object"):
        read_json_file(_file(tmp_path, b'{"a": {"b": 1, "c": 2, "b": 3}}'))
    assert read_json_file(_file(tmp_path, b'{"a": {"b": 1}, "c": {"b": 1}}')) == {
        "a": {"b": 1},
        "c": {"b": 1},
    }


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1e999}', "number 1e999 is out of range"),
        (b'{"a": ' + b"9" * 5000 + b"}", "integer 999999999999...999999 has 5000 digits"),
        (
            b'{"a": -1234567890123456}',
            "integer -1234567890123456 has 16 digits; expected at most 15",
        ),
        (b'{"a": [[[[[[]]]]]]}', "nested 7 levels deep; expected at most 6"),
        (b"[" * 50_000 + b"]" * 50_000, "nested"),
        (b'{"a": 1} x', "not valid JSON (line 1, column 10: Extra data)"),
        (b'{\n  "a": 1,\n}', "not valid JSON (line 3, column 1"),
        (b"[1, 2]", "holds an array at the top level; expected a JSON object"),
    ],
)
def test_json_refusals_say_what_and_where(tmp_path: Path, content: bytes, words: str) -> None:
    with pytest.raises(DataValidationError) as err:
        read_json_file(_file(tmp_path, content, "in.json"), what="patient file", max_depth=6)
    assert words in str(err.value) and "patient file" in str(err.value)
    assert str(tmp_path / "in.json") in str(err.value)


def test_json_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = _file(tmp_path, b'{"a": "' + b"x" * 100 + b'"}')
    with pytest.raises(DataValidationError, match="109 bytes; expected a file of at most 50 bytes"):
        read_json_file(path, max_bytes=50)


def test_csv_reads_crlf_a_final_newline_blank_lines_and_quoted_newlines(tmp_path: Path) -> None:
    content = b'id,note\r\n1,"two\r\nlines"\r\n\r\n2,plain\r\n'
    table = read_csv_file(_file(tmp_path, content, "t.csv"))
    assert table.header == ["id", "note"]
    assert table.rows == [["1", "two\r\nlines"], ["2", "plain"]]
    assert table.line_numbers == [2, 5]  # the quoted cell spans lines 2-3; line 4 is blank


def test_csv_a_row_after_a_multi_line_cell_is_named_by_its_own_line(tmp_path: Path) -> None:
    content = b'id,note\n1,"a\nb\nc"\n2\n'
    with pytest.raises(DataValidationError, match="line 5 has 1 cells; expected 2"):
        read_csv_file(_file(tmp_path, content, "t.csv"))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"a,b,a\n1,2,3\n", "header row names column 'a' more than once"),
        (b" a ,a\n1,2\n", "header row names column 'a' more than once"),  # names are stripped
        (b"a,b\n1,2\n3\n", "line 3 has 1 cells; expected 2"),
        (b"a,b\n1,2,3\n", "line 2 has 3 cells; expected 2"),
        (b'a,b\n1,"' + b"x" * 30 + b'"\n', "line 2, column 'b': a cell of 30 characters"),
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
    ],
)
def test_csv_refusals_name_the_line_or_column(tmp_path: Path, content: bytes, words: str) -> None:
    with pytest.raises(DataValidationError) as err:
        read_csv_file(_file(tmp_path, content, "t.csv"), max_field_chars=20)
    assert words in str(err.value) and "t.csv" in str(err.value)


def test_csv_field_limit_above_the_csv_modules_own_is_honoured(tmp_path: Path) -> None:
    cell = "y" * 200_000  # larger than csv's default field_size_limit (131072)
    table = read_csv_file(_file(tmp_path, f"a\n{cell}\n".encode()), max_field_chars=300_000)
    assert table.rows == [[cell]]


def test_toml_errors_name_line_and_column_and_duplicates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match=r"not valid TOML .*line 2"):
        read_toml_file(_file(tmp_path, b"a = 1\nb = = 2\n", "r.toml"))
    with pytest.raises(DataValidationError, match="not valid TOML"):
        read_toml_file(_file(tmp_path, b"a = 1\na = 2\n", "r.toml"))
    assert read_toml_file(_file(tmp_path, codecs.BOM_UTF8 + b'a = "\xc3\xa9"\r\n')) == {"a": "é"}


@pytest.mark.parametrize("reader", [read_json_file, read_csv_file, read_toml_file])
def test_missing_files_and_directories_are_named(tmp_path: Path, reader: object) -> None:
    with pytest.raises(DataValidationError, match="file not found"):
        reader(tmp_path / "nope")  # type: ignore[operator]
    with pytest.raises(DataValidationError, match="is a directory; expected a file"):
        reader(tmp_path)  # type: ignore[operator]
