"""Compare: two stored datasets side by side (engine.compare_statistics): a table of per-type
differences and a chart; types present in one dataset only are marked."""
from __future__ import annotations

from functools import partial
from typing import Any

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget

import engine
from chemviz_desktop.core.figures import draw_compare
from chemviz_desktop.core.store import Store
from chemviz_desktop.ui import theme
from chemviz_desktop.ui.chart_panel import ChartView
from chemviz_desktop.ui.models.compare_model import CompareModel
from chemviz_desktop.ui.table_actions import install
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label


class ComparePage(QWidget):
    compared = pyqtSignal()

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

        title = styled_label("Compare two datasets", "PageTitle")
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(bar)
        lay.addWidget(self.summary)
        lay.addWidget(self.message)
        lay.addWidget(self.splitter, 1)
        self.redraw_chart()
        self.refresh()

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
