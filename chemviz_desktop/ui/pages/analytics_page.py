"""Analytics: KPI cards, the per-type statistics table and the charts. Statistics follow the Data
page filter: the engine recomputes them on the filtered frame (in a worker for big frames).
Charts are drawn by a worker (ChartView) only when the page is visible, and cached, so neither an
import nor a chart/theme/filter switch waits on plotting."""
from __future__ import annotations

import gc
from functools import partial
from itertools import count
from typing import Any, Sequence

import numpy as np
from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget

from chemviz_desktop.core.dataset import Dataset, ViewSpec, filtered_statistics
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.figures import CHARTS, draw_chart, type_limits
from chemviz_desktop.core.formatting import fmt
from chemviz_desktop.ui import theme
from chemviz_desktop.ui.chart_panel import ChartView
from chemviz_desktop.ui.models.stats_model import StatsModel
from chemviz_desktop.ui.table_actions import install
from chemviz_desktop.ui.widgets import KpiCard, MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner
from engine import schema
from engine.limits import Limit
from engine.readings import STATUS

SYNC_LIMIT = 50_000   # below this many rows filtered statistics are computed on the GUI thread
_versions = count(1)


def filter_words(spec: ViewSpec) -> str:
    """The filter in words ("" when none): shown above the charts and written into exports."""
    return spec.describe() if hasattr(spec, "describe") else ", ".join(
        p for p in (spec.type_name, f"name contains '{spec.text.strip()}'" if spec.text.strip() else "") if p)


class AnalyticsPage(QWidget):
    statisticsReady = pyqtSignal()
    chartDrawn = pyqtSignal(str)
    rowRequested = pyqtSignal(int)   # a scatter point was clicked: show that row in Data
    typeFilterRequested = pyqtSignal(str)   # right-click on a type: filter the Data page to it

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.spec = ViewSpec()
        self.statistics: dict[str, Any] | None = None
        self.mask: np.ndarray | None = None
        self._dirty = True
        self._version = 0   # bumps with every new statistics/filter: part of the chart cache key
        self.operating: tuple[Limit, ...] = ()   # type limits the box plots draw (#16); in the cache key
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._stats_ready)
        self.runner.error.connect(
            lambda exc: self.message.show_message(f"Statistics failed: {describe(exc, doing='computing statistics')}", "error"))

        self.cards = {k: KpiCard(t) for k, t in (
            ("total", "Equipment (accepted)"), ("excluded", "Rows excluded"), ("types", "Types"),
            ("flowrate", "Avg flowrate"), ("pressure", "Avg pressure"), ("temperature", "Avg temperature"))}
        cards = QHBoxLayout()
        for card in self.cards.values():
            cards.addWidget(card, 1)
        self.filter_label = styled_label("", "Muted")
        self.message = MessageBar()

        self.chart_combo = QComboBox()
        for key, label in CHARTS.items():
            self.chart_combo.addItem(label, key)
        self.param_combo = QComboBox()
        for column in schema.NUMERIC_COLUMNS:
            self.param_combo.addItem(f"{column} ({schema.UNITS[column]})", column)
        self.chart_combo.currentIndexChanged.connect(lambda _i: self._chart_changed())
        self.param_combo.currentIndexChanged.connect(lambda _i: self.redraw())
        self.param_label = QLabel("Parameter:")
        self.x_combo, self.y_combo = QComboBox(), QComboBox()
        for combo, default in ((self.x_combo, schema.PRESSURE), (self.y_combo, schema.TEMPERATURE)):
            for column in schema.NUMERIC_COLUMNS:
                combo.addItem(f"{column} ({schema.UNITS[column]})", column)
            combo.setCurrentIndex(combo.findData(default))
            combo.currentIndexChanged.connect(lambda _i: self.redraw())
        self.x_label, self.y_label = QLabel("X:"), QLabel("Y:")
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Chart:"))
        chooser.addWidget(self.chart_combo)
        chooser.addWidget(self.param_label)
        chooser.addWidget(self.param_combo)
        for w in (self.x_label, self.x_combo, self.y_label, self.y_combo):
            chooser.addWidget(w)
        chooser.addStretch(1)
        self.running_box = QCheckBox("Running only")
        self.running_box.setChecked(True)
        self.running_box.setToolTip("Statistics leave out readings taken while the equipment was not running "
                                    "(an Offline row reading 0.0 is not a flow of zero)")
        self.running_box.toggled.connect(lambda _on: self._recompute())
        self.running_box.hide()                 # shown for files with a Status column
        chooser.addWidget(self.running_box)
        chooser.addWidget(self.filter_label)
        self.chart = ChartView()
        self.chart.note.hide()                  # the chart title says what is shown
        chooser.addWidget(self.chart.toolbar)   # copy/save beside the pickers: the chart keeps the height
        self.chart.drawn.connect(lambda key: self.chartDrawn.emit(key[0]))
        self.chart.failed.connect(lambda text: self.message.show_message(f"Chart failed: {text}", "error"))
        self.chart.pointClicked.connect(self.rowRequested)
        self.zoom: tuple[float, float, float, float] | None = None   # scatter window, None = all
        self.chart.zoomRequested.connect(lambda *limits: self.set_zoom(limits))
        self.chart.zoomReset.connect(lambda: self.set_zoom(None))
        chart_box = QWidget()
        cl = QVBoxLayout(chart_box)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addLayout(chooser)
        cl.addWidget(self.chart, 1)

        self.stats_model = StatsModel(self)
        self.stats_table = QTableView()
        self.stats_table.setModel(self.stats_model)
        setup_table(self.stats_table, stretch_last=False)
        self.table_actions = install(self.stats_table, self._stats_menu)
        self.table_actions.message.connect(lambda text: self.message.show_message(text, "info"))
        fm = self.stats_table.fontMetrics()
        for c, (header, _key) in enumerate(self.stats_model.columns):
            sample = "HeatExchanger" if c == 0 else "1,000,000" if c == 1 else "-1,000,000"
            self.stats_table.setColumnWidth(c, max(fm.horizontalAdvance(sample), fm.horizontalAdvance(header)) + 24)

        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(chart_box)
        self.splitter.addWidget(self.stats_table)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([400, 180])
        self.splitter.setChildrenCollapsible(False)

        lay = QVBoxLayout(self)
        lay.addLayout(cards)
        lay.addWidget(self.message)
        lay.addWidget(self.splitter, 1)
        self._chart_changed()

    # -- inputs ---------------------------------------------------------------------------------
    def set_dataset(self, ds: Dataset | None) -> None:
        self.runner.cancel()
        self.chart.clear_cache()
        # The dataset and the window live long: move them out of the collector's sight, so the
        # full collections that chart drawing triggers scan only new objects (GIL stalls of
        # 100-400 ms at 1M rows otherwise). O(1); objects created later are collected as usual.
        gc.freeze()
        self.dataset = ds
        self.spec = ViewSpec()
        self.statistics = ds.statistics if ds else None
        self.mask = None
        self.message.clear_message()
        has_status = bool(ds is not None and ds.frame is not None and STATUS in ds.frame)
        self.running_box.blockSignals(True)
        self.running_box.setChecked(True)       # each dataset opens with the default (stored statistics)
        self.running_box.blockSignals(False)
        self.running_box.setVisible(has_status)
        self._show_statistics()

    def set_filter(self, spec: ViewSpec) -> None:
        """Recompute statistics for the Data page's filter (engine.compute_statistics)."""
        same = _filter_key(spec) == _filter_key(self.spec)
        self.spec = spec
        ds = self.dataset
        if ds is None or ds.frame is None or (same and self.statistics is not None):
            return
        self._recompute()

    def _recompute(self) -> None:
        ds, spec = self.dataset, self.spec
        if ds is None or ds.frame is None:
            return
        running = self.running_box.isChecked()
        if not spec.filtered and running:
            self.statistics, self.mask = ds.statistics, None
            self._show_statistics()
        elif ds.row_count <= SYNC_LIMIT:
            self._stats_ready(filtered_statistics(None, ds, spec, running))
        else:
            self.filter_label.setText("Updating statistics…")
            self.runner.start(filtered_statistics, ds, spec, running)

    def _stats_ready(self, value: tuple[dict, np.ndarray]) -> None:
        self.statistics, self.mask = value
        self._show_statistics()

    # -- output ---------------------------------------------------------------------------------
    def _show_statistics(self) -> None:
        stats = self.statistics
        self._version = next(_versions)
        self.zoom = None   # new rows: start from the whole picture
        self.stats_model.set_statistics(stats)
        by_type = (stats or {}).get("by_type", {})
        overall = (stats or {}).get("overall", {})
        if stats is None:
            for card in self.cards.values():
                card.set("–")
        else:
            self.cards["total"].set(f"{stats.get('total_equipment', 0):,}",
                                    f"of {stats.get('rows_total', 0):,} rows" if not self.spec.filtered
                                    else "matching the filter")
            ds_report = self.dataset.report if self.dataset else None
            excl = ds_report.rows_excluded if ds_report else stats.get("rows_excluded", 0)
            self.cards["excluded"].set(f"{excl:,}", "of the file" if not self.spec.filtered else "(whole file)")
            top = sorted(by_type.items(), key=lambda kv: -kv[1]["count"])
            n_items = max(1, stats.get("total_equipment", 0))
            self.cards["types"].set(str(len(by_type)), f"largest: {top[0][0]} ({100 * top[0][1]['count'] / n_items:.0f} %)"
                                    if top else "")
            self.cards["types"].detail.setToolTip("\n".join(f"{t}: {e['count']:,}" for t, e in by_type.items()))
            for column, key in schema.STAT_KEY.items():
                value = overall.get(f"avg_{key}")
                unit = schema.UNITS[column]
                self.cards[key].set("–" if value is None else f"{fmt(value)} {unit}",
                                    "" if value is None else f"range {fmt(overall.get(f'min_{key}'))} – "
                                                             f"{fmt(overall.get(f'max_{key}'))}")
        words = filter_words(self.spec)
        self.filter_label.setText(f"Filtered: {words}" if words else "All rows")
        self.filter_label.setToolTip(self.filter_label.text())
        self._dirty = True
        self.statisticsReady.emit()
        if self.isVisible():
            self.redraw()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._dirty:
            self.redraw()

    def _stats_menu(self, menu: Any, index: Any) -> None:
        if index.isValid():
            t = self.stats_model.rows[index.row()][0]
            menu.addAction(f"Filter to type '{t}'", lambda: self.typeFilterRequested.emit(t))

    def current_chart(self) -> str:
        return self.chart_combo.currentData()

    def set_chart(self, key: str, column: str | None = None) -> None:
        """Switch chart (and parameter for the distribution chart); redraws."""
        if column is not None:
            self.param_combo.blockSignals(True)
            self.param_combo.setCurrentIndex(self.param_combo.findData(column))
            self.param_combo.blockSignals(False)
        self.chart_combo.blockSignals(True)
        self.chart_combo.setCurrentIndex(self.chart_combo.findData(key))
        self.chart_combo.blockSignals(False)
        self._chart_changed()

    def set_axes(self, x: str, y: str) -> None:
        """Scatter axes (any two numeric columns); redraws."""
        for combo, column in ((self.x_combo, x), (self.y_combo, y)):
            combo.blockSignals(True)
            combo.setCurrentIndex(combo.findData(column))
            combo.blockSignals(False)
        self.zoom = None
        self.redraw()

    def set_operating_limits(self, limits: Sequence[Limit]) -> None:
        """The stored operating limits changed: box plots draw each type's (type scope) limits.
        They are part of the chart's cache key, so a change redraws and an unchanged set does not."""
        found = type_limits(limits)
        if found != self.operating:
            self.operating = found
            self.redraw()

    def set_zoom(self, limits: tuple[float, float, float, float] | None) -> None:
        """Scatter window (x0, x1, y0, y1) or None for everything; redrawn in the worker."""
        self.zoom = tuple(limits) if limits is not None else None
        self.redraw()

    def _chart_changed(self) -> None:
        chart = self.current_chart()
        for w in (self.param_label, self.param_combo):
            w.setVisible(chart == "parameter")
        for w in (self.x_label, self.x_combo, self.y_label, self.y_combo):
            w.setVisible(chart == "scatter")
        self.redraw()

    def redraw(self) -> None:
        """Ask the chart view for the current chart; it is drawn in a worker (or comes from the
        cache) and `chartDrawn` fires when it is on screen."""
        if not self.isVisible():
            self._dirty = True   # drawn when the page is shown
            return
        ds = self.dataset
        chart, column = self.current_chart(), self.param_combo.currentData()
        x, y = self.x_combo.currentData(), self.y_combo.currentData()
        zoom = self.zoom if chart == "scatter" else None
        self.chart.reset_zoom_button.setVisible(zoom is not None)
        operating = self.operating if chart == "parameter" else ()
        key = (chart, column if chart == "parameter" else None, (x, y, zoom) if chart == "scatter" else None,
               theme.current(), id(ds), self._version, operating)
        draw = partial(_draw, chart=chart, stats=self.statistics, frame=ds.frame if ds else None, mask=self.mask,
                       column=column, colors=theme.chart_colors(), x=x, y=y, limits=zoom, operating=operating)
        self._dirty = False
        self.chart.request(key, draw)


def _filter_key(spec: ViewSpec) -> tuple:
    """The parts of a view spec that change which rows count (not sort, not 'show excluded')."""
    return tuple(getattr(spec, f) for f in ("type_name", "types", "ranges") if hasattr(spec, f)) + \
        (spec.text.strip(),)


def _draw(fig: Any, chart: str, stats: Any, frame: Any, mask: Any, column: str, colors: Any, x: str, y: str,
          limits: Any = None, operating: Sequence[Limit] = ()) -> Any:
    """Runs in the chart worker."""
    return draw_chart(fig, chart, stats, frame, mask, column, colors, x, y, limits, operating)
