"""Account ▸ Sync panel (#19): what this workstation still has to send, the delete/edit questions
waiting for the user (Keep mine / Take theirs) and the edits of this user another user's later
edit replaced (Restore my value / Mark seen). Non-modal; every answer runs on the controller's
workers, and the lists come from its `sharedChanged` reads, so the panel never touches the store
or the network itself. Offline it still lists what is on this computer."""
from __future__ import annotations

from typing import Any, Callable

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core.sync.connectivity import OFFLINE, SIGNED_OUT
from chemviz_desktop.core.sync.shared_sync import SharedOverview, status_summary
from chemviz_desktop.ui.models.shared_models import ConflictsModel, OutboxModel
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label


def _table(model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    setup_table(view)
    view.setSelectionMode(QTableView.SingleSelection)
    for col, width in enumerate((170, 170, 140)):
        view.setColumnWidth(col, width)
    return view


def _group(title: str, view: QTableView, *buttons: QPushButton) -> QGroupBox:
    box = QGroupBox(title)
    lay = QVBoxLayout(box)
    lay.addWidget(view, 1)
    if buttons:
        row = QHBoxLayout()
        for b in buttons:
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
    return box


class SyncPanel(QDialog):
    """The lists of one controller's shared-record state, with the answers the user can give."""

    def __init__(self, ctl: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctl = ctl
        self.setWindowTitle("Sync panel")
        self.connection = styled_label("", "Muted", wrap=True)
        self.summary = styled_label("", "", wrap=True)
        self.message = MessageBar()

        self.questions_model = OutboxModel(self)
        self.questions_view = _table(self.questions_model)
        self.keep_button = QPushButton("Keep mine")
        self.keep_button.setToolTip("Send your change again over the other side's")
        self.take_button = QPushButton("Take theirs")
        self.take_button.setToolTip("Drop your change; this computer takes the server's version")
        self.keep_button.clicked.connect(lambda: self._decide(True))
        self.take_button.clicked.connect(lambda: self._decide(False))
        self.questions_box = _group("Needs your decision", self.questions_view, self.keep_button, self.take_button)

        self.changes_model = OutboxModel(self)
        self.changes_view = _table(self.changes_model)
        changes_box = _group("Changes on this computer not on the server yet", self.changes_view)

        self.conflicts_model = ConflictsModel(self)
        self.conflicts_view = _table(self.conflicts_model)
        self.conflicts_view.setColumnWidth(0, 150)
        self.conflicts_view.setColumnWidth(2, 110)
        self.restore_button = QPushButton("Restore my value")
        self.restore_button.setToolTip("Set your lost value again here; it goes to the server at the next sync")
        self.seen_button = QPushButton("Mark seen")
        self.seen_button.setToolTip("Stop listing this conflict (here and on your other workstations)")
        self.restore_button.clicked.connect(self._restore)
        self.seen_button.clicked.connect(self._seen)
        conflicts_box = _group("Your edits replaced by someone else's", self.conflicts_view,
                               self.restore_button, self.seen_button)

        self.sync_button = QPushButton("Sync now")
        self.sync_button.clicked.connect(ctl.sync_now)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.sync_button)
        bottom.addStretch(1)
        bottom.addWidget(close)

        lay = QVBoxLayout(self)
        for w in (self.connection, self.summary, self.message):
            lay.addWidget(w)
        lay.addWidget(self.questions_box, 1)
        lay.addWidget(changes_box, 2)
        lay.addWidget(conflicts_box, 2)
        lay.addLayout(bottom)
        self.resize(820, 620)

        for view in (self.questions_view, self.conflicts_view):
            view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self._links: list[tuple[Any, Callable[..., Any]]] = [
            (ctl.sharedChanged, self.show_overview), (ctl.statusChanged, self._connection_changed),
            (ctl.sharedActionDone, self._done), (ctl.sharedActionFailed, self._failed),
            (ctl.sessionChanged, self._connection_changed)]
        for signal, slot in self._links:
            signal.connect(slot)
        self.finished.connect(self._unlink)
        self._connection_changed()
        if ctl.shared is not None:
            self.show_overview(ctl.shared)
        ctl.refresh_shared()

    def _unlink(self, _result: int = 0) -> None:
        for signal, slot in self._links:
            try:
                signal.disconnect(slot)
            except TypeError:
                pass
        self._links = []

    def closeEvent(self, event: Any) -> None:
        self._unlink()
        super().closeEvent(event)

    # -- what is shown ------------------------------------------------------------------------------
    def _connection_changed(self, *_args: Any) -> None:
        ctl = self.ctl
        if ctl.state == SIGNED_OUT:
            text = "Signed out: this lists what is on this computer. Sign in (Account menu) to send it."
        elif ctl.state == OFFLINE:
            text = (f"The server ({ctl.server_url}) is not reachable: this lists what is on this computer; "
                    "it is sent when the server answers again.")
        else:
            text = ctl.status
        self.connection.setText(text)
        self.sync_button.setEnabled(ctl.session is not None)
        self._update_buttons()

    def show_overview(self, ov: SharedOverview) -> None:
        """New lists from the controller's read; the selected question/conflict stays selected."""
        keep_q = self._selected(self.questions_view, lambda r: self.questions_model.op(r).op_id)
        keep_c = self._selected(self.conflicts_view, lambda r: self.conflicts_model.conflict(r)["id"])
        self.questions_model.set_items(ov.questions)
        self.changes_model.set_items([o for o in ov.ops if o.state != "needs_decision"])
        self.conflicts_model.set_items(ov.conflicts)
        self._reselect(self.questions_view, [o.op_id for o in ov.questions], keep_q)
        self._reselect(self.conflicts_view, [c["id"] for c in ov.conflicts], keep_c)
        self.questions_box.setVisible(bool(ov.questions))
        text = status_summary(ov.counts, ov.synced_at)
        self.summary.setText(text if text else "Nothing waiting: every shared change is on the server.")
        self._update_buttons()

    @staticmethod
    def _selected(view: QTableView, ident: Callable[[int], Any]) -> Any:
        rows = view.selectionModel().selectedRows()
        return ident(rows[0].row()) if rows else None

    @staticmethod
    def _reselect(view: QTableView, idents: list[Any], keep: Any) -> None:
        if keep is not None and keep in idents:
            view.selectRow(idents.index(keep))

    def _update_buttons(self) -> None:
        question = self._selected(self.questions_view, lambda r: r) is not None
        conflict = self._selected(self.conflicts_view, lambda r: r) is not None
        self.keep_button.setEnabled(question)
        self.take_button.setEnabled(question)
        self.restore_button.setEnabled(conflict)
        self.seen_button.setEnabled(conflict and self.ctl.session is not None)
        self.seen_button.setToolTip("Stop listing this conflict (here and on your other workstations)"
                                    if self.ctl.session is not None else "Sign in to mark conflicts seen")

    # -- answers ------------------------------------------------------------------------------------
    def select_question(self, row: int = 0) -> None:
        self.questions_view.selectRow(row)

    def select_conflict(self, row: int = 0) -> None:
        self.conflicts_view.selectRow(row)

    def _decide(self, keep_mine: bool) -> None:
        op = self._selected(self.questions_view, self.questions_model.op)
        if op is not None:
            self.message.show_message("Keeping your change…" if keep_mine else "Taking the server's version…")
            self.ctl.decide(op.op_id, keep_mine)

    def _restore(self) -> None:
        conflict = self._selected(self.conflicts_view, self.conflicts_model.conflict)
        if conflict is not None:
            self.ctl.restore(conflict)

    def _seen(self) -> None:
        conflict = self._selected(self.conflicts_view, self.conflicts_model.conflict)
        if conflict is not None:
            self.message.show_message("Marking it seen on the server…")
            self.ctl.mark_seen(int(conflict["id"]))

    def _done(self, _action: str, note: str) -> None:
        self.message.show_message(note, "info")

    def _failed(self, action: str, words: str) -> None:
        doing = {"decide": "Not decided", "seen": "Not marked seen", "restore": "Not restored"}.get(action, "Failed")
        self.message.show_message(f"{doing}: {words}", "error")


def open_sync_panel(ctl: Any, parent: QWidget | None) -> SyncPanel:
    """One panel per window: raised when already open."""
    panel = getattr(parent, "sync_panel", None) if parent is not None else None
    try:
        if isinstance(panel, SyncPanel) and panel.isVisible():
            panel.raise_()
            panel.activateWindow()
            return panel
    except RuntimeError:    # closed and deleted
        pass
    panel = SyncPanel(ctl, parent)
    panel.setAttribute(Qt.WA_DeleteOnClose)
    if parent is not None:
        parent.sync_panel = panel  # type: ignore[attr-defined]
    panel.show()
    return panel
