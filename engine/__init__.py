"""ChemViz engine: read, validate, summarise and compare equipment CSV exports.

Pure Python + pandas/pyarrow. Never imports Qt, Django or network code: the desktop app and the
server both stand on it.
"""
from .compare import compare_statistics
from .formula import neutralise, neutralise_frame
from .load import LoadCancelled, LoadResult, load
from .report import Issue, Report
from .stats import compute_statistics, filter_by_type
from .version import APP_NAME, __version__

__all__ = [
    "APP_NAME", "Issue", "LoadCancelled", "LoadResult", "Report", "__version__", "compare_statistics",
    "compute_statistics", "filter_by_type", "load", "neutralise", "neutralise_frame",
]
