"""Desktop test helpers: a real MainWindow on the per-test data dir, and file importers that wait
on the window's own signals (never sleeps)."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg", force=False)

from chemviz_desktop.ui.main_window import SAMPLE, MainWindow  # noqa: E402
from chemviz_desktop.ui.settings import AppSettings  # noqa: E402

BAD_CSV = "Name;Colour\nPump-1;red\n"
GOOD_CSV = """Equipment Name,Type,Flowrate,Pressure,Temperature,Notes
Pump-1,Pump,100,5,40,=HYPERLINK("http://x")
Pump-2,Pump,110,5.5,42,ok
Pump-3,Pump,900,5.2,41,
Valve-1,Valve,50,3,30,+1
Valve-2,Valve,abc,3,30,
Mixer-1,Mixer,20,1,25,@sum
Mixer-2,Mixer,22,1.1,26,-2
"""


@pytest.fixture
def make_window(qtbot):
    """Build a MainWindow on the current data dir (call twice to simulate a restart)."""
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        w = MainWindow(AppSettings())
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        if w.isVisible():
            w.close()


@pytest.fixture
def window(make_window):
    return make_window()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_file(qtbot, window: MainWindow, path: Path | str, timeout: int = 30_000):
    """Import through the UI path and return the Dataset the Import page produced."""
    with qtbot.waitSignal(window.import_page.finished, timeout=timeout):
        window.open_file(str(path))
    return window.import_page.last


@pytest.fixture
def good_csv(tmp_path) -> Path:
    return write(tmp_path, "good.csv", GOOD_CSV)


@pytest.fixture
def bad_csv(tmp_path) -> Path:
    return write(tmp_path, "bad.csv", BAD_CSV)


@pytest.fixture
def sample_csv() -> Path:
    return SAMPLE


def show_chart(qtbot, page, key: str, column: str | None = None, timeout: int = 20_000) -> None:
    """Switch the Analytics chart and wait until the worker's image is on screen."""
    with qtbot.waitSignal(page.chartDrawn, timeout=timeout):
        page.set_chart(key, column)
