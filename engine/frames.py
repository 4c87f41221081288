""""Accepted rows", written once: the engine's frames keep every data row and flag excluded ones in
`schema.EXCLUDED`; statistics, exports, uploads and charts all see accepted rows through here."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema


def accepted_mask(frame: pd.DataFrame) -> np.ndarray:
    """True for each row that counts (every row when the frame has no exclusion flag)."""
    if schema.EXCLUDED in frame.columns:
        return ~frame[schema.EXCLUDED].to_numpy(dtype=bool)
    return np.ones(len(frame), dtype=bool)


def accepted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows, bookkeeping columns kept (row numbers for outliers and charts)."""
    if schema.EXCLUDED not in frame.columns:
        return frame
    return frame[accepted_mask(frame)]


def clean_rows(frame: pd.DataFrame | None) -> pd.DataFrame:
    """Accepted rows without bookkeeping columns, renumbered: what exports and uploads see."""
    if frame is None:
        return pd.DataFrame(columns=list(schema.REQUIRED_COLUMNS))
    ok = accepted_rows(frame)
    return ok.drop(columns=[c for c in schema.META_COLUMNS if c in ok.columns]).reset_index(drop=True)
