"""`attach_sync(window)`: the one call MainWindow makes. It needs `window.sync_status_label`
(QLabel), `window.account_menu` (QMenu) and `window.history_page` (refresh(), store, message,
open/delete buttons); anything missing is skipped, so the window works without sync.

Shared records (#19): a second status-bar label beside the sync status ("3 changes to send ·
synced 10:42 · 2 conflicts"); a click on either opens the Sync panel. It is re-read after each
pass and after local edits (Equipment page, alerts page reads — limits saved and acknowledgements
end in one); decisions a pass needs are told once in the status bar and History's message bar."""
from __future__ import annotations

from typing import Any, Callable

from PyQt5.QtCore import QEvent, QObject, Qt
from PyQt5.QtWidgets import QLabel, QMenu, QMessageBox, QWidget

from chemviz_desktop.core.store import Store
from chemviz_desktop.ui.account_dialog import AccountDialog
from chemviz_desktop.ui.dialogs.sync_panel import SyncPanel, open_sync_panel
from chemviz_desktop.ui.sync_controller import SyncController
from chemviz_desktop.ui.theme import paint


def ask_delete_scope(parent: QWidget, name: str) -> str | None:
    """'server' (both), 'local' (this computer only) or None (cancel). Tests replace this."""
    box = QMessageBox(QMessageBox.Question, "Delete dataset",
                      f"'{name}' is also on the server.\nDelete it on the server too?", parent=parent)
    both = box.addButton("Delete here and on the server", QMessageBox.DestructiveRole)
    local = box.addButton("Delete on this computer only", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Cancel)
    box.exec_()
    return {both: "server", local: "local"}.get(box.clickedButton())


def open_account_dialog(ctl: SyncController, parent: QWidget | None) -> AccountDialog:
    """Non-modal sign-in dialog driven by the controller's worker (the UI keeps running)."""
    acct_url = ctl.server_url
    user = ctl.session.username if ctl.session else ""
    if not user:
        from chemviz_desktop.core.sync.account import last_account
        user = last_account().username
    dlg = AccountDialog(parent, acct_url, user)
    links = ((dlg.signInRequested, ctl.sign_in), (ctl.signInFailed, dlg.show_error),
             (ctl.signedIn, dlg.succeeded))
    for signal, slot in links:
        signal.connect(slot)

    def unlink(_result: int) -> None:
        for signal, slot in links:
            try:
                signal.disconnect(slot)
            except TypeError:
                pass

    dlg.finished.connect(unlink)
    dlg.show()
    return dlg


def build_account_menu(menu: QMenu, ctl: SyncController, parent: QWidget | None) -> None:
    menu.clear()
    s = ctl.session
    if s is None:
        menu.addAction("Sign in…", lambda: open_account_dialog(ctl, parent))
        menu.addAction("Sync panel…", lambda: open_sync_panel(ctl, parent))   # offline: local changes
        return
    who = menu.addAction(f"Signed in as {s.username}" + (f" ({s.role})" if s.role else ""))
    who.setEnabled(False)
    menu.addAction("Sync now", ctl.sync_now)
    menu.addAction("Sync panel…", lambda: open_sync_panel(ctl, parent))
    menu.addAction("Sign out", ctl.sign_out)


class HistoryRemote:
    """History's `remote`: opening a server-only dataset downloads it first; deleting one that is
    on the server asks whether to delete it there too (offered only when the role allows)."""

    def __init__(self, page: Any, ctl: SyncController):
        self.page, self.ctl = page, ctl

    def can_fetch(self, info: Any) -> bool:
        return info.server_id is not None and self.ctl.session is not None

    def fetch(self, info: Any) -> None:
        self.ctl.fetch(info.id)

    def delete(self, info: Any) -> bool:
        if not self.ctl.can_delete_on_server(info):
            return False
        scope = self.ctl.ask_delete_scope(self.page, info.display_name)
        if scope == "server":
            self.page.message.show_message(f"Deleting '{info.display_name}' on the server…", "info")
            self.ctl.delete_on_server(info.id)
        elif scope == "local":
            self.page.delete_local(info, f"Deleted '{info.display_name}' on this computer; it stays on the "
                                         "server and is listed as server-only.")
        return True


def _hook_history(page: Any, ctl: SyncController) -> None:
    page.remote = HistoryRemote(page, ctl)

    def fetched(dataset_id: int) -> None:
        page.refresh()
        page.message.clear_message()
        page.openRequested.emit(dataset_id)

    def deleted(dataset_id: int) -> None:
        page.table.clearSelection()
        page.refresh()
        page.message.show_message("Deleted here and on the server.", "info")
        page.deleted.emit(dataset_id)

    ctl.datasetFetched.connect(fetched)
    ctl.datasetDeleted.connect(deleted)
    ctl.datasetsChanged.connect(page.refresh)
    if hasattr(page, "requeued"):
        page.requeued.connect(lambda _id: ctl.sync_now())
    ctl.syncFinished.connect(lambda _r: page.refresh())
    ctl.sessionChanged.connect(page.refresh)  # Open becomes possible for server-only rows
    ctl.message.connect(lambda text, level: page.message.show_message(text, level))
    ctl.signedIn.connect(lambda note: note and page.message.show_message(note, "warning"))
    page.changed.connect(ctl.refresh_status)


def _summary(res: Any) -> str:
    rep = res.report
    if rep is None:
        return "The server could not be reached; pending datasets are kept and retried."
    text = (f"Last sync: {len(rep.pushed)} uploaded, {len(rep.pulled)} new on the server, "
            f"{len(rep.vanished)} no longer on the server, {len(rep.failed)} refused, "
            f"{res.pending} still pending.")
    if rep.shared is not None:
        text += f"\n{rep.shared.lines()[0].capitalize()}."
    return text


class _StopOnClose(QObject):
    """Stops the timer and workers when the window closes (before its own closeEvent waits)."""

    def __init__(self, ctl: SyncController, parent: QObject):
        super().__init__(parent)
        self.ctl = ctl

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Close:
            self.ctl.close()
        return False


class SharedStatusLabel(QLabel):
    """Shared changes to send, the last sync and conflicts; hidden when there is nothing to say.
    A click opens the Sync panel."""

    def __init__(self, open_panel: Callable[[], Any], parent: QWidget | None = None):
        super().__init__(parent)
        self._open = open_panel
        self.setCursor(Qt.PointingHandCursor)
        self.setContentsMargins(6, 0, 6, 0)
        self.setToolTip("Shared changes (equipment, limits, acknowledgements): click for the Sync panel")
        self.show_text("")

    def show_text(self, text: str) -> None:
        self.setText(text)
        attention = "conflict" in text or "decision" in text or "refused" in text
        self.setObjectName("Warning" if attention else "Muted")
        paint(self)
        self.setVisible(bool(text))

    def mousePressEvent(self, event: Any) -> None:
        self._open()
        super().mousePressEvent(event)


class _ClickOpens(QObject):
    """A click on the (window-owned) sync status label opens the Sync panel too."""

    def __init__(self, open_panel: Callable[[], Any], parent: QObject):
        super().__init__(parent)
        self._open = open_panel

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.MouseButtonPress:
            self._open()
        return False


def _decisions_text(sentences: list[str]) -> str:
    head = "A shared change needs" if len(sentences) == 1 else f"{len(sentences)} shared changes need"
    listed = "; ".join(sentences[:3]) + ("; …" if len(sentences) > 3 else "")
    return f"{head} your decision ({listed}). Click the sync status to answer in the Sync panel."


def _hook_shared(window: Any, ctl: SyncController) -> None:
    """Status label, panel entry points, re-reads after local edits, page refresh after changes
    arrived, and the one-time notice of decisions."""
    def open_panel() -> SyncPanel:
        return open_sync_panel(ctl, window if isinstance(window, QWidget) else None)

    window.open_sync_panel = open_panel
    bar = window.statusBar() if hasattr(window, "statusBar") else None
    if bar is not None:
        label = SharedStatusLabel(open_panel)
        bar.addPermanentWidget(label)       # right after the sync status label
        window.shared_status_label = label
        ctl.sharedStatusChanged.connect(label.show_text)
    status = getattr(window, "sync_status_label", None)
    if status is not None:
        status.setCursor(Qt.PointingHandCursor)
        status.installEventFilter(_ClickOpens(open_panel, status))

    for source, signal in (("equipment_page", "edited"), ("alerts_page", "acknowledged"),
                           ("alerts_page", "loaded")):
        obj = getattr(window, source, None)
        if obj is not None and hasattr(obj, signal):
            getattr(obj, signal).connect(lambda *_a: ctl.refresh_shared())

    def records_changed(*_a: Any) -> None:
        """Equipment or limits changed here behind the pages (pulled, or a panel answer)."""
        page = getattr(window, "equipment_page", None)
        if page is not None and hasattr(page, "invalidate"):
            page.invalidate()
        if hasattr(window, "store") and hasattr(window, "alerts_page"):
            from chemviz_desktop.ui.monitoring_wiring import refresh_monitoring
            refresh_monitoring(window, limits_changed=True)

    def pass_done(res: Any) -> None:
        shared = res.report.shared if res.report is not None else None
        if shared is not None and shared.applied_here:
            records_changed()

    ctl.syncFinished.connect(pass_done)
    ctl.sharedEdited.connect(records_changed)

    def tell(sentences: list[str]) -> None:
        text = _decisions_text(sentences)
        if bar is not None:
            bar.showMessage(text, 30_000)
        page = getattr(window, "history_page", None)
        if page is not None and hasattr(page, "message"):
            page.message.show_message(text, "warning")

    ctl.decisionsNeeded.connect(tell)


def attach_sync(window: Any, **options: Any) -> SyncController:
    """Create the controller for `window`, wire status label, account menu and History, start it."""
    page = getattr(window, "history_page", None)
    store: Store | None = getattr(page, "store", None) if page is not None else None
    ctl = SyncController(store.path if store is not None else Store().path, window, **options)
    ctl.ask_delete_scope = ask_delete_scope
    label = getattr(window, "sync_status_label", None)
    if label is not None:
        ctl.statusChanged.connect(label.setText)
        label.setText(ctl.status)
        label.setToolTip("Sign in (Account menu) to sync datasets with a server.")
        ctl.syncFinished.connect(lambda res: label.setToolTip(_summary(res)))
    menu = getattr(window, "account_menu", None)
    if menu is not None:
        build_account_menu(menu, ctl, window)
        ctl.sessionChanged.connect(lambda: build_account_menu(menu, ctl, window))
    if page is not None:
        _hook_history(page, ctl)
    _hook_shared(window, ctl)
    window.sync_controller = ctl
    window.installEventFilter(_StopOnClose(ctl, window))
    ctl.start()
    return ctl
