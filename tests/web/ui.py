"""Steps the browser tests share: sign in, open a view, wait for a heat map."""

from __future__ import annotations

import base64
from typing import Any

from tests.web.server import Server


def sign_in(page: Any, server: Server, username: str, *, path: str = "/") -> None:
    """Open ``path``, sign in as ``username`` with the keyboard (Enter submits)."""
    page.goto(path)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(server.passwords[username])
    page.get_by_label("Password").press("Enter")
    page.wait_for_selector("#session .who")


def wait_for_map(page: Any) -> str:
    """Wait until the stage shows a heat map; return its blob: URL."""
    page.wait_for_selector(".stage img.map[src^='blob:']")
    page.wait_for_selector(".stage:not(.busy)")
    src: str = page.get_attribute(".stage img.map", "src")
    return src


def open_stimulus(page: Any, stimulus_id: int, query: str = "") -> str:
    """Go to a stimulus view and wait for its map; return the map's blob: URL."""
    page.goto(f"/#/stimuli/{stimulus_id}{'?' + query if query else ''}")
    return wait_for_map(page)


def map_bytes(page: Any) -> bytes:
    """The pixels the stage shows, read back through a canvas (CSP forbids fetching blob:)."""
    data_url: str = page.evaluate(
        """async () => {
            const img = document.querySelector('.stage img.map');
            await img.decode();  // the picture now showing, not a half-loaded one
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth;
            canvas.height = img.naturalHeight;
            canvas.getContext('2d').drawImage(img, 0, 0);
            return canvas.toDataURL('image/png');
        }"""
    )
    return base64.b64decode(data_url.split(",", 1)[1])


def count(page: Any, what: str) -> int:
    """A count from the status line: participants, recordings or points."""
    text: str = page.inner_text(f".status [data-count='{what}']")
    return int(text.split()[0])
