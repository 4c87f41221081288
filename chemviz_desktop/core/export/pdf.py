"""The PDF report a user hands to a manager: title, file, date, summary, statistics table, the
operating-limit findings (#16), the charts and the validation summary (reportlab; charts rendered
with Agg).

Findings: the excursions (alerts) of the dataset's equipment during its readings (`store.alerts.
dataset_findings`): counts per level, then the worst first (LoLo/HiHi before Lo/Hi, then the
farthest beyond its limit), at most MAX_FINDINGS rows and "and N more". When nothing can be
listed the section says why in words: no limits set, no excursions, or the dataset not stored.

Speed: each chart is laid out and drawn once at the resolution it is printed at, and its pixels go
to reportlab as an image in memory (no PNG encoded and decoded again); images are stored binary,
not ASCII85 (reportlab's pure-Python encoder cost ~0.5 s per report)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chemviz_desktop.core.dataset import Dataset
from chemviz_desktop.core.export.charts import chart_list, render
from chemviz_desktop.core.formatting import fmt, local_time, outlier_total
from chemviz_desktop.core.render import young_garbage
from chemviz_desktop.core.store import Store, StoreError
from chemviz_desktop.core.store.alerts import StoredAlert, dataset_findings
from engine import schema
from engine.progress import Progress
from engine.version import APP_NAME, __version__

MAX_ISSUES_LISTED = 40
MAX_FINDINGS = 30
LEVEL_WORDS = {"hihi": "HiHi", "hi": "Hi", "lo": "Lo", "lolo": "LoLo"}
CHART_DPI = 110    # at 2/3 of a landscape page: print-sharp
CHART_SIZE = (10, 4.6)
rl_config.useA85 = 0   # binary image streams: the same PDF, without a slow pure-Python encoding


def _stats_table(stats: dict[str, Any] | None) -> Table:
    header = ["Type", "Count"] + [f"Avg {c.lower()}\n({u})" for c, u in schema.UNITS.items()] + \
             [f"Min–max {c.lower()}\n({u})" for c, u in schema.UNITS.items()] + ["Outliers"]
    rows = [header]
    for t, e in (stats or {}).get("by_type", {}).items():
        row = [t, fmt(e.get("count"))]
        row += [fmt(e.get(f"avg_{k}")) for k in schema.STAT_KEY.values()]
        row += [f"{fmt(e.get(f'min_{k}'))} – {fmt(e.get(f'max_{k}'))}" for k in schema.STAT_KEY.values()]
        row.append(fmt(outlier_total(e)))
        rows.append(row)
    overall = (stats or {}).get("overall", {})
    rows.append(["All types", fmt((stats or {}).get("total_equipment"))]
                + [fmt(overall.get(f"avg_{k}")) for k in schema.STAT_KEY.values()]
                + [f"{fmt(overall.get(f'min_{k}'))} – {fmt(overall.get(f'max_{k}'))}" for k in schema.STAT_KEY.values()]
                + [fmt(sum(outlier_total(e) for e in (stats or {}).get("by_type", {}).values()))])
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7eef7")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f6f8fb")]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8ccd2")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


class _Picture(Flowable):
    """A chart image (RGB pixels in memory) drawn at a fixed size on the page."""

    def __init__(self, image: PILImage.Image, width: float, height: float):
        super().__init__()
        self.image, self.width, self.height = image, width, height

    def wrap(self, _avail_width: float, _avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(ImageReader(self.image), 0, 0, self.width, self.height)


def _chart_image(name: str, stats: dict[str, Any] | None, ds: Dataset, column: str | None, mask: Any,
                 width: float) -> _Picture:
    with young_garbage():   # the figure's garbage is freed young: no long collection later
        fig = render(name, stats, ds, column or schema.FLOWRATE, mask, size=CHART_SIZE, dpi=CHART_DPI)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())   # type: ignore[attr-defined]
        image = PILImage.fromarray(rgba[:, :, :3].copy(), "RGB")
        del fig, rgba
    return _Picture(image, width, width * CHART_SIZE[1] / CHART_SIZE[0])


@dataclass
class Findings:
    """The alerts a report lists, and why there may be none."""
    stored: bool                          # the dataset's readings are in the local store
    limited: bool = False                 # some limit applies to its equipment
    alerts: list[StoredAlert] = field(default_factory=list)
    problem: str = ""                     # the store could not be read (said in the report)


def load_findings(store_path: str | Path | None, dataset_id: int | None) -> Findings:
    """The findings of a stored dataset (its own Store: report workers run off the GUI thread)."""
    if dataset_id is None:
        return Findings(stored=False)
    try:
        store = Store(store_path)
        try:
            limited, alerts = dataset_findings(store.db, int(dataset_id))
        finally:
            store.close()
    except StoreError as exc:
        return Findings(stored=True, problem=str(exc))
    return Findings(stored=True, limited=limited, alerts=alerts)


def worst_first(alerts: list[StoredAlert]) -> list[StoredAlert]:
    """LoLo/HiHi before Lo/Hi, then the farthest beyond its limit, then the earliest."""
    return sorted(alerts, key=lambda a: (a.level not in ("lolo", "hihi"), -abs(a.peak - a.limit), a.start, a.id))


def _when(ts: Any) -> str:
    return "" if ts is None else ts.to_pydatetime().astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def findings_story(f: Findings, width: float, body: Any, small: Any, heading: Any) -> list[Any]:
    """The "Findings" section as flowables."""
    story: list[Any] = [Paragraph("Findings: operating-limit excursions", heading)]
    if f.problem:
        return story + [Paragraph(f"The alerts could not be read: {escape(f.problem)}", body)]
    if not f.stored:
        return story + [Paragraph("This dataset is not in the local store, so no alerts were evaluated for it.",
                                  body)]
    if not f.limited:
        return story + [Paragraph("No limits set for this dataset's equipment (Settings ▸ Operating limits): "
                                  "nothing was checked.", body)]
    if not f.alerts:
        return story + [Paragraph("No excursions: every reading of this dataset's equipment stayed within "
                                  "its limits.", body)]
    counts = {lv: sum(a.level == lv for a in f.alerts) for lv in ("hihi", "hi", "lo", "lolo")}
    active = sum(a.active for a in f.alerts)
    story.append(Paragraph(
        f"{len(f.alerts):,} excursion{'s' if len(f.alerts) != 1 else ''}: "
        + ", ".join(f"{LEVEL_WORDS[lv]} {n:,}" for lv, n in counts.items())
        + f"; {active:,} still active. Worst first (LoLo/HiHi, then the farthest beyond its limit); "
          "times are local.", body))
    shown = worst_first(f.alerts)[:MAX_FINDINGS]
    rows: list[list[Any]] = [["Equipment", "Parameter", "Level", "Limit", "Peak", "Start", "End", "Duration",
                              "State"]]
    for a in shown:
        rows.append([Paragraph(escape(a.equipment), small), a.parameter, LEVEL_WORDS.get(a.level, a.level),
                     fmt(a.limit), fmt(a.peak), _when(a.start), _when(a.end) if a.end is not None else "active",
                     _duration(a.duration_s) + ("" if a.end is not None else " so far"), a.state])
    others = [w * cm for w in (2.4, 1.6, 1.6, 1.6, 3.3, 3.3, 2.6, 4.2)]   # the equipment name takes the rest
    t = Table(rows, colWidths=[width - sum(others), *others], repeatRows=1)
    red = [("TEXTCOLOR", (2, i), (2, i), colors.HexColor("#c62828")) for i, a in enumerate(shown, start=1)
           if a.level in ("lolo", "hihi")]
    amber = [("TEXTCOLOR", (2, i), (2, i), colors.HexColor("#b26a00")) for i, a in enumerate(shown, start=1)
             if a.level in ("lo", "hi")]
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                           ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7eef7")),
                           ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8ccd2")),
                           ("ALIGN", (3, 1), (4, -1), "RIGHT"),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *red, *amber]))
    story.append(t)
    if len(f.alerts) > len(shown):
        story.append(Paragraph(f"… and {len(f.alerts) - len(shown):,} more (the Alerts page lists them all).",
                               small))
    return story


def write_report(path: Path, ds: Dataset, stats: dict[str, Any] | None, filter_text: str = "",
                 state: Progress | None = None, mask: Any = None, findings: Findings | None = None,
                 store_path: str | Path | None = None) -> None:
    """Write the report. `findings` default: read from the store at `store_path` (default: the
    user's local store, the one the window uses) for the stored dataset `ds.store_id`."""
    if findings is None:
        findings = load_findings(store_path, ds.store_id)
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.4 * cm, bottomMargin=1.4 * cm,
                            title=f"{APP_NAME} report — {ds.name}", author=APP_NAME)
    r = ds.report
    story: list[Any] = [
        Paragraph(f"{APP_NAME} equipment report", styles["Title"]),
        Paragraph(f"<b>File:</b> {escape(ds.name)}", body),
        Paragraph(f"<b>Imported:</b> {escape(local_time(ds.imported_at) if ds.imported_at else '—')} · "
                  f"<b>Report generated:</b> {datetime.now().strftime('%Y-%m-%d %H:%M')} · {APP_NAME} {__version__}",
                  body),
        Paragraph(f"<b>Summary:</b> {escape(r.summary())}", body),
    ]
    if filter_text:
        story.append(Paragraph(f"<b>Filter applied:</b> {escape(filter_text)} — statistics and charts cover "
                               f"the filtered rows only.", body))
    story += [Spacer(1, 8), Paragraph("Statistics per type (L/min, bar, °C)", styles["Heading2"]),
              _stats_table(stats), Spacer(1, 10)]
    if filter_text:
        story.append(Paragraph("The findings cover all the dataset's readings, not only the filtered rows.", small))
    story += findings_story(findings, doc.width, body, small, styles["Heading2"])
    story += [PageBreak(), Paragraph("Charts", styles["Heading2"])]
    width = doc.width
    charts = chart_list()
    for i, (name, column, _stem) in enumerate(charts):
        if state is not None:
            state.check()
            state.progress(0.2 + 0.7 * i / len(charts), f"Drawing {name}")
        story.append(_chart_image(name, stats, ds, column, mask, width * 0.66))  # two per page
        story.append(Spacer(1, 6))
    if state is not None:
        state.progress(0.9, "Writing the PDF")
    story += [PageBreak(), Paragraph("Validation summary", styles["Heading2"]),
              Paragraph(f"{r.rows_total:,} data rows read; {r.rows_accepted:,} accepted, "
                        f"{r.rows_excluded:,} excluded.", body)]
    if r.excluded_reasons:
        story.append(Paragraph("Excluded rows by reason: " + escape(", ".join(
            f"{code.replace('_', ' ')}: {n:,}" for code, n in r.excluded_reasons.most_common())), body))
    for note in r.notes:
        story.append(Paragraph("• " + escape(note), body))
    listed = [i for i in r.issues if i.severity != "info"][:MAX_ISSUES_LISTED]
    if listed:
        rows = [["Severity", "Row", "Column", "Message"]] + [
            [i.severity, "" if i.row is None else str(i.row), i.column or "", Paragraph(escape(i.message), small)]
            for i in listed]
        t = Table(rows, colWidths=[2 * cm, 1.5 * cm, 3.5 * cm, width - 7 * cm], repeatRows=1)
        t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                               ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                               ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8ccd2")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [Spacer(1, 6), t]
        if r.issues_total > len(listed):
            story.append(Paragraph(f"Showing {len(listed)} of {r.issues_total:,} issues; the app lists them all.",
                                   small))
    doc.build(story)
