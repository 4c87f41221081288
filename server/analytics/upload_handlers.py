"""Upload handlers for the CSV upload (settings.FILE_UPLOAD_HANDLERS): Django's two, reading
1 MiB at a time instead of 64 KiB (the multipart parser's per-chunk work is a good part of the
time a 50 MB upload takes before a queued upload can answer 202; issue 17 asks < 300 ms).
A larger file still spools to a temporary file, which the queued path moves into the storage
as it is (Django's FileSystemStorage moves a temporary upload instead of copying it)."""
from __future__ import annotations

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

CHUNK = 1024 * 1024     # the parser reads the smallest chunk_size of all handlers


class MemoryUpload(MemoryFileUploadHandler):
    """Small files (≤ FILE_UPLOAD_MAX_MEMORY_SIZE) stay in memory."""
    chunk_size = CHUNK


class TemporaryUpload(TemporaryFileUploadHandler):
    """Larger files spool to a temporary file."""
    chunk_size = CHUNK
