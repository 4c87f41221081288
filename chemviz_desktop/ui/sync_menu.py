"""`attach_sync(window)`: the one call MainWindow makes. It needs `window.sync_status_label`
(QLabel), `window.account_menu` (QMenu) and `window.history_page` (refresh(), store, message,
open/delete buttons); anything missing is skipped, so the window works without sync."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QEvent, QObject
from PyQt5.QtWidgets import QMenu, QMessageBox, QWidget

from chemviz_desktop.core.store import Store
from chemviz_desktop.ui.account_dialog import AccountDialog
from chemviz_desktop.ui.sync_controller import SyncController


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
        return
    who = menu.addAction(f"Signed in as {s.username}" + (f" ({s.role})" if s.role else ""))
    who.setEnabled(False)
    menu.addAction("Sync now", ctl.sync_now)
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
    return (f"Last sync: {len(rep.pushed)} uploaded, {len(rep.pulled)} new on the server, "
            f"{len(rep.vanished)} no longer on the server, {len(rep.failed)} refused, "
            f"{res.pending} still pending.")


class _StopOnClose(QObject):
    """Stops the timer and workers when the window closes (before its own closeEvent waits)."""

    def __init__(self, ctl: SyncController, parent: QObject):
        super().__init__(parent)
        self.ctl = ctl

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Close:
            self.ctl.close()
        return False


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
    window.sync_controller = ctl
    window.installEventFilter(_StopOnClose(ctl, window))
    ctl.start()
    return ctl
