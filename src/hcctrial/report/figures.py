"""Report figures with matplotlib (no pyplot state): saving as PNG at 300 dpi and SVG.

The style at print size (journal presets, fonts, colours, line styles) is
:mod:`hcctrial.report.figure_style`; Kaplan-Meier figures are :mod:`hcctrial.report.figures_km`
(re-exported here); the layout check is :mod:`hcctrial.report.layout`. The other figures (forest, waterfall, swimmer, spider, CONSORT flow) live in
:mod:`hcctrial.report.figures_more`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.report.figure_style import (
    COLOURS,
    RESPONSE_COLOURS,
    FigureStyle,
    figure_style,
    new_figure,
)
from hcctrial.report.figures_km import KMPlot, default_ticks, km_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "COLOURS",
    "RESPONSE_COLOURS",
    "FigureFiles",
    "FigureStyle",
    "KMPlot",
    "default_ticks",
    "figure_style",
    "km_figure",
    "new_figure",
    "save_figure",
    "write_png",
]


@dataclass(frozen=True)
class FigureFiles:
    """A saved figure: its key, caption, alt text (what it shows, for screen readers and the
    Word file) and the PNG (300 dpi) and SVG files."""

    key: str
    caption: str
    png: Path
    svg: Path
    alt: str = ""


#: zlib level of the PNG files: 1 is ~2x faster than the usual 6 for ~30 % larger files (the
#: pixels are the same; the report's 19 figures spend much of their time in PNG encoding).
PNG_COMPRESS_LEVEL = 1


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _opaque_rgb_png(rgba: Any, dpi: int) -> bytes:
    """Return the PNG file of an opaque RGBA pixel array (height x width x 4, uint8) as RGB.

    Written here rather than by Pillow because Pillow's encoder tries five row filters on every
    row (adaptive filtering), which makes it ~3x slower on a 300-dpi figure than zlib on the
    unfiltered rows, for files of about the same size (plots are mostly runs of one colour). The
    format is the PNG specification's minimum: IHDR (8-bit RGB), pHYs (dpi as pixels per metre,
    as Pillow writes it), tEXt Software, one IDAT of rows with filter byte 0, IEND.
    """
    import struct
    import zlib

    import numpy as np

    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # column 0: filter type 0 (none)
    rows[:, 1:].reshape(height, width, 3)[...] = rgba[:, :, :3]
    ppm = int(dpi / 0.0254 + 0.5)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _png_chunk(b"tEXt", b"Software\x00hcctrial"),
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESS_LEVEL)),
            _png_chunk(b"IEND", b""),
        )
    )


def write_png(fig: Figure, path: Path, dpi: int = 300) -> None:
    """Render ``fig`` with Agg at ``dpi`` and write it as PNG (dpi recorded in the file).

    The same pixels as ``fig.savefig(path, dpi=dpi)`` (Agg, figure facecolour). An opaque figure
    (every report figure: white background) is written as RGB by :func:`_opaque_rgb_png`; a
    figure with a transparent background goes through Pillow as RGBA. The figure's own dpi is
    restored afterwards.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba

    old_dpi = fig.dpi
    fig.dpi = dpi
    try:
        canvas: Any = FigureCanvasAgg(fig)  # draw/buffer_rgba are untyped in matplotlib
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        patch = fig.patch
        opaque = patch.get_visible() and to_rgba(patch.get_facecolor())[3] == 1.0
        if opaque:
            path.write_bytes(_opaque_rgb_png(rgba, dpi))
        else:
            from PIL import Image, PngImagePlugin

            info = PngImagePlugin.PngInfo()
            info.add_text("Software", "hcctrial")
            Image.fromarray(rgba, "RGBA").save(
                path, format="png", compress_level=PNG_COMPRESS_LEVEL, dpi=(dpi, dpi), pnginfo=info
            )
    finally:
        fig.dpi = old_dpi


def save_figure(
    fig: Figure, out_dir: Path, key: str, caption: str, dpi: int = 300, alt: str = ""
) -> FigureFiles:
    """Write ``key``.png (``dpi``) and ``key``.svg of the one drawn ``fig`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{key}.png", out_dir / f"{key}.svg"
    write_png(fig, png, dpi)
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": "hcctrial"})
    return FigureFiles(key, caption, png, svg, alt or caption)
