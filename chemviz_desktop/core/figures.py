"""Chart drawing on a plain matplotlib Figure (no pyplot, so it also runs in export workers).
Every number comes from the engine statistics or the engine frame; units in every axis label.
Outliers are the rows the engine flagged (1.5 × IQR per type)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from engine import schema
from engine.frames import accepted_mask
from engine.stats import iqr_fence

from chemviz_desktop.core.chart_style import LIGHT_CHART, TYPE_PALETTE, ChartColors

CHARTS = {"averages": "Averages by type", "distribution": "Type distribution",
          "parameter": "Parameter distribution", "scatter": "Pressure vs temperature"}
NO_DATA = "No dataset yet: import a CSV (Ctrl+O), drop one on the window, or open the sample data."
MAX_POINTS = 20_000  # scatter points drawn; outliers are always drawn


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
    if fig._suptitle is not None:
        fig._suptitle.set_color(c.text)


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
    for ax, (column, key) in zip(axes, schema.STAT_KEY.items()):
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
    for bar, n in zip(bars, counts):
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


def _accepted(frame: pd.DataFrame | None, mask: np.ndarray | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    keep = accepted_mask(frame)
    if mask is not None:
        keep &= mask
    return frame[keep]


def _outlier_rows(stats: dict[str, Any] | None, key: str, types: list[str] | None = None) -> np.ndarray:
    rows: list[int] = []
    for t, entry in _by_type(stats).items():
        if types is None or t in types:
            rows += entry.get("outliers", {}).get(key, {}).get("rows", [])
    return np.asarray(rows, dtype=np.int64)


def draw_parameter(fig: Figure, stats: dict[str, Any] | None, frame: pd.DataFrame | None,
                   mask: np.ndarray | None, column: str, c: ChartColors | None = None) -> None:
    """Histogram (stacked by type) and a box per type, built from the engine quartiles, with the
    engine's IQR outliers drawn in red."""
    c = c or LIGHT_CHART
    fig.clear()
    by_type = _by_type(stats)
    data = _accepted(frame, mask)
    if not by_type or data is None or not len(data):
        return _empty(fig, "No rows to show", c)
    key = schema.STAT_KEY[column]
    types = list(by_type)
    colors = type_colors(types)
    ax_h, ax_b = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    groups = data.groupby(schema.TYPE, sort=False, observed=True)[column]
    series = {str(t): s.to_numpy(dtype=float) for t, s in groups}
    present = [t for t in types if t in series]
    ax_h.hist([series[t] for t in present], bins=40, stacked=True, histtype="stepfilled",
              color=[colors[t] for t in present],
              label=present)
    ax_h.set_xlabel(axis_label(column))
    ax_h.set_ylabel("Equipment count (items)")
    ax_h.set_title(f"{column} histogram", fontsize=10)
    ax_h.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(present) <= 10:
        handles, labels = ax_h.get_legend_handles_labels()
        order = [labels.index(t) for t in present if t in labels]   # stacked patches come back reversed
        ax_h.legend([handles[i] for i in order], [labels[i] for i in order], fontsize=8,
                    ncol=2 if len(present) > 5 else 1)
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
    rows = _outlier_rows(stats, key)
    if len(rows) and schema.ROW in data:
        hit = data[np.isin(data[schema.ROW].to_numpy(), rows)]
        pos = {t: i + 1 for i, t in enumerate(present)}
        xs = hit[schema.TYPE].map(pos).to_numpy(dtype=float)
        ax_b.scatter(xs, hit[column].to_numpy(dtype=float), color=c.outlier, s=18, zorder=3,
                     label=f"IQR outliers ({int(sum(by_type[t]['outliers'][key]['count'] for t in present))})")
        ax_b.legend(fontsize=8, loc="best")
    ax_b.set_ylabel(axis_label(column))
    ax_b.set_title(f"{column} by type", fontsize=10)
    ax_b.tick_params(axis="x", labelrotation=40)
    for label in ax_b.get_xticklabels():
        label.set_ha("right")
        label.set_fontsize(8)
    _style(fig, c)
    fig.tight_layout()


def draw_scatter(fig: Figure, stats: dict[str, Any] | None, frame: pd.DataFrame | None,
                 mask: np.ndarray | None, c: ChartColors | None = None) -> None:
    """Pressure vs temperature, coloured by type; pressure/temperature outliers ringed in red.
    Big frames are drawn from an even sample (the title says so)."""
    c = c or LIGHT_CHART
    fig.clear()
    data = _accepted(frame, mask)
    if data is None or not len(data):
        return _empty(fig, "No rows to show", c)
    types = list(_by_type(stats)) or sorted(data[schema.TYPE].unique())
    colors = type_colors(types)
    n = len(data)
    sample = data
    if n > MAX_POINTS:
        sample = data.iloc[np.linspace(0, n - 1, MAX_POINTS).astype(np.int64)]
    ax = fig.add_subplot(111)
    codes = pd.Categorical(sample[schema.TYPE], categories=types).codes
    for i, t in enumerate(types):
        pick = codes == i
        if pick.any():
            ax.scatter(sample[schema.PRESSURE].to_numpy()[pick], sample[schema.TEMPERATURE].to_numpy()[pick],
                       s=14 if n < 2000 else 4, alpha=0.85 if n < 2000 else 0.5, color=colors[t], label=t)
    rows = np.union1d(_outlier_rows(stats, "pressure"), _outlier_rows(stats, "temperature"))
    if len(rows) and schema.ROW in data:
        hit = data[np.isin(data[schema.ROW].to_numpy(), rows)]
        ax.scatter(hit[schema.PRESSURE], hit[schema.TEMPERATURE], s=70 if n < 2000 else 30, facecolors="none",
                   edgecolors=c.outlier, linewidths=1.4, label="IQR outlier", zorder=3)
    ax.set_xlabel(axis_label(schema.PRESSURE))
    ax.set_ylabel(axis_label(schema.TEMPERATURE))
    title = "Pressure vs temperature"
    if n > MAX_POINTS:
        title += f" (even sample of {MAX_POINTS:,} of {n:,} rows)"
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    _style(fig, c)
    ax.grid(True, axis="x", color=c.grid, linewidth=0.6)
    fig.tight_layout()


def draw_chart(fig: Figure, name: str, stats: dict[str, Any] | None, frame: pd.DataFrame | None = None,
               mask: np.ndarray | None = None, column: str = schema.FLOWRATE, c: ChartColors | None = None) -> None:
    """Draw chart `name` (a key of CHARTS)."""
    if name == "averages":
        draw_averages(fig, stats, c)
    elif name == "distribution":
        draw_distribution(fig, stats, c)
    elif name == "parameter":
        draw_parameter(fig, stats, frame, mask, column, c)
    elif name == "scatter":
        draw_scatter(fig, stats, frame, mask, c)
    else:
        raise ValueError(f"unknown chart {name!r}")


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
    for ax, (column, key) in zip(axes, schema.STAT_KEY.items()):
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
    legend = fig.legend(handles, [_short(l) for l in labels], loc="upper right", fontsize=8, ncol=2,
                        frameon=False)
    _style(fig, c)
    for text in legend.get_texts():
        text.set_color(c.text)
    fig.tight_layout(rect=(0, 0, 1, 0.94))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
