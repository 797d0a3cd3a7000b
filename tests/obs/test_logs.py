"""Log configuration: one JSON object per line, readable console lines, secrets removed."""

from __future__ import annotations

import io
import json
import logging
import string

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.obs import configure_logging, get_logger, redact
from gazemap.obs.logs import REDACTED, SENSITIVE_KEYS
from tests.obs.conftest import LogLines, _restore_logging

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def test_structlog_and_stdlib_events_are_one_json_object_per_line(json_logs: LogLines) -> None:
    get_logger("gazemap.test").info("structured", answer=42, nested={"a": [1, 2]})
    logging.getLogger("some.library").warning("plain %s message", "stdlib")
    with structlog.contextvars.bound_contextvars(request_id="rid-1"):
        logging.getLogger("gazemap.jobs").error("inside a request")
    first, second, third = json_logs()
    assert first["event"] == "structured"
    assert first["answer"] == 42
    assert first["nested"] == {"a": [1, 2]}
    assert first["level"] == "info"
    assert first["logger"] == "gazemap.test"
    assert first["timestamp"].endswith("Z")
    assert second == {**second, "event": "plain stdlib message", "level": "warning"}
    assert third["request_id"] == "rid-1"


def test_an_exception_stays_on_one_line(json_logs: LogLines) -> None:
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        logging.getLogger("gazemap.test").exception("failed")
    (line,) = json_logs()
    assert "ValueError: first line\nsecond line" in line["exception"]


def test_console_format_is_readable_text() -> None:
    buffer = io.StringIO()
    configure_logging(format="console", level="INFO", stream=buffer)
    try:
        get_logger("gazemap.test").info("hello", user_id=3)
        get_logger("gazemap.test").debug("hidden below the level")
    finally:
        _restore_logging()
    text = buffer.getvalue()
    assert "hello" in text
    assert "user_id=3" in text
    assert "hidden" not in text
    assert not text.lstrip().startswith("{")
    assert "\x1b[" not in text  # no colours into something that is not a terminal


def test_the_level_filters_stdlib_loggers_too() -> None:
    buffer = io.StringIO()
    configure_logging(format="json", level="warning", stream=buffer)
    try:
        logging.getLogger("x").info("quiet")
        logging.getLogger("x").warning("loud")
    finally:
        _restore_logging()
    assert [json.loads(x)["event"] for x in buffer.getvalue().splitlines()] == ["loud"]


def test_configuring_twice_keeps_one_handler(json_logs: LogLines) -> None:
    buffer = io.StringIO()
    configure_logging(format="json", stream=buffer)
    get_logger("x").info("once")
    assert len(buffer.getvalue().splitlines()) == 1
    assert json_logs() == []  # the first handler was replaced, not kept


def test_uvicorn_access_log_is_silenced(json_logs: LogLines) -> None:
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    logging.getLogger("uvicorn.error").info("Started server process")
    assert [x["event"] for x in json_logs()] == ["Started server process"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "xml"}, "log format must be 'json' or 'console', got 'xml'"),
        ({"level": "LOUD"}, "log level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ],
)
def test_bad_options_are_named(options: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        configure_logging(**options)  # type: ignore[arg-type]


def test_secrets_are_redacted_in_fields_and_text(json_logs: LogLines) -> None:
    log = get_logger("gazemap.test")
    log.info("login", password="hunter2", token=JWT, form={"participant": "P-001", "age": 30})
    logging.getLogger("lib").info("Authorization: Bearer %s", JWT)
    logging.getLogger("lib").info("GET /x?access_token=%s", JWT)
    text = json.dumps(json_logs())
    for secret in ("hunter2", JWT, "P-001", "c2lnbmF0dXJl"):
        assert secret not in text
    first = json_logs()[0]
    assert first["password"] == REDACTED
    assert first["form"] == {"participant": REDACTED, "age": 30}


_words = st.text(string.ascii_letters + string.digits + "_-", min_size=5, max_size=30)


@given(
    header=_words,
    claims=_words,
    signature=st.text(string.ascii_letters + string.digits + "_-", max_size=40),
    before=st.text(max_size=20),
    after=st.text(" ?&,;", max_size=5),
)
def test_no_jwt_survives_redaction(
    header: str, claims: str, signature: str, before: str, after: str
) -> None:
    token = f"eyJ{header}.eyJ{claims}.{signature}"
    out = redact(None, "info", {"event": f"{before}{token}{after}", "deep": [{"x": token}]})
    assert token not in json.dumps(out)


@given(
    key=st.sampled_from(sorted(SENSITIVE_KEYS)),
    value=st.text(min_size=1),
    depth=st.integers(0, 5),
    upper=st.booleans(),
)
def test_sensitive_keys_are_redacted_at_any_depth(
    key: str, value: str, depth: int, upper: bool
) -> None:
    node: object = {key.upper() if upper else key: value}
    for _ in range(depth):
        node = {"inner": [node]}
    out = redact(None, "info", {"event": "e", "data": node})
    for _ in range(depth):
        out["data"] = out["data"]["inner"][0]
    assert list(out["data"].values()) == [REDACTED]
