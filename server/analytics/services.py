"""Upload processing: the engine validates and summarises, this stores the result and applies
retention. No statistics are computed here (engine only)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone

import engine
from server.api.memory import give_back
from server.equipment.services import forget_dataset, record_upload
from server.imports.rows import upload_rows

from .models import CSVDataset, Status

_UNSAFE = re.compile(r"[^A-Za-z0-9._\- ()+]+")


def safe_file_name(name: str | None) -> str:
    """The base name only (no directories, no control characters), at most 200 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" ._")
    if not base:
        return "upload.csv"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def parse_client_id(field: str | None, header: str | None) -> uuid.UUID | None:
    """client_id field (must be a UUID), else the Idempotency-Key header (a UUID, or any other
    string mapped to a stable UUID). Raises ValueError for a malformed client_id."""
    if field not in (None, ""):
        return uuid.UUID(str(field).strip())
    if header:
        header = header.strip()[:200]
        try:
            return uuid.UUID(header)
        except ValueError:
            return uuid.uuid5(uuid.NAMESPACE_URL, "chemviz-idempotency:" + header)
    return None


def find_existing(user, client_id: uuid.UUID | None) -> CSVDataset | None:
    if client_id is None:
        return None
    return CSVDataset.objects.filter(uploaded_by=user, client_id=client_id).first()


@dataclass
class Outcome:
    dataset: CSVDataset | None = None
    created: bool = False
    result: Any = None          # engine.LoadResult
    recorded: dict[str, int] | None = None   # equipment created/updated and readings stored


def _error_log(report: engine.Report) -> str:
    return "\n".join(
        (f"Row {i.row}: " if i.row is not None else "") + i.message
        for i in report.issues if i.severity == "error")


def store_upload(user, data: bytes | File, file_name: str, client_id: uuid.UUID | None,
                 result: Any, taken_at=None) -> Outcome:
    """Save an accepted upload, its equipment and readings (seed §2.3 migration path; snapshot
    rows at `taken_at`, default the upload's time; time-series rows at their own times) and
    enforce retention, in one transaction. A concurrent repeat with the same client_id returns
    the dataset the other request created. The frame is planned into arrays and let go
    (`result.frame` becomes None) before the database work: the rows' memory is held once.
    `data`: the upload's bytes, or its file (e.g. Django's uploaded file: the caller can then let
    its copy of the bytes go before the rows are written)."""
    report = result.report
    give_back()            # the engine's freed pages, before the rows are planned
    rows = upload_rows(result.frame)
    result.frame = None
    give_back()
    now = timezone.now()
    ds = CSVDataset(file_name=file_name, uploaded_by=user, row_count=report.rows_total,
                    rows_accepted=report.rows_accepted, rows_excluded=report.rows_excluded,
                    content_sha256=content_sha256(data),
                    status=Status.COMPLETED, error_log=_error_log(report),
                    statistics=result.statistics, processed_at=now, report=report.to_dict(),
                    client_id=client_id)
    ds.file.save(f"{uuid.uuid4().hex}_{file_name}", ContentFile(data) if isinstance(data, bytes) else data,
                 save=False)
    try:
        with transaction.atomic():
            ds.save()
            recorded = record_upload(ds, rows, taken_at or ds.uploaded_at, user)
            prune(user)
    except IntegrityError:
        ds.file.storage.delete(ds.file.name)
        existing = find_existing(user, client_id)
        if existing is None:
            raise
        return Outcome(existing, False, result)
    except BaseException:
        ds.file.storage.delete(ds.file.name)
        raise
    return Outcome(ds, True, result, recorded)


def content_sha256(data: bytes | File) -> str:
    """SHA-256 of the bytes, or of the file read from its start (left at its start)."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    data.seek(0)
    digest = hashlib.sha256()
    for chunk in data.chunks():
        digest.update(chunk)
    data.seek(0)
    return digest.hexdigest()


def same_bytes(ds: CSVDataset, data: bytes | File) -> bool:
    """Whether a repeat of a client_id carries the bytes first uploaded under it (datasets from
    before content hashes were kept cannot tell, and count as the same)."""
    return not ds.content_sha256 or ds.content_sha256 == content_sha256(data)


def delete_dataset(ds: CSVDataset) -> None:
    """Delete a dataset and the readings it brought (retention keeps readings; see prune)."""
    with transaction.atomic():
        forget_dataset(ds)
        ds.delete()


def prune(user) -> int:
    """Delete the user's datasets beyond the newest CHEMVIZ_KEEP_PER_USER (files go on commit).
    Their readings stay in the equipment history (dataset set to null)."""
    keep = settings.CHEMVIZ_KEEP_PER_USER
    old = list(CSVDataset.objects.filter(uploaded_by=user).order_by("-uploaded_at", "-id")[keep:])
    for ds in old:
        ds.delete()
    return len(old)
