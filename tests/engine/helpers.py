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


def write_xlsx(path: Path, sheets: dict[str, list[list]], formulas: dict[tuple[str, str], str] | None = None) -> Path:
    """A workbook with the given sheets (rows of values). `formulas` {(sheet, "E4"): "1+2"} turns
    those cells into formulas whose cached value is the value written, as Excel saves them."""
    import re
    import zipfile

    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    if formulas:
        index = {name: i + 1 for i, name in enumerate(sheets)}
        with zipfile.ZipFile(path) as z:
            files = {n: z.read(n) for n in z.namelist()}
        for (sheet, ref), formula in formulas.items():
            key = f"xl/worksheets/sheet{index[sheet]}.xml"
            xml = files[key].decode()
            xml, n = re.subn(rf'(<c r="{ref}"[^>]*>)(<v>)', rf"\g<1><f>{formula}</f>\g<2>", xml)
            assert n == 1, (ref, xml[:500])
            files[key] = xml.encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in files.items():
                z.writestr(n, data)
    return path
