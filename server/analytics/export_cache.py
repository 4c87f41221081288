"""The accepted rows of a dataset as CSV, built once with the engine and kept next to the uploads
(MEDIA_ROOT/exports/), so an export is a file streamed from disk instead of a re-parse of the
whole upload per request. The engine version is part of the name: a new engine rebuilds."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings

import engine

from .models import CSVDataset


def path_for(ds: CSVDataset) -> Path:
    stored = Path(ds.file.name).name
    return Path(settings.MEDIA_ROOT) / "exports" / f"{stored}.{engine.__version__}.clean.csv"


def build(ds: CSVDataset, target: Path) -> Path:
    """Write the export to `target` atomically (a temp file renamed into place).
    Raises FileNotFoundError when the stored upload is gone."""
    with ds.file.open("rb") as fh:
        data = fh.read()
    result = engine.load(data, file_name=ds.file_name)
    del data
    frame = engine.neutralise_frame(result.clean()[list(engine.schema.REQUIRED_COLUMNS)])
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            frame.to_csv(out, index=False, lineterminator="\r\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def forget(stored_name: str) -> None:
    """Remove every cached export of the upload stored as `stored_name` (any engine version)."""
    folder = Path(settings.MEDIA_ROOT) / "exports"
    for path in folder.glob(f"{Path(stored_name).name}.*.clean.csv"):
        path.unlink(missing_ok=True)
