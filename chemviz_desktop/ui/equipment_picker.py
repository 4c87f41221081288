"""Pick one or more equipment from the registry, which may hold a million names: a search box and a
checkable list of the first matches (looked up in a worker), the checked ones always on top."""
from __future__ import annotations

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from chemviz_desktop.core import equipment_service
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.formatting import elide
from chemviz_desktop.ui.workers import TaskRunner

LIMIT = 200


class EquipmentPicker(QWidget):
    selectionChanged = pyqtSignal(list)    # checked names, in the order they were checked
    listed = pyqtSignal()                  # the list of matches was refreshed

    def __init__(self, store_path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = store_path
        self.checked: list[str] = []
        self.closed = False
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._fill)
        self.runner.error.connect(lambda exc: self.note.setText(describe(exc, doing="listing equipment")))
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search equipment…")
        self.search.setClearButtonEnabled(True)
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.list = QListWidget()
        self.list.itemChanged.connect(self._item_changed)
        self.note = QLabel("")
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.search)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.note)

    def shutdown(self) -> None:
        """The window is closing: start nothing new."""
        self.closed = True
        self._timer.stop()
        self.runner.cancel()

    def refresh(self) -> None:
        if self.closed:
            return
        self.runner.start(equipment_service.names, self.store_path, self.search.text(), LIMIT)

    def _fill(self, names: list[str]) -> None:
        keys = {n.casefold() for n in self.checked}
        self.list.blockSignals(True)
        self.list.clear()
        for name in [*self.checked, *(n for n in names if n.casefold() not in keys)]:
            item = QListWidgetItem(elide(name, 120))      # a 2 MB name is never measured
            item.setData(Qt.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if name.casefold() in keys else Qt.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        more = f"First {LIMIT} matches shown; type to narrow. " if len(names) >= LIMIT else ""
        self.note.setText(more + (f"{len(self.checked)} selected" if self.checked else "Tick equipment to show"))
        self.listed.emit()

    def _item_changed(self, item: QListWidgetItem) -> None:
        name = str(item.data(Qt.UserRole))
        rest = [n for n in self.checked if n.casefold() != name.casefold()]
        self.checked = rest + [name] if item.checkState() == Qt.Checked else rest
        self.note.setText(f"{len(self.checked)} selected" if self.checked else "Tick equipment to show")
        self.selectionChanged.emit(list(self.checked))

    def set_checked(self, names: list[str]) -> None:
        """Check exactly these (e.g. from the Equipment page's "Open trend")."""
        self.checked = list(dict.fromkeys(names))
        self.list.blockSignals(True)
        shown = {str(self.list.item(i).data(Qt.UserRole)).casefold(): self.list.item(i)
                 for i in range(self.list.count())}
        keys = {n.casefold() for n in self.checked}
        for key, item in shown.items():
            item.setCheckState(Qt.Checked if key in keys else Qt.Unchecked)
        self.list.blockSignals(False)
        self.refresh()
        self.selectionChanged.emit(list(self.checked))
