"""The upload's streaming multipart parser (server/analytics/upload_parser.py): a file's bytes
come out exactly as sent, wherever a boundary-like sequence or a read edge falls; fields are read
before and after the file; a broken or oversized body is a 400 and leaves no temporary file."""
from __future__ import annotations

import hashlib
import io
import os
import uuid

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from srv_helpers import API, CLEAN_CSV

from server.analytics.models import CSVDataset
from server.analytics.upload_parser import READ_BYTES, StreamingMultiPartParser

BOUNDARY = "----chemvizTestBoundary7MA4YWxkTrZu0gW"


def body(parts: list[tuple[str, bytes, str | None]], *, close: bool = True) -> bytes:
    """A multipart body: (name, bytes, file name or None for a plain field) per part."""
    out = io.BytesIO()
    for name, value, file_name in parts:
        out.write(f"--{BOUNDARY}\r\n".encode())
        disposition = f'form-data; name="{name}"' + (f'; filename="{file_name}"' if file_name is not None else "")
        out.write(f"Content-Disposition: {disposition}\r\n".encode())
        if file_name is not None:
            out.write(b"Content-Type: text/csv\r\n")
        out.write(b"\r\n" + value + b"\r\n")
    if close:
        out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


def parse(raw: bytes):
    request = RequestFactory().generic("POST", "/upload/", raw,
                                       content_type=f"multipart/form-data; boundary={BOUNDARY}")
    drf = Request(request, parsers=[StreamingMultiPartParser()])
    return drf.data, drf.FILES


def tricky_bytes(size: int) -> bytes:
    """CSV-like bytes full of near-boundaries: CR LF, '--', the boundary without its last
    character, placed across the parser's 1 MiB read edges too."""
    near = f"\r\n--{BOUNDARY[:-1]}X".encode()
    line = b"P-1,Pump,1.5,2.5,30\r\n--not-a-boundary\r\n"
    data = bytearray((line * (size // len(line) + 1))[:size])
    for edge in range(READ_BYTES, size, READ_BYTES):
        for shift in (-len(near) // 2, -3, -1):
            at = edge + shift
            data[at: at + len(near)] = near
    return bytes(data)


@pytest.mark.parametrize("size", [1000, 2 * READ_BYTES + 777, 5 * READ_BYTES // 2])
def test_file_bytes_come_out_exactly_as_sent(size, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    data = tricky_bytes(size)
    fields, files = parse(body([("client_id", b"abc", None), ("file", data, "plant.csv"),
                                ("taken_at", b"2026-01-29T08:00:00Z", None)]))
    got = files["file"].read()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
    assert files["file"].name == "plant.csv" and files["file"].size == size
    assert fields["client_id"] == "abc" and fields["taken_at"] == "2026-01-29T08:00:00Z"
    # large files spool to a temporary file under FILE_UPLOAD_TEMP_DIR (moved, not copied, later)
    spooled = hasattr(files["file"], "temporary_file_path")
    assert spooled == (size > settings.FILE_UPLOAD_MAX_MEMORY_SIZE)


def test_a_body_cut_before_its_closing_boundary_is_refused_and_leaves_no_temp_file(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    raw = body([("file", tricky_bytes(3 * READ_BYTES), "plant.csv")], close=False)
    with pytest.raises(ParseError, match="closing boundary"):
        parse(raw)
    assert os.listdir(tmp_path) == []


def test_too_many_fields_or_too_large_fields_are_refused(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    with pytest.raises(ParseError, match="more than 3 form fields"):
        parse(body([(f"f{i}", b"x", None) for i in range(4)]))
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(ParseError, match="larger than 1000 bytes"):
        parse(body([("client_id", b"x" * 1001, None)]))


def test_too_many_files_are_refused(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    with pytest.raises(ParseError, match="more than 2 files"):
        parse(body([(f"file{i}", b"a,b\n", f"{i}.csv") for i in range(3)]))


def test_an_empty_file_input_is_no_file():
    fields, files = parse(body([("file", b"", ""), ("client_id", b"x", None)]))
    assert "file" not in files and fields["client_id"] == "x"


def test_an_unknown_charset_is_a_parse_error_not_a_crash():
    raw = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"client_id\"\r\n"
           f"Content-Type: text/plain; charset=no-such-charset\r\n\r\nabc\r\n--{BOUNDARY}--\r\n").encode()
    with pytest.raises(ParseError, match="unknown charset"):
        parse(raw)


def test_a_part_without_a_form_data_name_is_refused():
    raw = (f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{BOUNDARY}--\r\n").encode()
    with pytest.raises(ParseError, match="no form-data name"):
        parse(raw)


def test_the_upload_view_reads_a_client_id_sent_after_the_file(client_for):
    client_id = str(uuid.uuid4())
    raw = body([("file", CLEAN_CSV, "plant.csv"), ("client_id", client_id.encode(), None)])
    c = client_for("engineer")
    ctype = f"multipart/form-data; boundary={BOUNDARY}"
    first = c.generic("POST", API + "analytics/csv/upload/", raw, content_type=ctype)
    again = c.generic("POST", API + "analytics/csv/upload/", raw, content_type=ctype)
    assert first.status_code == 200 and first.json()["created"] is True
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == first.json()["id"] and CSVDataset.objects.count() == 1


def test_the_upload_view_answers_a_broken_body_with_400(client_for):
    raw = body([("file", CLEAN_CSV, "plant.csv")], close=False)
    r = client_for("engineer").generic("POST", API + "analytics/csv/upload/", raw,
                                       content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert r.status_code == 400 and "multipart" in r.json()["detail"]
    assert not CSVDataset.objects.exists()


def test_a_client_gone_mid_body_is_a_parse_error_and_leaves_no_temp_file(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    raw = body([("file", tricky_bytes(3 * READ_BYTES), "plant.csv")])
    ctype = f"multipart/form-data; boundary={BOUNDARY}"
    request = RequestFactory().generic("POST", "/upload/", raw, content_type=ctype)

    class CutOff(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > READ_BYTES:      # the connection drops after a megabyte or so
                raise OSError("connection reset by peer")
            return super().read(size)

    with pytest.raises(ParseError, match="cut off"):
        StreamingMultiPartParser().parse(CutOff(raw), ctype, {"request": request})
    assert os.listdir(tmp_path) == []


def test_a_part_with_too_many_headers_is_refused():
    extra = "".join(f"X-Extra-{i}: {i}\r\n" for i in range(9))
    raw = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"client_id\"\r\n{extra}\r\nabc\r\n"
           f"--{BOUNDARY}--\r\n").encode()
    with pytest.raises(ParseError, match="(?i)header"):
        parse(raw)
