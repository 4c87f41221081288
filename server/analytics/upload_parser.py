"""The CSV upload's multipart parser: python-multipart (the streaming parser Starlette uses) in
place of Django's, feeding the same upload handlers (settings.FILE_UPLOAD_HANDLERS).

Why: Django's parser copies every byte of a file part three times in Python (joining each chunk
with the bytes kept back for a boundary, slicing off the bytes kept back, re-joining them), which
was about two thirds of the server's CPU before a queued 50 MB upload could answer 202 (issue 17
asks < 300 ms). python-multipart finds the boundary with bytes.find and reports each piece of a
part as (buffer, start, end), so a piece reaches the temporary file as a memoryview: the body is
read once from the server's buffer and written once.

Limits are Django's settings, enforced while reading: DATA_UPLOAD_MAX_NUMBER_FIELDS,
DATA_UPLOAD_MAX_NUMBER_FILES, DATA_UPLOAD_MAX_MEMORY_SIZE (all non-file fields together). A body
that breaks them, or is not a complete multipart body, is a ParseError (400), never a 500."""
from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, StopFutureHandlers, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, DataAndFiles

READ_BYTES = 1024 * 1024          # one read of the request body (the server buffered it already)
MAX_PART_HEADER_BYTES = 16 * 1024  # one header line of a part (Content-Disposition with a long name)
MAX_PART_HEADERS = 8               # Content-Disposition and Content-Type are all a form part needs


class _Part:
    """One part while it is read: its headers, then a field's bytes or a file's handlers."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.field = bytearray()
        self.value = bytearray()
        self.name = ""
        self.file_name: str | None = None
        self.content_type = ""
        self.charset: str | None = None
        self.handlers: list[Any] = []    # the upload handlers still taking this file's bytes
        self.size = 0
        self.skipped = False


class StreamingMultiPartParser(BaseParser):
    """multipart/form-data for the upload view: fields in `data`, files in `files`, each file
    made by the request's upload handlers (small ones in memory, larger ones in a temporary file
    under FILE_UPLOAD_TEMP_DIR, which the queued path moves into storage as it is)."""
    media_type = "multipart/form-data"

    def parse(self, stream, media_type: str | None = None, parser_context: dict | None = None) -> DataAndFiles:
        request = (parser_context or {})["request"]
        _, options = parse_options_header(media_type or "")
        boundary = options.get(b"boundary", b"")
        if not boundary or len(boundary) > 70:
            raise ParseError("Multipart form parse error - Invalid boundary in multipart: "
                             f"{boundary[:80].decode('latin-1')!r}")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        reading = _Reading(request, length)
        parser = MultipartParser(boundary, reading.callbacks(), max_header_size=MAX_PART_HEADER_BYTES,
                                 max_header_count=MAX_PART_HEADERS)
        try:
            remaining = length
            while remaining > 0:
                chunk = stream.read(min(READ_BYTES, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            reading.discard()
            raise ParseError(f"Multipart form parse error - {exc}") from None
        except OSError:     # the client went away mid-body (a server that streams it to us)
            reading.discard()
            raise ParseError("Multipart form parse error - the upload was cut off.") from None
        except ParseError:
            reading.discard()
            raise
        except StopUpload:
            reading.discard()
            raise ParseError("Multipart form parse error - the upload was stopped.") from None
        if not reading.ended:
            reading.discard()
            raise ParseError("Multipart form parse error - the body ended before the closing boundary.")
        return DataAndFiles(reading.data, reading.files)


class _Reading:
    """The callbacks python-multipart calls while one body is parsed, and what they built."""

    def __init__(self, request, length: int) -> None:
        self.data = QueryDict(mutable=True)
        self.files = MultiValueDict()
        self.part: _Part | None = None
        self.fields = 0
        self.file_count = 0
        self.field_bytes = 0
        self.ended = False
        self.handlers = list(request.upload_handlers)
        self.open_files: list[Any] = []
        for handler in self.handlers:
            handler.handle_raw_input(None, request.META, length, None, settings.DEFAULT_CHARSET)

    def callbacks(self) -> dict:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_part_end": self.part_end, "on_end": self.end}

    # headers
    def part_begin(self) -> None:
        self.part = _Part()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        assert self.part is not None
        self.part.field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        assert self.part is not None
        self.part.value += data[start:end]

    def header_end(self) -> None:
        part = self.part
        assert part is not None
        part.headers.append((bytes(part.field).lower(), bytes(part.value)))
        part.field, part.value = bytearray(), bytearray()

    def headers_finished(self) -> None:
        part = self.part
        assert part is not None
        headers = dict(part.headers)
        disposition, options = parse_options_header(headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise ParseError("Multipart form parse error - a part has no form-data name.")
        part.name = options[b"name"].decode("utf-8", "replace")
        ctype, ctype_options = parse_options_header(headers.get(b"content-type", b""))
        part.content_type = ctype.decode("latin-1")
        if b"charset" in ctype_options:
            part.charset = ctype_options[b"charset"].decode("latin-1")
            try:
                codecs.lookup(part.charset)
            except LookupError:
                raise ParseError(f"Multipart form parse error - unknown charset {part.charset[:40]!r} "
                                 f"in part {part.name[:40]!r}.") from None
        if b"filename" not in options:
            self.fields += 1
            if self.fields > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
                raise ParseError(f"Multipart form parse error - more than "
                                 f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields.")
            return
        self.file_count += 1
        if self.file_count > settings.DATA_UPLOAD_MAX_NUMBER_FILES:
            raise ParseError(f"Multipart form parse error - more than "
                             f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES} files.")
        part.file_name = options[b"filename"].decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1]
        if not part.file_name:      # a file input left empty: no file, as Django does
            part.skipped = True
            return
        part.handlers = []
        for handler in self.handlers:
            try:
                handler.new_file(part.name, part.file_name, part.content_type or "application/octet-stream",
                                 None, part.charset, {})
            except StopFutureHandlers:
                part.handlers.append(handler)
                break
            except SkipFile:
                part.skipped = True
                return
            part.handlers.append(handler)

    # bodies
    def part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        assert part is not None
        if part.skipped or end <= start:
            return
        if part.file_name is None:
            self.field_bytes += end - start
            if self.field_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                raise ParseError("Multipart form parse error - the form fields are larger than "
                                 f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
            part.value += data[start:end]
            return
        chunk: Any = memoryview(data)[start:end]
        offset = part.size
        part.size += end - start
        for handler in part.handlers:
            try:
                chunk = handler.receive_data_chunk(chunk, offset)
            except SkipFile:
                part.skipped = True
                return
            if chunk is None:      # this handler kept the bytes; later handlers do not see them
                break

    def part_end(self) -> None:
        part = self.part
        assert part is not None
        self.part = None
        if part.file_name is None:
            self.data.appendlist(part.name, bytes(part.value).decode(part.charset or "utf-8", "replace"))
            return
        if part.skipped:
            return
        for handler in part.handlers:
            made = handler.file_complete(part.size)
            if made is not None:
                self.open_files.append(made)
                self.files.appendlist(part.name, made)
                return

    def end(self) -> None:
        self.ended = True
        for handler in self.handlers:
            handler.upload_complete()

    def discard(self) -> None:
        """A refused body leaves no temporary files behind."""
        for made in self.open_files:
            try:
                made.close()
            except OSError:
                pass
        if self.part is not None:
            for handler in self.part.handlers:
                tmp = getattr(handler, "file", None)
                if tmp is not None:
                    try:
                        tmp.close()
                    except OSError:
                        pass
