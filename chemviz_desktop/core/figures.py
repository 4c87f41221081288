"""Chart drawing on a plain matplotlib Figure (no pyplot, so it also runs in export workers).
Every number comes from the engine statistics or the engine frame; units in every axis label.
Outliers are the rows the engine flagged (1.5 × IQR per type)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from chemviz_desktop.core.chart_style import LIGHT_CHART, TYPE_PALETTE, ChartColors
from chemviz_desktop.core.formatting import elide, fmt_value
from engine import schema
from engine.frames import accepted_mask
from engine.limits import LEVELS, Limit, LimitSet
from engine.stats import iqr_fence

CHARTS = {"averages": "Averages by type", "distribution": "Type distribution",
          "parameter": "Parameter distribution", "scatter": "Scatter (choose axes)"}
NO_DATA = "No dataset yet: import a CSV (Ctrl+O), drop one on the window, or open the sample data."
MAX_POINTS = 20_000    # scatter points drawn (one even sample; outliers ringed within it)
MAX_OUTLIERS = 5_000   # box-plot outlier dots drawn (the legend gives the full count)


# Limit lines (#16): amber for Lo/Hi, red for LoLo/HiHi; a deeper shade on light backgrounds and
# a lighter one on dark, so both read against the plot and differ from the type colours.
LIMIT_COLORS = {"light": {"amber": "#b26a00", "red": "#c62828"}, "dark": {"amber": "#ffb74d", "red": "#ff6b6b"}}


def limit_color(level: str, c: ChartColors) -> str:
    """The colour of a limit line of `level` (lolo/hihi red, lo/hi amber) in the theme of `c`."""
    shade = c.background.lstrip("#")
    dark = len(shade) == 6 and sum(int(shade[i:i + 2], 16) for i in (0, 2, 4)) < 3 * 128
    return LIMIT_COLORS["dark" if dark else "light"]["red" if level in ("lolo", "hihi") else "amber"]


def type_limits(limits: Sequence[Limit]) -> tuple[Limit, ...]:
    """The type-scope limits, sorted: plain hashable data for a chart and its cache key."""
    return tuple(sorted((x for x in limits if x.scope == "type"), key=lambda x: x.key()))


def axis_label(column: str) -> str:
    return f"{column} ({schema.UNITS[column]})"


def type_colors(types: list[str]) -> dict[str, str]:
    return {t: TYPE_PALETTE[i % len(TYPE_PALETTE)] for i, t in enumerate(types)}


def _style(fig: Figure, c: ChartColors) -> None:
    fig.patch.set_facecolor(c.background)
    for ax in fig.axes:
        ax.set_facecolor(c.axes)
        ax.tick_params(colors=c.text, labelsize=9)
        for item in (ax.title, ax.xaxis.label, ax.yaxis.label):
            item.set_color(c.text)
        for spine in ax.spines.values():
            spine.set_color(c.grid)
        ax.grid(True, axis="y", color=c.grid, linewidth=0.6, alpha=0.8)
        ax.set_axisbelow(True)
        legend = ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(c.axes)
            legend.get_frame().set_edgecolor(c.grid)
            for text in legend.get_texts():
                text.set_color(c.text)
    title = getattr(fig, "_suptitle", None)   # Matplotlib keeps the suptitle private
    if title is not None:
        title.set_color(c.text)


def _empty(fig: Figure, text: str, c: ChartColors) -> None:
    ax = fig.add_subplot(111)
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", color=c.text, fontsize=11, transform=ax.transAxes)
    fig.patch.set_facecolor(c.background)


def _by_type(stats: dict[str, Any] | None) -> dict[str, Any]:
    return (stats or {}).get("by_type", {})


def draw_averages(fig: Figure, stats: dict[str, Any] | None, c: ChartColors | None = None) -> None:
    """One axis per parameter (their scales differ by orders of magnitude), a bar per type."""
    c = c or LIGHT_CHART
    fig.clear()
    by_type = _by_type(stats)
    if not by_type:
        return _empty(fig, NO_DATA, c)
    types = list(by_type)
    colors = type_colors(types)
    axes = fig.subplots(1, 3)
    x = np.arange(len(types))
    for ax, (column, key) in zip(axes, schema.STAT_KEY.items(), strict=True):
        values = [by_type[t].get(f"avg_{key}") or 0.0 for t in types]
        ax.bar(x, values, color=[colors[t] for t in types])
        ax.set_title(f"Average {column.lower()} per type", fontsize=10)
        ax.set_ylabel(axis_label(column))
        ax.set_xticks(x)
        ax.set_xticklabels(types, rotation=40, ha="right", fontsize=8)
    _style(fig, c)
    fig.tight_layout()


def draw_distribution(fig: Figure, stats: dict[str, Any] | None, c: ChartColors | None = None) -> None:
    """Count per type as horizontal bars with counts and shares (readable with many types)."""
    c = c or LIGHT_CHART
    fig.clear()
    by_type = _by_type(stats)
    if not by_type:
        return _empty(fig, NO_DATA, c)
    types = list(by_type)[::-1]
    counts = np.array([by_type[t]["count"] for t in types])
    colors = type_colors(list(by_type))
    ax = fig.add_subplot(111)
    bars = ax.barh(types, counts, color=[colors[t] for t in types])
    total = counts.sum() or 1
    for bar, n in zip(bars, counts, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f"  {n:,} ({100 * n / total:.0f} %)",
                va="center", fontsize=9, color=c.text)
    ax.set_xlabel("Equipment count (items)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, counts.max() * 1.25)
    ax.set_title("Type distribution", fontsize=11)
    _style(fig, c)
    ax.grid(True, axis="x", color=c.grid, linewidth=0.6)
    ax.grid(False, axis="y")
    fig.tight_layout()


@dataclass
class Points:
    """Accepted rows (after the filter) as plain arrays: what the frame-based charts draw from."""
    codes: np.ndarray            # type code per row, into `types`
    types: list[str]
    rows: np.ndarray             # spreadsheet row numbers
    positions: np.ndarray        # positions in the frame
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.positions)


def points(frame: pd.DataFrame | None, mask: np.ndarray | None, columns: tuple[str, ...]) -> Points | None:
    """Numpy views of the accepted, filtered rows (no frame copy: 1M rows cost a few ms)."""
    if frame is None:
        return None
    keep = accepted_mask(frame)
    if mask is not None:
        keep &= mask
    pos = np.flatnonzero(keep)
    t = frame[schema.TYPE]
    if isinstance(t.dtype, pd.CategoricalDtype):
        codes, types = t.cat.codes.to_numpy()[pos], [str(c) for c in t.cat.categories]
    else:
        codes, uniques = pd.factorize(t.iloc[pos])
        types = [str(u) for u in uniques]
    rows = frame[schema.ROW].to_numpy()[pos] if schema.ROW in frame else pos + 2
    values = {c: frame[c].to_numpy(dtype=float)[pos] for c in columns}
    return Points(np.asarray(codes), types, rows, pos, values)


def outlier_flags(pts: Points, stats: dict[str, Any] | None, column: str) -> np.ndarray:
    """Every value outside its type's 1.5 × IQR fence (the engine's quartiles; the engine lists
    at most 100 outlier rows per type, the fence finds them all)."""
    key = schema.STAT_KEY[column]
    by_type = _by_type(stats)
    flags = np.zeros(len(pts), dtype=bool)
    v = pts.values[column]
    for code, t in enumerate(pts.types):
        e = by_type.get(t)
        if not e or e.get(f"q1_{key}") is None or e.get(f"q3_{key}") is None:
            continue
        lo, hi = iqr_fence(e[f"q1_{key}"], e[f"q3_{key}"])
        here = pts.codes == code
        flags |= here & ((v < lo) | (v > hi))
    return flags


def even_sample(n: int, limit: int) -> np.ndarray:
    """`limit` evenly spread positions of `n` (all of them when n <= limit)."""
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).astype(np.int64)


def _draw_type_limits(ax: Any, present: list[str], parameter: str, limits: Sequence[Limit], c: ChartColors) -> list[Any]:
    """Each type's operating limits (its type-scope limit of `parameter`) as short dashed segments
    over its box, gid "limit:<type>:<level>"; returns one legend handle per colour drawn."""
    found = LimitSet(limits)
    handles: dict[str, Any] = {}
    for i, t in enumerate(present, start=1):
        limit = found.for_type(t, parameter)
        if limit is None:
            continue
        for level in LEVELS:
            value = getattr(limit, level)
            if value is None:
                continue
            red = level in ("lolo", "hihi")
            line = ax.hlines(value, i - 0.42, i + 0.42, colors=limit_color(level, c), linestyles="--",
                             linewidth=1.8, zorder=4,
                             label="LoLo/HiHi limit" if red else "Lo/Hi limit")
            line.set_gid(f"limit:{t}:{level}")
            handles.setdefault("red" if red else "amber", line)
    return [handles[k] for k in ("amber", "red") if k in handles]


def draw_parameter(fig: Figure, stats: dict[str, Any] | None, frame: pd.DataFrame | None,
                   mask: np.ndarray | None, column: str, c: ChartColors | None = None,
                   limits: Sequence[Limit] = ()) -> None:
    """Histogram (stacked by type, binned with numpy) and a box per type built from the engine
    quartiles, with the IQR outliers drawn in red. The legend sits above the plots, never on bars.
    `limits`: type-scope operating limits, drawn over each type's box (amber Lo/Hi, red
    LoLo/HiHi) and counted in the y range; equipment limits are not drawn here (one box holds
    many equipment), the Trends page shows those."""
    c = c or LIGHT_CHART
    fig.clear()
    by_type = _by_type(stats)
    pts = points(frame, mask, (column,))
    if not by_type or pts is None or not len(pts):
        return _empty(fig, "No rows to show", c)
    key = schema.STAT_KEY[column]
    types = list(by_type)
    colors = type_colors(types)
    ax_h, ax_b = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    values = pts.values[column]
    code_of = {t: i for i, t in enumerate(pts.types)}
    series = {t: values[pts.codes == code_of[t]] for t in types if t in code_of}
    present = [t for t in types if t in series and len(series[t])]
    finite = values[np.isfinite(values)]
    edges = np.histogram_bin_edges(finite, bins=40) if len(finite) else np.linspace(0, 1, 41)
    bottom = np.zeros(len(edges) - 1)
    for t in present:
        counts, _ = np.histogram(series[t], bins=edges)
        ax_h.stairs(bottom + counts, edges, baseline=bottom, fill=True, color=colors[t], label=t)
        bottom = bottom + counts
    ax_h.set_xlabel(axis_label(column))
    ax_h.set_ylabel("Equipment count (items)")
    ax_h.set_title(f"{column} histogram", fontsize=10)
    ax_h.yaxis.set_major_locator(MaxNLocator(integer=True))
    boxes = []
    for t in present:
        e = by_type[t]
        q1, q3 = e.get(f"q1_{key}"), e.get(f"q3_{key}")
        lo, hi = e.get(f"whislo_{key}"), e.get(f"whishi_{key}")   # the engine's Tukey whiskers
        if lo is None or hi is None:  # statistics stored by an older version: same fence, here
            fence_lo, fence_hi = iqr_fence(q1, q3)
            v = series[t]
            inside = v[(v >= fence_lo) & (v <= fence_hi)]
            lo, hi = (float(inside.min()), float(inside.max())) if len(inside) else (q1, q3)
        boxes.append({"label": t, "med": e.get(f"median_{key}"), "q1": q1, "q3": q3,
                      "whislo": lo, "whishi": hi, "fliers": []})
    ax_b.bxp(boxes, showfliers=False, patch_artist=True, boxprops={"facecolor": c.axes, "edgecolor": c.text},
             medianprops={"color": "#ff7f0e"}, whiskerprops={"color": c.text}, capprops={"color": c.text})
    limit_handles = _draw_type_limits(ax_b, present, key, limits, c)
    flags = outlier_flags(pts, stats, column)
    total = int(flags.sum())
    box_handles = list(limit_handles)
    if total:
        hit = np.flatnonzero(flags)
        shown = hit[even_sample(len(hit), MAX_OUTLIERS)]
        pos = np.array([present.index(t) + 1 if t in present else np.nan for t in pts.types])
        label = f"IQR outliers ({total:,})" if len(shown) == total else \
            f"IQR outliers ({total:,}; {len(shown):,} drawn)"
        box_handles.insert(0, ax_b.scatter(pos[pts.codes[shown]], values[shown], color=c.outlier,
                                           s=18 if total < 500 else 6, zorder=3, label=label))
    if box_handles:
        ax_b.legend(handles=box_handles, fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.005), borderaxespad=0,
                    frameon=False, ncol=min(3, len(box_handles)))
    ax_b.set_ylabel(axis_label(column))
    # the title sits above the legend row (it was drawn over it)
    ax_b.set_title(f"{column} by type", fontsize=10, pad=18 if box_handles else 6)
    ax_b.tick_params(axis="x", labelrotation=40)
    for label_ in ax_b.get_xticklabels():
        label_.set_ha("right")
        label_.set_fontsize(8)
    _style(fig, c)
    handles, labels = ax_h.get_legend_handles_labels()
    legend = None
    if 1 < len(present) <= 12:
        per_row = len(present) if len(present) <= 10 else int(np.ceil(len(present) / 2))
        order = [i for r in range(per_row) for i in range(r, len(present), per_row)]   # row-major reading
        legend = fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
                            ncol=per_row, fontsize=8, frameon=False, bbox_to_anchor=(0.01, 1.0))
        for text in legend.get_texts():
            text.set_color(c.text)
    rows_of_legend = 0 if legend is None else (1 if len(present) <= 10 else 2)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.07 * rows_of_legend))


@dataclass
class Hover:
    """What a scatter drew, for hover and click on the shown image."""
    ax: Any
    x: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    labels: Sequence[str]
    note: str = ""
    zoomable: bool = False


class PointLabels(Sequence[str]):
    """The hover text of each drawn point, made when asked: a tooltip needs one at a time, and
    20,000 made up front cost ~1 s of the worker per scatter at 1M rows (and exports need none)."""

    def __init__(self, names: Any, positions: np.ndarray, types: list[str], codes: np.ndarray, rows: np.ndarray,
                 x: str, y: str, xs: np.ndarray, ys: np.ndarray):
        self.names, self.positions, self.types, self.codes, self.rows = names, positions, types, codes, rows
        self.x, self.y, self.xs, self.ys = x, y, xs, ys

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        x, y = self.x, self.y
        return (f"{elide(str(self.names[int(self.positions[i])]), 80)} ({self.types[int(self.codes[i])]}, "
                f"row {self.rows[i]}): {x} {fmt_value(self.xs[i])} {schema.UNITS[x]}, "
                f"{y} {fmt_value(self.ys[i])} {schema.UNITS[y]}")


def draw_scatter(fig: Figure, stats: dict[str, Any] | None, frame: pd.DataFrame | None,
                 mask: np.ndarray | None, c: ChartColors | None = None, x: str = schema.PRESSURE,
                 y: str = schema.TEMPERATURE, limits: tuple[float, float, float, float] | None = None) -> Hover | None:
    """`y` against `x`, coloured by type. Big frames are drawn from one even sample, and only the
    sampled rows are ringed as outliers, so the picture keeps the plant's proportions; the title
    says how many points are shown. `limits` (x0, x1, y0, y1) zooms: the sample is then taken
    inside the window, so zooming in shows every point there once few enough."""
    c = c or LIGHT_CHART
    fig.clear()
    cols = (x,) if x == y else (x, y)
    pts = points(frame, mask, cols)
    if pts is None or not len(pts):
        _empty(fig, "No rows to show", c)
        return None
    types = list(_by_type(stats)) or sorted(pts.types)
    colors = type_colors(types)
    flags = outlier_flags(pts, stats, x) | (outlier_flags(pts, stats, y) if y != x else False)
    inside = np.arange(len(pts))
    if limits is not None:
        x0, x1, y0, y1 = limits
        vx, vy = pts.values[x], pts.values[y]
        inside = np.flatnonzero((vx >= x0) & (vx <= x1) & (vy >= y0) & (vy <= y1))
    n = len(inside)
    pick = inside[even_sample(n, MAX_POINTS)]
    xs, ys = pts.values[x][pick], pts.values[y][pick]
    codes = pts.codes[pick]
    small = n < 2000
    ax = fig.add_subplot(111)
    code_of = {t: i for i, t in enumerate(pts.types)}
    for t in types + [t for t in pts.types if t not in types]:   # legend in the other charts' order
        here = codes == code_of.get(t, -1)
        if here.any():
            ax.scatter(xs[here], ys[here], s=30 if small else 4, alpha=0.85 if small else 0.55,
                       color=colors.get(t, TYPE_PALETTE[-1]), label=t, zorder=2, linewidths=0)
    ringed = flags[pick]
    total_out = int(flags.sum())
    if ringed.any():
        label = "IQR outlier" if len(pick) == n else f"IQR outlier ({int(ringed.sum()):,} of {total_out:,} shown)"
        ax.scatter(xs[ringed], ys[ringed], s=60 if small else 22, facecolors="none", edgecolors=c.outlier,
                   linewidths=1.2 if small else 0.7, label=label, zorder=3)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    title = f"{x} vs {y.lower()}"
    note = f"{len(pick):,} of {n:,} points" + (" (even sample)" if len(pick) < n else "")
    if limits is not None:
        ax.set_xlim(limits[0], limits[1])
        ax.set_ylim(limits[2], limits[3])
        note += " in the zoomed window"
    ax.set_title(f"{title} — {note}", fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    _style(fig, c)
    ax.grid(True, axis="x", color=c.grid, linewidth=0.6)
    fig.tight_layout()
    assert frame is not None   # pts came from it
    labels = PointLabels(frame[schema.NAME].array, pts.positions[pick], pts.types, codes, pts.rows[pick], x, y, xs, ys)
    return Hover(ax, xs, ys, pts.rows[pick], labels, note, zoomable=True)


def draw_chart(fig: Figure, name: str, stats: dict[str, Any] | None, frame: pd.DataFrame | None = None,
               mask: np.ndarray | None = None, column: str = schema.FLOWRATE, c: ChartColors | None = None,
               x: str = schema.PRESSURE, y: str = schema.TEMPERATURE,
               limits: tuple[float, float, float, float] | None = None,
               operating: Sequence[Limit] = ()) -> Hover | None:
    """Draw chart `name` (a key of CHARTS); the scatter returns its points for hover/click.
    `limits` is the scatter's zoom; `operating` the type limits the box plots draw."""
    if name == "averages":
        draw_averages(fig, stats, c)
    elif name == "distribution":
        draw_distribution(fig, stats, c)
    elif name == "parameter":
        draw_parameter(fig, stats, frame, mask, column, c, operating)
    elif name == "scatter":
        return draw_scatter(fig, stats, frame, mask, c, x, y, limits)
    else:
        raise ValueError(f"unknown chart {name!r}")
    return None


def draw_compare(fig: Figure, comparison: dict[str, Any] | None, name_a: str, name_b: str,
                 c: ChartColors | None = None) -> None:
    """A vs B per type for each averaged parameter; a type present in one dataset only is hatched."""
    c = c or LIGHT_CHART
    fig.clear()
    by_type = (comparison or {}).get("by_type", {})
    if not by_type:
        return _empty(fig, "Pick two datasets and press Compare", c)
    types = list(by_type)
    x = np.arange(len(types))
    axes = fig.subplots(1, 3)
    w = 0.38
    for ax, (column, key) in zip(axes, schema.STAT_KEY.items(), strict=True):
        a = [by_type[t][f"avg_{key}"]["a"] for t in types]
        b = [by_type[t][f"avg_{key}"]["b"] for t in types]
        ax.bar(x - w / 2, [v or 0 for v in a], w, color="#1f77b4", label=f"A: {name_a}")
        ax.bar(x + w / 2, [v or 0 for v in b], w, color="#ff7f0e", label=f"B: {name_b}")
        for i, t in enumerate(types):
            presence = by_type[t]["presence"]
            if presence != "both":
                ax.axvspan(i - 0.5, i + 0.5, color=c.grid, alpha=0.5, hatch="//", zorder=0)
        ax.set_xticks(x)
        ax.set_xticklabels([t + ("*" if by_type[t]["presence"] != "both" else "") for t in types],
                           rotation=40, ha="right", fontsize=8)
        ax.set_ylabel(axis_label(column))
        ax.set_title(f"Average {column.lower()}", fontsize=10)
    only = [t for t in types if by_type[t]["presence"] != "both"]
    fig.suptitle("A vs B per type" + ("  (* hatched: in one dataset only)" if only else ""), fontsize=11,
                 x=0.01, ha="left")
    handles, labels = axes[0].get_legend_handles_labels()
    legend = fig.legend(handles, [_short(label) for label in labels], loc="upper right", fontsize=8, ncol=2,
                        frameon=False)
    _style(fig, c)
    for text in legend.get_texts():
        text.set_color(c.text)
    fig.tight_layout(rect=(0, 0, 1, 0.94))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
