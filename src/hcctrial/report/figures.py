"""Report figures with matplotlib (no pyplot state; PNG at 300 dpi and SVG).

Kaplan-Meier plots draw the engine's curve (:class:`~hcctrial.stats.kaplan_meier.KaplanMeierCurve`)
as a right-continuous step function with censor ticks, an optional pointwise CI band, the median
marked, and, when groups are compared, HR (95 % CI) and the log-rank p. The number-at-risk table
under the plot shares the x-axis and prints the engine's :func:`~hcctrial.stats.kaplan_meier.risk_grid`
at the x ticks (at risk = time >= tick, R's convention; cumulative events and censored below);
:class:`KMPlot` returns that grid so callers and tests can compare it with the drawn text.

The other figures (forest, waterfall, swimmer, spider, CONSORT flow) live in
:mod:`hcctrial.report.figures_more`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.stats.kaplan_meier import KaplanMeierCurve, RiskGrid
from hcctrial.stats.km_quantiles import SurvivalQuantile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "COLOURS",
    "RESPONSE_COLOURS",
    "FigureFiles",
    "KMPlot",
    "default_ticks",
    "km_figure",
    "new_figure",
    "save_figure",
    "write_png",
]

#: Curve colours (colour-blind safe, Okabe-Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: Best-response colours for waterfall, swimmer and spider plots.
RESPONSE_COLOURS = {
    "CR": "#009E73",
    "PR": "#0072B2",
    "SD": "#E69F00",
    "PD": "#D55E00",
    "NE": "#999999",
}

_RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text in the SVG (small, searchable)
    "svg.hashsalt": "hcctrial",  # deterministic ids
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class FigureFiles:
    """A saved figure: its key, caption and the PNG (300 dpi) and SVG files."""

    key: str
    caption: str
    png: Path
    svg: Path


@dataclass(frozen=True)
class KMPlot:
    """A drawn Kaplan-Meier figure and the risk grids printed under it (one per curve)."""

    figure: Figure
    grids: tuple[RiskGrid, ...]
    ticks: tuple[float, ...]


def new_figure(width_in: float, height_in: float) -> Figure:
    """Return a matplotlib Figure not managed by pyplot (safe in threads, no GUI)."""
    import matplotlib

    params: Any = matplotlib.rcParams  # typed keys; ours are valid names
    params.update(_RC)
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout=None)


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


def save_figure(fig: Figure, out_dir: Path, key: str, caption: str, dpi: int = 300) -> FigureFiles:
    """Write ``key``.png (``dpi``) and ``key``.svg of the one drawn ``fig`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{key}.png", out_dir / f"{key}.svg"
    write_png(fig, png, dpi)
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": "hcctrial"})
    return FigureFiles(key, caption, png, svg)


def default_ticks(curves: Sequence[KaplanMeierCurve]) -> tuple[float, ...]:
    """Return x ticks every 6 months (12 beyond 48 months) from 0 to past the last time."""
    tmax = max(float(c.time[-1]) for c in curves if c.time.size)
    step = 6.0 if tmax <= 48 else 12.0
    k = math.ceil(tmax / step)
    return tuple(step * i for i in range(k + 1))


def _step_xy(curve: KaplanMeierCurve, y: Any) -> tuple[list[float], list[float]]:
    return [0.0, *curve.time.tolist()], [1.0, *list(y)]


def km_figure(
    curves: Sequence[KaplanMeierCurve],
    *,
    title: str,
    ylabel: str,
    xlabel: str = "Months since first TACE-HAIC",
    medians: Sequence[SurvivalQuantile] | None = None,
    comparison: str | None = None,
    ci_band: bool = False,
    ticks: Sequence[float] | None = None,
) -> KMPlot:
    """Draw KM curves with censor ticks, medians, optional CI band and the risk table under them.

    ``medians``: one per curve (None entries or unreached medians are not drawn); ``comparison``:
    text such as "HR 0.52 (0.30–0.90); log-rank p = 0.018" printed in the plot.
    """
    import numpy as np

    from hcctrial.stats.kaplan_meier import risk_grid

    tk = tuple(float(t) for t in (ticks if ticks is not None else default_ticks(curves)))
    grids = tuple(risk_grid(c, tk) for c in curves)
    n_rows = 2 * len(curves)  # at-risk row and events (censored) row per curve
    table_h = 0.28 * n_rows + 0.45
    total = 4.2 + table_h
    fig = new_figure(6.8, total)
    ax = fig.add_axes((0.24, (table_h + 0.55) / total, 0.72, 3.2 / total))
    axt = fig.add_axes((0.24, 0.05 / total, 0.72, (table_h - 0.15) / total), sharex=ax)
    for k, c in enumerate(curves):
        col = COLOURS[k % len(COLOURS)]
        name = c.label or "All patients"
        x, y = _step_xy(c, c.surv.tolist())
        ax.step(
            x, y, where="post", color=col, lw=1.6, label=f"{name} (n = {c.n}, {c.events} events)"
        )
        cens = c.n_censor > 0
        ax.plot(c.time[cens], c.surv[cens], "|", color=col, ms=7, mew=1.1)
        if ci_band:
            lo = np.nan_to_num(np.asarray(c.lower, dtype=float), nan=0.0)
            up = np.nan_to_num(np.asarray(c.upper, dtype=float), nan=1.0)
            xl, yl = _step_xy(c, lo.tolist())
            _, yu = _step_xy(c, up.tolist())
            ax.fill_between(xl, yl, yu, step="post", color=col, alpha=0.15, lw=0)
        med = medians[k] if medians is not None and k < len(medians) else None
        if med is not None and med.estimate is not None:
            ax.plot([0, med.estimate, med.estimate], [0.5, 0.5, 0.0], ls=":", color=col, lw=1)
            ax.annotate(
                f"{med.estimate:.1f}",
                (med.estimate, 0.0),
                xytext=(3, 4),
                textcoords="offset points",
                color=col,
                fontsize=8,
            )
    ax.set_ylim(0, 1.03)
    ax.set_xlim(tk[0], tk[-1])
    ax.set_xticks(tk)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["0", "25", "50", "75", "100"])
    ax.set_ylabel(f"{ylabel} (%)")
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    if comparison:
        ax.text(
            0.98,
            0.62 if len(curves) > 1 else 0.8,
            comparison,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
        )
    # the risk table: rows of text at the tick x positions, y in row units
    axt.set_ylim(n_rows - 0.5, -1.2)
    axt.axis("off")
    axt.text(
        -0.3,
        -1.0,
        "Number at risk (cumulative events / censored)",
        transform=axt.get_yaxis_transform(),
        ha="left",
        va="center",
        fontsize=8,
        fontweight="bold",
    )
    for k, (c, g) in enumerate(zip(curves, grids, strict=True)):
        col = COLOURS[k % len(COLOURS)]
        r_risk, r_ev = 2 * k, 2 * k + 1
        name = c.label or "All patients"
        axt.text(
            -0.06,
            r_risk,
            name,
            transform=axt.get_yaxis_transform(),
            ha="right",
            va="center",
            color=col,
            fontsize=8,
        )
        axt.text(
            -0.06,
            r_ev,
            "events / censored",
            transform=axt.get_yaxis_transform(),
            ha="right",
            va="center",
            color="#555555",
            fontsize=7,
        )
        for i, t in enumerate(g.ticks):
            axt.text(
                t,
                r_risk,
                str(g.n_risk[i]),
                ha="center",
                va="center",
                color=col,
                fontsize=8,
                gid=f"risk-{k}-{i}",
            )
            axt.text(
                t,
                r_ev,
                f"{g.cum_event[i]}/{g.cum_censor[i]}",
                ha="center",
                va="center",
                color="#555555",
                fontsize=7,
                gid=f"evcens-{k}-{i}",
            )
    return KMPlot(fig, grids, tk)
