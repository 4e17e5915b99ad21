"""Helpers of the protocol tests: temp regimen files edited as text from the bundled ones."""

from __future__ import annotations

from pathlib import Path

from hcctrial.protocol.regimen import regimen_path


def bundled_text(name: str = "sorafenib_tace_haic_folfox") -> str:
    """Return the text of a bundled regimen file."""
    return regimen_path(name).read_text(encoding="utf-8")


def edited_regimen(
    tmp_path: Path,
    replacements: list[tuple[str, str]],
    name: str = "sorafenib_tace_haic_folfox",
    filename: str = "edited.toml",
) -> Path:
    """Write a copy of a bundled regimen with each ``old`` text replaced once by ``new``."""
    text = bundled_text(name)
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    return path
