"""Fixtures of the browser tests: a real server, a real headless Chromium, strict pages.

Chromium is Debian's (``/usr/bin/chromium``, or ``GAZEMAP_TEST_CHROMIUM``), driven by
Playwright for Python; Playwright's own browser downloads are never used. Without the
binary the tests skip (and fail under CI). Every page fails its test on a console error
or an uncaught exception.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, unavailable
from tests.web.server import Server, start_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
#: Screenshots of the main views, kept by CI as artefacts.
SCREENSHOTS = REPO / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 720}


def _chromium() -> str | None:
    wanted = os.environ.get("GAZEMAP_TEST_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() else None
    for path in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if path and Path(path).is_file():
            return path
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the Chromium binary the tests drive."""
    path = _chromium()
    if path is None:
        unavailable(
            "Chromium not found at /usr/bin/chromium (apt-get install chromium, "
            "or set GAZEMAP_TEST_CHROMIUM)"
        )
    assert path is not None
    return path


@pytest.fixture(scope="session")
def server(
    chromium_path: str, real_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``gazemap serve`` on a free port with the demo study, users and a gendered study."""
    del chromium_path, real_data  # order: no server is started when the browser is missing
    home = tmp_path_factory.mktemp("web-home")
    with start_server(home) as running:
        yield running


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


class ConsoleLog:
    """Console errors and uncaught exceptions of one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[str] = []

    def allow(self, fragment: str) -> None:
        """Accept console errors containing ``fragment`` (an HTTP error the test provokes)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def console() -> ConsoleLog:
    """The console log of the test's pages."""
    return ConsoleLog()


@pytest.fixture
def new_page(browser: Any, server: Server, console: ConsoleLog) -> Iterator[Any]:
    """A factory of fresh pages (own context: own sessionStorage), watched for errors."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=server.base_url, viewport=viewport or DESKTOP, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on(
            "console",
            lambda m: (
                console.errors.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda e: console.errors.append(f"pageerror: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    problems = console.unexpected()
    assert not problems, "console errors:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page: Any) -> Any:
    """One fresh desktop page (1280×720)."""
    return new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """``var/screenshots``, created."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
