"""Compare: two stored datasets side by side (engine.compare_statistics): a table of per-type
differences and a chart; types present in one dataset only are marked. Or chosen equipment side by
side (the seed's comparison: latest values, highest/lowest per parameter), from the registry
listing read in a worker."""
from __future__ import annotations

from functools import partial
from typing import Any

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import engine
from chemviz_desktop.core import equipment_service
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.figures import draw_compare
from chemviz_desktop.core.formatting import fmt_value
from chemviz_desktop.core.store import Store
from chemviz_desktop.ui import theme
from chemviz_desktop.ui.chart_panel import ChartView
from chemviz_desktop.ui.equipment_picker import EquipmentPicker
from chemviz_desktop.ui.models.compare_model import CompareModel
from chemviz_desktop.ui.models.equipment_compare_model import PARAMS, EquipmentCompareModel
from chemviz_desktop.ui.table_actions import install
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner


class ComparePage(QWidget):
    compared = pyqtSignal()
    equipmentCompared = pyqtSignal()

    def __init__(self, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.comparison: dict[str, Any] | None = None
        self.names = ("A", "B")
        self.combo_a, self.combo_b = QComboBox(), QComboBox()
        for combo in (self.combo_a, self.combo_b):
            combo.setMinimumContentsLength(24)
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.compare_button = QPushButton("Compare")
        self.compare_button.clicked.connect(self.compare)
        self.swap_button = QPushButton("Swap")
        self.swap_button.clicked.connect(self._swap)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("A:"))
        bar.addWidget(self.combo_a, 1)
        bar.addWidget(QLabel("B:"))
        bar.addWidget(self.combo_b, 1)
        bar.addWidget(self.swap_button)
        bar.addWidget(self.compare_button)
        self.summary = styled_label("Pick two datasets from the local history.", "Muted", wrap=True)
        self.message = MessageBar()

        self.model = CompareModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table)
        install(self.table)
        fm = self.table.fontMetrics()
        for c, sample in enumerate(("HeatExchanger (only in A)", "Avg temperature (°C)", "1,000,000.00",
                                    "1,000,000.00", "+1,000,000.00")):
            self.table.setColumnWidth(c, fm.horizontalAdvance(sample) + 24)
        self.chart = ChartView()
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([420, 170])
        self.splitter.setChildrenCollapsible(False)

        datasets = QWidget()
        dl = QVBoxLayout(datasets)
        dl.setContentsMargins(0, 4, 0, 0)
        dl.addLayout(bar)
        dl.addWidget(self.summary)
        dl.addWidget(self.message)
        dl.addWidget(self.splitter, 1)
        self.modes = QTabWidget()
        self.modes.setDocumentMode(True)
        self.modes.addTab(datasets, "Two datasets")
        self.modes.addTab(self._equipment_section(store), "Equipment side by side")
        self.modes.currentChanged.connect(lambda i: self.equipment_changed() if i == 1 else None)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Compare", "PageTitle"))
        lay.addWidget(self.modes, 1)
        self.redraw_chart()
        self.refresh()

    # -- equipment side by side ---------------------------------------------------------------------
    def _equipment_section(self, store: Store) -> QWidget:
        self.equipment_result: dict[str, Any] | None = None
        self.eq_runner = TaskRunner(self)
        self.eq_runner.result.connect(self._equipment_ready)
        self.eq_runner.error.connect(lambda exc: self.eq_message.show_message(
            f"Could not compare: {describe(exc, doing='comparing equipment')}", "error"))
        self.eq_picker = EquipmentPicker(str(store.path))
        self.eq_picker.selectionChanged.connect(lambda _names: self.compare_equipment())
        self.eq_summary = styled_label("Tick two or more equipment: their latest readings side by side, the "
                                       "highest (▲) and lowest (▼) of each parameter marked.", "Muted", wrap=True)
        self.eq_message = MessageBar()
        self.eq_model = EquipmentCompareModel(self)
        self.eq_table = QTableView()
        self.eq_table.setModel(self.eq_model)
        setup_table(self.eq_table, stretch_last=False)
        self.eq_table.verticalHeader().show()
        install(self.eq_table)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.eq_summary)
        rl.addWidget(self.eq_message)
        rl.addWidget(self.eq_table, 1)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(QLabel("Equipment:"))
        sl.addWidget(self.eq_picker, 1)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(side)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 700])
        split.setChildrenCollapsible(False)
        return split

    def shutdown(self) -> None:
        """The window is closing: start nothing new."""
        self.eq_picker.shutdown()
        self.eq_runner.cancel()

    def equipment_changed(self) -> None:
        """The registry or readings changed: list the names again and recompute a shown comparison."""
        self.eq_picker.refresh()
        if self.eq_picker.checked:
            self.compare_equipment()

    def compare_equipment(self, names: list[str] | None = None) -> None:
        """Compare these equipment (default: the ticked ones) in a worker."""
        if names is not None:
            self.eq_picker.set_checked(names)     # ticks them; its signal comes back here
            return
        names = list(self.eq_picker.checked)
        if self.eq_picker.closed:
            return
        if not names:
            self.eq_runner.cancel()
            self._equipment_ready(None)
            return
        self.eq_runner.start(equipment_service.compare_listing, str(self.store.path), names)

    def _equipment_ready(self, rows: Any) -> None:
        result = None if rows is None else equipment_service.comparison(rows)
        self.equipment_result = result
        self.eq_model.set_result(result)
        self.eq_message.clear_message()
        if result is None or not result["equipment"]:
            self.eq_summary.setText("Tick two or more equipment: their latest readings side by side, the highest "
                                    "(▲) and lowest (▼) of each parameter marked.")
        elif len(result["equipment"]) == 1:
            self.eq_summary.setText("Tick at least one more equipment to compare.")
        else:
            parts = []
            for p in PARAMS:
                entry = result["comparison"][p]
                if entry["highest"] is not None:
                    hi, lo = entry["highest"], entry["lowest"]
                    parts.append(f"{p.capitalize()}: highest {hi['equipment_name']} ({fmt_value(hi['value'])}), lowest "
                                 f"{lo['equipment_name']} ({fmt_value(lo['value'])})")
            self.eq_summary.setText("Latest readings. " + "; ".join(parts) + ".")
        fm = self.eq_table.fontMetrics()
        for c in range(self.eq_model.columnCount()):
            name = str(self.eq_model.headerData(c, Qt.Horizontal))
            self.eq_table.setColumnWidth(c, max(fm.horizontalAdvance("2026-12-31 23:59 ▲"), fm.horizontalAdvance(name)) + 24)
        self.equipmentCompared.emit()

    def refresh(self) -> None:
        """Reload the choices from the store (after an import, delete or rename)."""
        items = [(i.id, f"{i.display_name} — {i.imported_at[:16].replace('T', ' ')}")
                 for i in self.store.list()]
        known = {self.combo_a.itemData(i) for i in range(self.combo_a.count())}
        fresh = bool(items) and items[0][0] not in known   # a new import: offer newest vs the one before
        for n, combo in enumerate((self.combo_a, self.combo_b)):
            keep = None if fresh else combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for ds_id, label in items:
                combo.addItem(label, ds_id)
            i = combo.findData(keep)
            # newest first in the list: B = newest, A = the one before it
            combo.setCurrentIndex(i if i >= 0 else min(1 - n, len(items) - 1) if items else -1)
            combo.blockSignals(False)
        self.compare_button.setEnabled(len(items) >= 2)
        self.compare_button.setToolTip("" if len(items) >= 2 else "Import a second dataset to compare")
        if fresh and self.comparison is not None:
            self.comparison = None
            self.model.set_comparison(None)
            self.summary.setText("New data imported: pick two datasets and press Compare.")
            self.redraw_chart()

    def select(self, a_id: int, b_id: int) -> None:
        self.combo_a.setCurrentIndex(self.combo_a.findData(a_id))
        self.combo_b.setCurrentIndex(self.combo_b.findData(b_id))

    def _swap(self) -> None:
        a, b = self.combo_a.currentData(), self.combo_b.currentData()
        self.select(b, a)
        if self.comparison is not None:
            self.compare()

    def compare(self) -> None:
        a_id, b_id = self.combo_a.currentData(), self.combo_b.currentData()
        if a_id is None or b_id is None:
            self.message.show_message("Import at least two datasets first.", "warning")
            return
        if a_id == b_id:
            self.message.show_message("A and B are the same dataset: pick two different ones.", "warning")
            return
        a, b = self.store.statistics(a_id), self.store.statistics(b_id)
        if a is None or b is None:
            self.message.show_message("One of the datasets has no statistics yet (server only).", "warning")
            return
        self.message.clear_message()
        self.comparison = engine.compare_statistics(a, b)
        info_a, info_b = self.store.info(a_id), self.store.info(b_id)
        self.names = (info_a.display_name, info_b.display_name)
        self.model.set_comparison(self.comparison)
        total = self.comparison["total_equipment"]
        parts = [f"A: {self.names[0]} ({total['a']:,} items) · B: {self.names[1]} ({total['b']:,} items)"]
        if self.comparison["only_in_a"]:
            parts.append("only in A: " + ", ".join(self.comparison["only_in_a"]))
        if self.comparison["only_in_b"]:
            parts.append("only in B: " + ", ".join(self.comparison["only_in_b"]))
        self.summary.setText(" · ".join(parts) + ".  B − A differences; % relative to A.")
        self.redraw_chart()
        self.compared.emit()

    def redraw_chart(self) -> None:
        """Draw (or redraw, e.g. after a theme change) the A vs B chart."""
        self.chart.request(("compare", id(self.comparison), self.names, theme.current()),
                           partial(draw_compare, comparison=self.comparison, name_a=self.names[0],
                                   name_b=self.names[1], c=theme.chart_colors()))
