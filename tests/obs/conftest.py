"""Fixtures of the observability tests: captured log lines and migrated databases."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from gazemap.obs.logs import configure_logging
from tests.service.fixtures import service_database, sqlite_database
from tests.store.conftest import new_database

__all__ = ["LogLines", "json_logs", "new_database", "service_database", "sqlite_database"]

LogLines = Callable[[], list[dict[str, Any]]]


def _restore_logging() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_gazemap_handler", False)]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = False
    structlog.reset_defaults()


@pytest.fixture
def json_logs() -> Iterator[LogLines]:
    """JSON logging at DEBUG into a buffer; call the fixture's value for the parsed lines."""
    buffer = io.StringIO()
    configure_logging(format="json", level="DEBUG", stream=buffer)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield lines
    _restore_logging()
