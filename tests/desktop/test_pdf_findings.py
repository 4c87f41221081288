"""The PDF report's "Findings" section (#16): the excursions of the dataset's equipment during its
readings, counts per level, worst first, capped with "and N more", and the words for no limits /
no excursions. Read back from the PDF's text (pypdf), numbers by hand in the comments."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

import engine
from chemviz_desktop.core.dataset import Dataset, _finish
from chemviz_desktop.core.export import pdf
from chemviz_desktop.core.store import Store, limits
from engine.limits import Limit

NOW = "2026-03-01T00:00:00Z"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
PUMP = Limit("type", "Pump", "pressure", hi=5.5, hihi=5.8)
SNAPSHOT = ("Equipment Name,Type,Flowrate,Pressure,Temperature\n"
            "P-1,Pump,10,5.6,80\nP-2,Pump,10,5.9,80\nP-3,Pump,10,5.4,80\nV-1,Valve,10,9.0,80\n")


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def put(store: Store, *items: Limit) -> None:
    with store.transaction() as db:
        limits.put(db, items, NOW)


def stored(store: Store, text: str, name: str = "plant.csv", taken_at: datetime | None = T0) -> Dataset:
    res = engine.load(text.encode(), file_name=name)
    assert res.accepted, res.report.summary()
    ds_id = store.add(res, taken_at=taken_at)
    return _finish(Dataset(name, res.frame, res.report, res.statistics, store_id=ds_id))


def report_text(path: Path, ds: Dataset, store: Store) -> str:
    pdf.write_report(path, ds, ds.statistics, store_path=store.path)
    text = "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
    return " ".join(text.split())


def test_findings_list_the_snapshot_excursions_worst_first(store, tmp_path):
    put(store, PUMP)
    ds = stored(store, SNAPSHOT)
    text = report_text(tmp_path / "r.pdf", ds, store)
    # P-2 at 5.9 is beyond HiHi 5.8 (red), P-1 at 5.6 beyond Hi 5.5 (amber); P-3 (5.4) and the
    # Valve (no limit) are not listed
    assert "Findings: operating-limit excursions" in text
    assert "2 excursions: HiHi 1, Hi 1, Lo 0, LoLo 0; 0 still active" in text
    hihi, hi = text.index("P-2 pressure HiHi 5.8 5.9"), text.index("P-1 pressure Hi 5.5 5.6")
    assert hihi < hi                                   # worst first
    assert "P-3 pressure" not in text and "V-1 pressure" not in text
    assert "cleared-unacknowledged" in text


def test_findings_of_a_time_series_show_duration_and_the_cap(store, tmp_path, monkeypatch):
    put(store, Limit("type", "Pump", "temperature", hi=150))
    t0 = pd.Timestamp("2026-03-01T10:00:00Z")
    # above 150 at 10:00-10:24 (back at 10:25: 25 min), a blip at 10:30 (back at 10:31: 1 min),
    # and still above at the last reading 10:40-10:41 (active)
    values = [160] * 25 + [140] * 5 + [155] + [140] * 9 + [170, 171]
    rows = [f"P-7,Pump,{(t0 + pd.Timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')},1,1,{v}"
            for i, v in enumerate(values)]
    ds = stored(store, "Equipment Name,Type,Timestamp,Flowrate,Pressure,Temperature\n" + "\n".join(rows) + "\n",
                "series.csv", None)
    text = report_text(tmp_path / "r.pdf", ds, store)
    assert "3 excursions: HiHi 0, Hi 3, Lo 0, LoLo 0; 1 still active" in text
    assert "25 min" in text and "1 min" in text and "active 1 min so far active-unacknowledged" in text
    # worst first: 171 (21 beyond) before 160 (10 beyond) before 155 (5 beyond)
    assert text.index("150 171") < text.index("150 160") < text.index("150 155")
    monkeypatch.setattr(pdf, "MAX_FINDINGS", 2)
    text = report_text(tmp_path / "capped.pdf", ds, store)
    assert "… and 1 more (the Alerts page lists them all)" in text
    assert "150 155" not in text


def test_findings_say_no_limits_and_no_excursions_in_words(store, tmp_path):
    ds = stored(store, SNAPSHOT)
    assert "No limits set for this dataset's equipment" in report_text(tmp_path / "a.pdf", ds, store)
    put(store, Limit("type", "Valve", "pressure", hi=20))     # the Valve's 9.0 is inside
    assert "No excursions: every reading" in report_text(tmp_path / "b.pdf", ds, store)


def test_a_dataset_not_in_the_store_says_so(tmp_path):
    res = engine.load(SNAPSHOT.encode(), file_name="loose.csv")
    ds = _finish(Dataset("loose.csv", res.frame, res.report, res.statistics))
    path = tmp_path / "r.pdf"
    pdf.write_report(path, ds, ds.statistics)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(path)).pages).split())
    assert "This dataset is not in the local store" in text
