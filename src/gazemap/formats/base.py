"""What every reader provides, and the small file helpers they share.

A reader module defines a module-level ``FORMAT = FormatSpec(...)`` (or a tuple
``FORMATS`` of them) and is listed in ``_READER_MODULES`` of :mod:`gazemap.formats`.
``read()`` there asks every registered format's ``sniff`` how sure it is that a
file is of its kind (0.0 = no, 1.0 = certain, from the first bytes only) and calls the
best one's ``read``; ``format="name"`` skips the sniffing.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from gazemap.errors import FormatError
from gazemap.gaze.recording import Recording

__all__ = [
    "SNIFF_BYTES",
    "FormatSpec",
    "check_head",
    "first_line",
    "open_binary",
    "open_text",
    "read_head",
]

#: How many leading (decompressed) bytes a sniffer is shown.
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class FormatSpec:
    """A file format gazemap can read.

    Attributes
    ----------
    name:
        The value users pass as ``format=`` (``"tobii_prolab"``, ``"eyelink_asc"``, …).
    description:
        One sentence shown in ``gazemap import --help`` and the API docs.
    sniff:
        ``sniff(head, path) -> float``: confidence from the first :data:`SNIFF_BYTES`
        bytes (already gunzipped) and the path (for its suffix) that the file is this format.
    read:
        ``read(path, **options) -> list[Recording]`` in file order; raises
        :class:`~gazemap.errors.FormatError` with file, line and column on bad input.
    """

    name: str
    description: str
    sniff: Callable[[bytes, Path], float]
    read: Callable[..., list[Recording]]


def open_binary(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading bytes, gunzipping transparently when it is gzip."""
    p = Path(path)
    with p.open("rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(p, "rb")  # type: ignore[return-value]  # GzipFile is a BinaryIO at runtime
    return p.open("rb")


def open_text(path: str | Path, *, encoding: str = "utf-8-sig", **kwargs: Any) -> io.TextIOWrapper:
    """Open ``path`` as text (gzip transparently), with universal newlines.

    ``utf-8-sig`` drops the byte-order mark Windows exporters write. Decoding errors
    surface as :class:`~gazemap.errors.FormatError` from the reader that hits them.
    """
    return io.TextIOWrapper(open_binary(path), encoding=encoding, newline=None, **kwargs)


def read_head(path: str | Path, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of ``path`` (decompressed when gzip)."""
    try:
        with open_binary(path) as f:
            return f.read(size)
    except (OSError, EOFError) as exc:
        raise FormatError(f"cannot read file: {exc}", path=str(path)) from exc


def check_head(head: bytes, path: str | Path) -> None:
    """Refuse an empty file or one that is clearly binary, before any parsing.

    A NUL byte never occurs in the text exports gazemap reads (UTF-8, cp1252), so one
    in the first bytes means a binary file (an EDF instead of its ASC, a zip, an image).

    Raises
    ------
    FormatError
        When ``head`` is empty or contains a NUL byte (with its line and byte offset).
    """
    if not head.strip():
        raise FormatError("file is empty; expected a header line and data rows", path=str(path))
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise FormatError(
            f"binary data (NUL byte at byte offset {nul}); expected a text export",
            path=str(path),
            line=line,
        )


def first_line(head: bytes, path: str | Path, *, encoding: str = "utf-8-sig") -> str:
    """The first line of ``head`` decoded, without its line ending.

    Raises
    ------
    FormatError
        When the line is not valid in ``encoding`` (naming the byte offset).
    """
    raw = head.split(b"\n", 1)[0]
    try:
        return raw.decode(encoding).rstrip("\r")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"byte 0x{raw[exc.start]:02x} at byte offset {exc.start} is not valid {encoding}; "
            "expected text in that encoding (pass encoding=... for another one)",
            path=str(path),
            line=1,
        ) from exc
