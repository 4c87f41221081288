"""Small builders for the CSV files engine tests write."""
from __future__ import annotations

from pathlib import Path

import engine

HEADER = "Equipment Name,Type,Flowrate,Pressure,Temperature"


def write_csv(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def load_text(tmp_path: Path, text: str, **kw) -> engine.LoadResult:
    return engine.load(write_csv(tmp_path, text), **kw)


def issue_tuples(result: engine.LoadResult, severity: str | None = None) -> set[tuple]:
    return {(i.row, i.column, i.code) for i in result.report.issues
            if severity is None or i.severity == severity}
