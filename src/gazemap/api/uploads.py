"""Uploads: a request-size guard and spooling an uploaded file to a private temp folder.

:class:`BodyLimit` refuses a request whose ``Content-Length`` is over the upload limit
before its body is read (413), and counts the bytes of a body sent without one
(``Transfer-Encoding: chunked``) as they arrive: past the limit it answers the same 413
at once and reads no further, so an oversize stream is never spooled whole before it is
refused. :func:`spooled_upload` copies an
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
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    """ASGI middleware: 413 for a request body larger than the upload limit.

    A ``Content-Length`` above the ceiling (``limit`` plus :data:`FORM_OVERHEAD`, room
    for the multipart framing and small fields) is refused before any byte of the body
    is read. A body sent with ``Transfer-Encoding`` (a chunked upload, no
    ``Content-Length``) is counted as its ``http.request`` messages arrive: the message
    that crosses the ceiling is not passed on, the 413 is sent at once with
    ``Connection: close``,
    and from then on the application only receives ``http.disconnect``. Its form parser
    gives up (closing its temporary files) before the route runs, so nothing of the
    upload is stored; whatever the application tries to answer after that is dropped.

    If the application had already started a response when the ceiling was crossed,
    no second one is sent: it just sees the client as gone.

    Parameters
    ----------
    app:
        The wrapped application.
    limit:
        The upload limit in bytes (``settings.max_upload_bytes``).
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, refusing its body as soon as it is known to be too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ceiling = self.limit + FORM_OVERHEAD
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > ceiling:
            await _too_large(
                scope,
                send,
                f"the request body has {int(length)} bytes, more than the upload limit of "
                f"{self.limit} bytes (GAZEMAP_MAX_UPLOAD_BYTES)",
            )
            return
        if b"transfer-encoding" not in headers:
            # a body without Transfer-Encoding is exactly Content-Length bytes (checked
            # above), or none at all: only a chunked body needs counting, and the other
            # requests (every heat map) skip the wrapping
            await self.app(scope, receive, send)
            return
        body = _CountedBody(scope, receive, send, limit=self.limit, ceiling=ceiling)
        try:
            await self.app(scope, body.receive, body.send)
        except ClientDisconnect:
            # the "disconnect" was ours: the client has its 413 and this request is over
            if not body.refused:
                raise


class _CountedBody:
    """The ``receive`` and ``send`` of one request under :class:`BodyLimit`'s count."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, *, limit: int, ceiling: int
    ) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.limit = limit
        self.ceiling = ceiling
        self.received = 0
        #: The application has sent ``http.response.start``.
        self.app_started = False
        #: The body went past the ceiling: the application sees the client as gone.
        self.refused = False
        #: This middleware sent the 413; the application's own answer is dropped.
        self.answered = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.ceiling:
                self.refused = True
                if not self.app_started:
                    self.answered = True
                    await _too_large(
                        self.scope,
                        self._send,
                        "the request body went past the upload limit of "
                        f"{self.limit} bytes (GAZEMAP_MAX_UPLOAD_BYTES) while streaming; "
                        "reading stopped there",
                    )
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.app_started = True
        await self._send(message)


async def _too_large(scope: Scope, send: Send, reason: str) -> None:
    body = json.dumps(
        {
            "type": "https://github.com/gazemap/gazemap/blob/main/docs/api.md#payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"{reason}; split the file or ask an admin to raise the limit",
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
                # the rest of the body is left unread, so the connection cannot serve
                # another request
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
