"""Start the desktop app, or its smoke test: the real window, offscreen, importing a file through
the same code path as the UI, visiting every page and saving a screenshot of Analytics."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable

from engine.version import APP_NAME, APP_ORG, __version__

SMOKE_TIMEOUT_MS = 120_000


class SmokeError(Exception):
    """A smoke-test step failed; the message is the one line printed."""


def _make_app() -> Any:
    from PyQt5.QtCore import QCoreApplication, Qt
    from PyQt5.QtWidgets import QApplication
    QCoreApplication.setAttribute(Qt.AA_EnableHighDpiScaling, True)
    QCoreApplication.setAttribute(Qt.AA_UseHighDpiPixmaps, True)
    app = QApplication.instance() or QApplication(sys.argv[:1] or [APP_NAME])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ORG)
    app.setApplicationVersion(__version__)
    return app


def _wait(condition: Callable[[], bool], timeout_ms: int, what: str) -> None:
    """Run the event loop until `condition()` holds (the window keeps working meanwhile)."""
    from PyQt5.QtCore import QElapsedTimer, QEventLoop
    from PyQt5.QtWidgets import QApplication
    clock = QElapsedTimer()
    clock.start()
    while not condition():
        if clock.elapsed() > timeout_ms:
            raise SmokeError(f"timed out waiting for {what}")
        QApplication.processEvents(QEventLoop.AllEvents, 50)


def _smoke(window: Any, file: str, screenshot: str | None, errors: list[str]) -> None:
    from PyQt5.QtWidgets import QApplication

    def settle() -> None:
        for _ in range(5):
            QApplication.processEvents()
        if errors:
            raise SmokeError(errors[0])

    if not Path(file).is_file():
        raise SmokeError(f"{file}: no such file")
    window.resize(1280, 720)
    window.show()
    settle()
    done: list[bool] = []
    window.import_page.finished.connect(lambda: done.append(True))
    window.open_file(file)
    _wait(lambda: bool(done) or bool(errors), SMOKE_TIMEOUT_MS, "the import")
    settle()
    page = window.import_page
    if page.last_error:
        raise SmokeError(f"import failed: {page.last_error}")
    ds = page.last
    if ds is None:
        raise SmokeError("the import produced no result")
    if not ds.accepted:
        raise SmokeError(f"{Path(file).name} was rejected: {ds.report.summary()}")
    for name in ("data", "analytics", "history", "compare", "equipment", "trends", "import"):
        window.show_page(name)
        settle()
        if name == "history" and not window.history_page.model.rowCount():
            raise SmokeError("the imported dataset is missing from the history")
        if name == "compare":
            window.compare_page.select(ds.store_id, ds.store_id)
            window.compare_page.compare()
            settle()
        if name == "equipment":   # the registry lists the imported equipment (read in a worker)
            eq = window.equipment_page
            _wait(lambda eq=eq: not eq.runner.busy and eq.model.rowCount() > 0, SMOKE_TIMEOUT_MS,
                  "the equipment list")
        if name == "trends":      # the first equipment's trend, prepared in a worker
            tp = window.trends_page
            tp.show_equipment([str(window.equipment_page.model.row(0)["name"])])
            _wait(lambda tp=tp: tp.data is not None and not tp.runner.busy, SMOKE_TIMEOUT_MS, "the trend")
            settle()
    window.show_page("analytics")
    settle()
    view = window.analytics_page.chart.view   # charts are drawn by a worker: wait for the image
    _wait(lambda: view.image is not None and not view.busy, SMOKE_TIMEOUT_MS, "the chart")
    settle()
    if screenshot:
        out = Path(screenshot)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out)):
            raise SmokeError(f"could not write the screenshot {out}")


def _dispose(window: Any) -> None:
    """Delete the window (and its widget tree) while the QApplication still exists. Left to
    Python's exit, the application can be released first and PyQt's clean-up then walks wrappers
    of widgets it is deleting at the same time (an intermittent segfault after a passed smoke
    test, seen once there were seven pages)."""
    from PyQt5 import sip
    if not sip.isdeleted(window):
        sip.delete(window)


def run(smoke_test: str | None = None, screenshot: str | None = None) -> int:
    """Launch the window (exit code of the event loop), or run the smoke test on `smoke_test`
    (0 on success; otherwise one line on stderr and a non-zero code, never a traceback)."""
    temp_dir = None
    if smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        if not os.environ.get("CHEMVIZ_DATA_DIR"):  # never touch the user's real history
            temp_dir = tempfile.mkdtemp(prefix="chemviz-smoke-")
            os.environ["CHEMVIZ_DATA_DIR"] = temp_dir
    errors: list[str] = []
    try:
        import matplotlib
        matplotlib.use("Qt5Agg")
        from chemviz_desktop.ui import theme
        from chemviz_desktop.ui.main_window import MainWindow
        from chemviz_desktop.ui.settings import AppSettings

        app = _make_app()

        def hook(kind: type, value: BaseException, tb: Any) -> None:
            errors.append(f"{kind.__name__}: {value}")
            if not smoke_test:
                traceback.print_exception(kind, value, tb)
        sys.excepthook = hook
        settings = AppSettings()
        theme.apply(app, settings.theme)
        window = MainWindow(settings)
        if not smoke_test:
            window.show()
            try:
                return int(app.exec_())
            finally:
                _dispose(window)
        try:
            _smoke(window, smoke_test, screenshot, errors)
        finally:
            window.close()
            _dispose(window)
        if errors:
            raise SmokeError(errors[0])  # noqa: TRY301 -- reported below like every smoke failure
        print(f"smoke test passed: {Path(smoke_test).name}" + (f", screenshot {screenshot}" if screenshot else ""))
        return 0
    except SmokeError as exc:
        print(f"error: smoke test failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 -- one clear line; the traceback goes to the log file
        from chemviz_desktop.core.errors import describe
        print(f"error: {describe(exc, doing='starting the desktop')}", file=sys.stderr)
        return 1
    finally:
        sys.excepthook = sys.__excepthook__
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)
