"""Settings ▸ Limits (#16): the operating limits per equipment type and per equipment (an
equipment's own limit overrides its type's), per parameter: LoLo/Lo/Hi/HiHi, deadband and on-delay,
in canonical units. Add, edit and delete rows; what is wrong is said in words before anything is
saved; import/export the limits CSV (`scope,name,parameter,lolo,lo,hi,hihi,deadband,delay_s`).
Save makes the table the stored limits (`limits.put(..., replace=True)`, alerts re-evaluated in
the same transaction, in a worker). Opened from the Equipment page with `equipment=` it shows only
that equipment's rows and its type's (the others are kept and saved unchanged)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QShortcut,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core import monitoring
from chemviz_desktop.core.errors import describe
from chemviz_desktop.ui.models.rows_model import Column, editable_table
from chemviz_desktop.ui.widgets import MessageBar, fit_columns_to_header, styled_label
from chemviz_desktop.ui.workers import TaskRunner
from engine.limits import PARAMETERS, SCOPES, Limit, LimitError, name_key, read_limits_csv, write_limits_csv

# (header, key) of the table's columns; keys are the CSV columns
COLUMNS: list[tuple[str, str]] = [("Scope", "scope"), ("Name", "name"), ("Parameter", "parameter"),
                                  ("LoLo", "lolo"), ("Lo", "lo"), ("Hi", "hi"), ("HiHi", "hihi"),
                                  ("Deadband", "deadband"), ("On-delay (s)", "delay_s")]
KEYS = [k for _h, k in COLUMNS]
COMBOS = {"scope": SCOPES, "parameter": PARAMETERS}
SCOPE_WORDS = {"type": "Equipment type", "equipment": "One equipment"}
CHOICES = {key: [(v, SCOPE_WORDS.get(v, v.title()) if key == "scope" else v.title()) for v in values]
           for key, values in COMBOS.items()}
TABLE_COLUMNS = [Column(h, k, choices=CHOICES.get(k, ()), align_right=k not in COMBOS and k != "name",
                        default=COMBOS[k][0] if k in COMBOS else "") for h, k in COLUMNS]


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class LimitsDialog(QDialog):
    """Public: `rows()`, `add_row(...)`, `set_cell(row, key, text)`, `delete_rows(rows)`,
    `save()`, `import_csv(path)`, `export_csv(path)`, `visible_rows()`; signals `saved(int)`
    (limits added/changed/removed) and `failed(str)` (the message shown)."""

    saved = pyqtSignal(int)
    failed = pyqtSignal(str)

    def __init__(self, store_path: str, equipment: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = str(store_path)
        self.equipment = " ".join(equipment.split()) if equipment else None
        self.equipment_type: str | None = None
        if self.equipment:
            known = monitoring.equipment_type(self.store_path, self.equipment)
            if known is not None:
                self.equipment, self.equipment_type = known
        self.setWindowTitle(f"Limits: {self.equipment}" if self.equipment else "Limits")
        self.resize(1000, 460)
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._saved)
        self.runner.error.connect(self._save_failed)

        self.model, self.table = editable_table(TABLE_COLUMNS, self)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        fit_columns_to_header(self.table, minimum=56)   # "Deadband", "On-delay (s)" were clipped at 80 px
        fm = self.table.fontMetrics()
        for c, (_h, key) in enumerate(COLUMNS):    # a choice column fits its longest word ("Equipment type")
            if key in CHOICES:
                widest = max(fm.horizontalAdvance(label) for _v, label in CHOICES[key]) + 36
                self.table.setColumnWidth(c, max(self.table.columnWidth(c), widest))
        self.model.dataChanged.connect(lambda *_a: self._edited())
        delete = QShortcut(QKeySequence(QKeySequence.Delete), self.table)
        delete.setContext(Qt.WidgetShortcut)           # the table's key, not while a cell is being edited
        delete.activated.connect(lambda: self.delete_rows(self._selected_rows()))

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Filter by name…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(lambda _t: self._apply_filter())
        self.only_check = QCheckBox()
        self.only_check.setVisible(self.equipment is not None)
        if self.equipment:
            kind = f" and its type {self.equipment_type}" if self.equipment_type else ""
            self.only_check.setText(f"Only {self.equipment}{kind}")
            self.only_check.setChecked(True)
        self.only_check.toggled.connect(lambda _b: self._apply_filter())

        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(lambda: self._add_clicked())
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(lambda: self.delete_rows(self._selected_rows()))
        self.import_button = QPushButton("Import CSV…")
        self.import_button.clicked.connect(self._import_clicked)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._export_clicked)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.message = MessageBar()

        top = QHBoxLayout()
        top.addWidget(self.only_check)
        top.addWidget(self.search_edit, 1)
        edit = QHBoxLayout()
        for b in (self.add_button, self.delete_button):
            edit.addWidget(b)
        edit.addStretch(1)
        for b in (self.import_button, self.export_button):
            edit.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label(
            "Limits per equipment type or per equipment (an equipment's own limit overrides its type's), in the "
            "canonical units (Flowrate m³/h, Pressure bar, Temperature °C). Leave a level empty when it is not set. "
            "Readings beyond Lo/Hi are amber, beyond LoLo/HiHi red; an excursion is an alert.", "Muted", wrap=True))
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addLayout(edit)
        lay.addWidget(self.message)
        lay.addWidget(self.buttons)

        self._loading = True
        try:
            for limit in monitoring.load_limits(self.store_path):
                self._append(limit)
        except Exception as exc:  # noqa: BLE001 -- a busy/damaged store: said in the dialog, saving is off
            self.message.show_message(f"Could not read the limits: {describe(exc, doing='reading the limits')}",
                                      "error")
            self.buttons.button(QDialogButtonBox.Save).setEnabled(False)
        self._loading = False
        self._apply_filter()

    # -- rows -----------------------------------------------------------------------------------
    def _append(self, limit: Limit | None = None, values: dict[str, str] | None = None) -> int:
        vals = values or ({"scope": limit.scope, "name": limit.name, "parameter": limit.parameter,
                           **{k: _text(getattr(limit, k)) for k in ("lolo", "lo", "hi", "hihi")},
                           "deadband": _text(limit.deadband) if limit.deadband else "",
                           "delay_s": _text(limit.delay_s) if limit.delay_s else ""} if limit else {})
        for key, choices in COMBOS.items():     # a choice not offered reads as the first one
            if vals.get(key) not in choices:
                vals = {**vals, key: choices[0]}
        return self.model.append(vals)

    def add_row(self, scope: str = "", name: str = "", parameter: str = "pressure", **levels: str | float) -> int:
        """A new row (defaults: this dialog's equipment, else type); returns its row number."""
        if not scope:
            scope = "equipment" if self.equipment else "type"
        if not name and self.equipment:
            name = self.equipment if scope == "equipment" else (self.equipment_type or "")
        row = self._append(values={"scope": scope, "name": name, "parameter": parameter,
                                   **{k: ("" if v is None else f"{v:g}" if isinstance(v, float) else str(v))
                                      for k, v in levels.items()}})
        self._apply_filter()
        self._edited()
        return row

    def _add_clicked(self) -> None:
        row = self.add_row()
        index = self.model.index(row, 1 if not self.equipment else 3)
        self.table.setCurrentIndex(index)
        self.table.edit(index)

    def set_cell(self, row: int, key: str, text: str) -> None:
        """Type `text` into a cell (combo cells take the value: type/equipment, a parameter)."""
        self.model.set_cell(row, key, str(text))

    def cell(self, row: int, key: str) -> str:
        return self.model.cell(row, key)

    def rows(self) -> list[dict[str, str]]:
        """Every row (shown or filtered out) as text by CSV column."""
        return self.model.rows()

    def delete_rows(self, rows: list[int]) -> None:
        self.model.remove(rows)
        self._edited()

    def _selected_rows(self) -> list[int]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        if not rows and self.table.currentIndex().isValid():
            rows = {self.table.currentIndex().row()}
        return sorted(rows)

    def visible_rows(self) -> list[int]:
        return [r for r in range(self.model.rowCount()) if not self.table.isRowHidden(r)]

    def _apply_filter(self) -> None:
        text = " ".join(self.search_edit.text().split()).casefold()
        focus = self.equipment is not None and self.only_check.isChecked()
        for r in range(self.model.rowCount()):
            name, scope = name_key(self.cell(r, "name")), self.cell(r, "scope")
            show = not text or text in name
            if focus and name:       # a new, still empty row stays visible
                show = show and ((scope == "equipment" and name == name_key(self.equipment or ""))
                                 or (scope == "type" and self.equipment_type is not None
                                     and name == name_key(self.equipment_type)))
            self.table.setRowHidden(r, not show)

    def _edited(self) -> None:
        if not self._loading and self.message.property("level") == "error":
            self.message.clear_message()

    # -- validation and saving ------------------------------------------------------------------
    def limits(self) -> list[Limit]:
        """The table as limits; LimitError in words naming the row when one is wrong."""
        return monitoring.limits_from_rows(self.rows())

    def save(self) -> bool:
        """Check every row and, when all are right, store them (in a worker); the dialog closes
        when saved. Returns False (message shown, `failed` emitted) when a row is wrong."""
        try:
            items = self.limits()
        except LimitError as exc:
            self._show_error(str(exc))
            return False
        self.buttons.setEnabled(False)
        self.message.show_message("Saving limits and re-evaluating alerts…", "info")
        self.runner.start(monitoring.save_limits, self.store_path, items)
        return True

    def _show_error(self, text: str) -> None:
        text = text[:1].upper() + text[1:]
        self.message.show_message(text, "error")
        self.failed.emit(text)
        row = _row_in(text)
        if row is not None and 0 <= row < self.model.rowCount():
            self.table.setRowHidden(row, False)
            self.table.selectRow(row)

    def _saved(self, changed: int) -> None:
        self.buttons.setEnabled(True)
        self.message.show_message(f"Saved: {changed} limit{'s' if changed != 1 else ''} added, changed or removed.",
                                  "info")
        self.saved.emit(int(changed))
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self._show_error(str(exc) if isinstance(exc, LimitError) else describe(exc, doing="saving the limits"))

    # -- CSV ------------------------------------------------------------------------------------
    def import_csv(self, path: str) -> int:
        """Read a limits CSV into the table (a row of the same scope, name and parameter is
        replaced, others are added); nothing is stored until Save. A bad file changes nothing
        and is said in words (the line). Returns the rows read (-1 on a bad file)."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
            found = read_limits_csv(text)
        except (OSError, UnicodeDecodeError) as exc:
            self._show_error(f"Could not read {Path(path).name}: {exc}")
            return -1
        except LimitError as exc:
            self._show_error(f"{Path(path).name}: {exc}")
            return -1
        by_key = {(self.cell(r, "scope"), name_key(self.cell(r, "name")), self.cell(r, "parameter")): r
                  for r in range(self.model.rowCount())}
        for limit in found:
            r = by_key.get(limit.key())
            if r is not None:
                self.model.remove([r])
                by_key = {k: (v - 1 if v > r else v) for k, v in by_key.items() if v != r}
            self._append(limit)
        self._apply_filter()
        self.message.show_message(f"Read {len(found)} limits from {Path(path).name}; Save stores them.", "info")
        return len(found)

    def export_csv(self, path: str) -> bool:
        """Write the table (all rows, checked first) as a limits CSV."""
        try:
            items = self.limits()
        except LimitError as exc:
            self._show_error(str(exc))
            return False
        try:
            Path(path).write_text(write_limits_csv(items), encoding="utf-8")
        except OSError as exc:
            self._show_error(f"Could not write {path}: {exc}")
            return False
        self.message.show_message(f"Wrote {len(items)} limits to {path}", "info")
        return True

    def _import_clicked(self) -> None:
        path, _f = QFileDialog.getOpenFileName(self, "Import limits", "", "CSV (*.csv);;All files (*)")
        if path:
            self.import_csv(path)

    def _export_clicked(self) -> None:
        path, _f = QFileDialog.getSaveFileName(self, "Export limits", "limits.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def reject(self) -> None:
        self.runner.cancel()
        super().reject()

    def closeEvent(self, event: Any) -> None:
        self.runner.cancel()
        super().closeEvent(event)


def _row_in(text: str) -> int | None:
    """The 0-based table row a message names ("Row 3 ..." -> 2)."""
    import re
    m = re.match(r"\s*row (\d+)", text, flags=re.IGNORECASE)
    return int(m.group(1)) - 1 if m else None
