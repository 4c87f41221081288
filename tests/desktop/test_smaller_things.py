"""Issue 13, smaller things: relaunch reopens the last dataset from the store (not a huge one),
Compare starts on the newest pair and refuses A = B, a dropped non-CSV is not ignored, a new
import clears the previous report, the sign-in dialog's layout and messages."""
from __future__ import annotations

from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDragEnterEvent, QDropEvent
from PyQt5.QtWidgets import QApplication

from chemviz_desktop.ui import main_window as mw
from chemviz_desktop.ui.account_dialog import AccountDialog

from .conftest import import_file, write

OTHER = "Equipment Name,Type,Flowrate,Pressure,Temperature\nPump-9,Pump,200,6,50\nTank-1,Tank,10,1,20\n"


def test_relaunch_reopens_last_dataset_on_the_last_page(qtbot, make_window, good_csv, tmp_path):
    first = make_window()
    ds = import_file(qtbot, first, good_csv)
    good_csv.unlink()                                   # from the store, not the file
    first.show_page("data")
    first.close()
    second = make_window()
    qtbot.waitUntil(lambda: second.dataset is not None, timeout=10_000)
    assert second.dataset.store_id == ds.store_id and second.current_page() == "data"
    assert second.data_page.model.rowCount() == 6
    assert second.dataset_label.text().startswith("good.csv")


def test_relaunch_only_offers_a_huge_dataset(qtbot, make_window, good_csv, monkeypatch):
    first = make_window()
    import_file(qtbot, first, good_csv)
    first.close()
    monkeypatch.setattr(mw, "RESTORE_LIMIT", 3)          # stands in for "over 1M rows"
    second = make_window()
    assert second.dataset is None and not second.open_runner.busy
    assert "not reopened automatically" in second.import_page.summary.text()


def test_compare_starts_on_newest_pair_and_refuses_a_equals_b(qtbot, window, good_csv, tmp_path):
    a = import_file(qtbot, window, good_csv)
    page = window.compare_page
    assert not page.compare_button.isEnabled()          # one dataset: nothing to compare
    b = import_file(qtbot, window, write(tmp_path, "other.csv", OTHER))
    assert (page.combo_a.currentData(), page.combo_b.currentData()) == (a.store_id, b.store_id)
    c = import_file(qtbot, window, write(tmp_path, "third.csv", OTHER))
    assert (page.combo_a.currentData(), page.combo_b.currentData()) == (b.store_id, c.store_id)
    page.select(c.store_id, c.store_id)
    page.compare()
    assert "same dataset" in page.message.text() and page.comparison is None


def test_dropped_non_csv_is_read_and_explained(qtbot, window, tmp_path):
    tsv = write(tmp_path, "plant.tsv", "Name\tType\nP-1\tPump\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tsv))])
    target = window.import_page.table.viewport()
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()                            # the drag is welcomed, not refused
    drop = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.import_page.finished, timeout=10_000):
        QApplication.sendEvent(target, drop)
    assert "plant.tsv" in window.import_page.summary.text()     # a message, never silence


def test_new_import_clears_the_previous_report(qtbot, window, good_csv, sample_csv):
    import_file(qtbot, window, good_csv)
    assert window.import_page.model.rowCount() > 0
    window.import_page.runner.result.disconnect()        # hold the result: look at the page mid-import
    window.open_file(str(sample_csv))
    assert window.import_page.model.rowCount() == 0
    assert "Reading sample_equipment.csv" in window.import_page.summary.text()
    window.import_page.cancel()


def test_sign_in_dialog_keeps_inputs_and_clears_old_errors(qtbot):
    dlg = AccountDialog(server_url="http://plant-server.local", username="eng")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.warning.isVisible()                       # plain-http warning shown
    for edit in (dlg.url_edit, dlg.user_edit, dlg.password_edit):
        assert edit.height() >= edit.sizeHint().height()  # not squashed to a sliver
    dlg.show_error("plant-server.local is unreachable: no connection")
    assert dlg.error.isVisible()
    qtbot.keyClicks(dlg.url_edit, "x")
    assert not dlg.error.isVisible()
    if not dlg.remember.isEnabled():
        assert dlg.remember_why.isVisible() and "keychain" in dlg.remember_why.text()


def test_help_says_where_data_lives_and_lists_shortcuts(window, monkeypatch, tmp_path):
    import os
    texts = [a.text() for a in window.menuBar().actions()[-1].menu().actions()]
    assert {"&Keyboard shortcuts", "Where is my data?", "Open data folder"} <= set(texts)
    assert os.environ["CHEMVIZ_DATA_DIR"] in window.data_location_text()
    shortcuts = window.shortcuts_text()
    assert "Ctrl+O" in shortcuts and "Ctrl+C" in shortcuts and "Export" in shortcuts
    opened: list[str] = []
    from PyQt5.QtGui import QDesktopServices
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window.open_data_folder()
    assert opened == [os.environ["CHEMVIZ_DATA_DIR"]]


def test_export_errors_read_as_words(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    with qtbot.waitSignal(window.exportFinished, timeout=20_000):
        window.export("stats_csv", str(tmp_path / "no" / "such" / "folder" / "s.csv"))
    assert "[Errno" not in window.last_export_error
    assert "folder does not exist" in window.last_export_error
