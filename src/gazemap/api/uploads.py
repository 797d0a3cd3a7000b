"""Uploads: a request-size guard and spooling an uploaded file to a private temp folder.

:class:`BodyLimit` refuses a request whose ``Content-Length`` is over the upload limit
before its body is read (413). :func:`spooled_upload` copies an
:class:`~fastapi.UploadFile` chunk by chunk into a fresh temporary folder under its
original file name (readers detect formats by name as well as content), stops with 413
once the limit is passed, and removes the folder when the block ends, whatever happens.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send

from gazemap.errors import PayloadTooLargeError

__all__ = ["CHUNK", "FORM_OVERHEAD", "BodyLimit", "safe_name", "spooled_upload"]

CHUNK = 1 << 20
#: Room for the multipart boundaries and the small form fields next to the file.
FORM_OVERHEAD = 1 << 16
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(filename: str | None, default: str = "upload") -> str:
    """A file name without folders or unusual characters, keeping the extension.

    Examples
    --------
    >>> safe_name("../../etc/passwd")
    'passwd'
    >>> safe_name("P01 gaze (1).tsv")
    'P01_gaze_1_.tsv'
    >>> safe_name(None)
    'upload'
    """
    name = Path((filename or "").replace("\\", "/")).name
    name = _UNSAFE.sub("_", name).lstrip(".")[-200:]
    return name or default


@contextmanager
def spooled_upload(upload: UploadFile, *, limit: int) -> Iterator[Path]:
    """Copy ``upload`` to a temporary file of at most ``limit`` bytes; yield its path.

    Raises
    ------
    PayloadTooLargeError
        As soon as more than ``limit`` bytes have arrived.
    """
    folder = Path(tempfile.mkdtemp(prefix="gazemap-upload-"))
    try:
        path = folder / safe_name(upload.filename)
        size = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(
                        f"{upload.filename or 'the upload'} is larger than the upload limit of "
                        f"{limit} bytes (GAZEMAP_MAX_UPLOAD_BYTES); split the file or ask an "
                        "admin to raise the limit"
                    )
                out.write(chunk)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class BodyLimit:
    """ASGI middleware: 413 for a request declaring a body larger than the upload limit.

    Parameters
    ----------
    app:
        The wrapped application.
    limit:
        The upload limit in bytes; a ``Content-Length`` above ``limit`` plus
        :data:`FORM_OVERHEAD` (multipart framing, small fields) is refused.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.limit + FORM_OVERHEAD:
                await _too_large(scope, send, int(length), self.limit)
                return
        await self.app(scope, receive, send)


async def _too_large(scope: Scope, send: Send, length: int, limit: int) -> None:
    body = json.dumps(
        {
            "type": "https://github.com/gazemap/gazemap/blob/main/docs/api.md#payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body has {length} bytes, more than the upload limit of "
            f"{limit} bytes (GAZEMAP_MAX_UPLOAD_BYTES); split the file or ask an admin to raise "
            "the limit",
            "instance": scope.get("path", ""),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
