"""Streaming ``multipart/form-data``: the file part goes straight to a temp file.

Memory stays constant whatever the upload size; the byte limit is enforced while reading,
and a rejected upload leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from vidhost.core.limits import FORM_FIELD_BYTES, FORM_FIELDS, FORM_PART_HEADER_BYTES
from vidhost.http.errors import ApiError

MAX_FIELD_BYTES = FORM_FIELD_BYTES


@dataclass
class FilePart:
    path: Path
    filename: str | None
    content_type: str | None
    size: int


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    file: FilePart | None = None

    def discard(self) -> None:
        if self.file is not None:
            self.file.path.unlink(missing_ok=True)


class _Collector:
    def __init__(
        self, file_field: str, tmp_dir: Path, max_bytes: int, *, unnamed_file: bool = False
    ) -> None:
        self.file_field = file_field
        self.unnamed_file = unnamed_file
        self.tmp_dir = tmp_dir
        self.max_bytes = max_bytes
        self.form = Form()
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._filename: str | None = None
        self._content_type: str | None = None
        self._value = bytearray()
        self._fh: IO[bytes] | None = None
        self._size = 0
        self._header_bytes = 0
        self._field_bytes = 0
        self._parts = 0

    # python-multipart callbacks -------------------------------------------------------------

    def on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > FORM_FIELDS + 1:  # the fields and the file
            raise ApiError(400, "too_many_fields", f"more than {FORM_FIELDS} form fields")
        self._header_bytes = 0
        self._headers = {}
        self._name = self._filename = self._content_type = None
        self._value = bytearray()

    def _count_header(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > FORM_PART_HEADER_BYTES:
            raise ApiError(400, "field_too_large", "form part headers too large")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name")
        filename = params.get(b"filename")
        self._name = name.decode("utf-8", "replace") if name is not None else None
        self._filename = filename.decode("utf-8", "replace") if filename is not None else None
        ctype = self._headers.get(b"content-type")
        self._content_type = ctype.decode("latin-1") if ctype else None
        if self._is_file_part():
            if self.form.file is not None:
                raise ApiError(400, "multiple_files", "send exactly one file")
            fd, path = tempfile.mkstemp(dir=self.tmp_dir, prefix="upload-")
            self._fh = os.fdopen(fd, "wb")
            self._size = 0
            self.form.file = FilePart(Path(path), self._filename, self._content_type, 0)

    def _is_file_part(self) -> bool:
        named = self._filename is not None or self.unnamed_file
        return self._name == self.file_field and named

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._fh is not None:
            self._size += end - start
            if self._size > self.max_bytes:
                raise ApiError(
                    413,
                    "file_too_large",
                    f"file exceeds the {self.max_bytes} byte limit",
                )
            self._fh.write(data[start:end])
        else:
            self._value += data[start:end]
            self._field_bytes += end - start
            if len(self._value) > MAX_FIELD_BYTES or self._field_bytes > MAX_FIELD_BYTES:
                raise ApiError(400, "field_too_large", "form fields too large")

    def on_part_end(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            assert self.form.file is not None
            self.form.file.size = self._size
        elif self._name is not None:
            self.form.fields[self._name] = self._value.decode("utf-8", "replace")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


async def read_form(
    request: Request,
    *,
    file_field: str,
    tmp_dir: Path,
    max_bytes: int,
    unnamed_file: bool = False,
) -> Form:
    """Parse the request body; the caller owns (and must discard) the returned temp file.
    ``unnamed_file``: the ``file_field`` part is the file even without a ``filename`` (a
    caption sent as a plain form field, as Cloudflare's SDK does)."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(400, "no_file", "send the video as multipart/form-data field 'file'")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + MAX_FIELD_BYTES:
        raise ApiError(413, "file_too_large", f"file exceeds the {max_bytes} byte limit")
    collector = _Collector(file_field, tmp_dir, max_bytes, unnamed_file=unnamed_file)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.on_part_begin,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except ApiError:
        collector.close()
        collector.form.discard()
        raise
    except Exception as exc:
        collector.close()
        collector.form.discard()
        raise ApiError(400, "malformed_multipart", "malformed multipart body") from exc
    collector.close()
    return collector.form
