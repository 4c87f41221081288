"""ChemViz engine: read, validate, summarise and compare equipment CSV exports.

Pure Python + pandas/pyarrow. Never imports Qt, Django or network code: the desktop app and the
server both stand on it. Names are loaded on first use (PEP 562), so `engine.version` or
`engine.progress` alone never pays for pandas and pyarrow (`main.py --version` stays instant).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "compare_statistics": "compare", "neutralise": "formula", "neutralise_frame": "formula",
    "LoadResult": "loading", "load": "loading", "workbook_sheets": "loading", "Issue": "report", "Report": "report",
    "ImportOptions": "options", "header_signature": "options", "parse_mapping": "options",
    "SheetPreview": "workbook", "ReadError": "encoding", "PRESSURE_MODES": "units",
    "compute_statistics": "stats", "filter_by_type": "stats",
    "Cancelled": "progress", "Progress": "progress", "ProgressState": "progress", "Scaled": "progress",
    "quiet": "progress", "APP_NAME": "version", "__version__": "version",
    "ParsedTimes": "timestamps", "parse_times": "timestamps", "normalise_status": "readings",
    "running_mask": "readings",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:  # `engine.schema` and friends after a bare `import engine`
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'engine' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # what type checkers and editors see
    from .compare import compare_statistics
    from .encoding import ReadError
    from .formula import neutralise, neutralise_frame
    from .loading import LoadResult, load, workbook_sheets
    from .options import ImportOptions, header_signature, parse_mapping
    from .progress import Cancelled, Progress, ProgressState, Scaled, quiet
    from .readings import normalise_status, running_mask
    from .report import Issue, Report
    from .stats import compute_statistics, filter_by_type
    from .timestamps import ParsedTimes, parse_times
    from .units import PRESSURE_MODES
    from .version import APP_NAME, __version__
    from .workbook import SheetPreview
