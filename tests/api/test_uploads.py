"""``BodyLimit`` at the ASGI level: what the application sees and what goes out.

The end-to-end refusal of a chunked upload over TCP is in ``test_server.py``; these
drive the middleware with small ASGI applications to cover the paths a real route never
takes (a response already started, an application ignoring the disconnect).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Scope, Send

from gazemap.api.uploads import FORM_OVERHEAD, BodyLimit

LIMIT = 1000
CHUNK = 512

App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Exchange:
    """The client side: body messages handed out, response messages collected."""

    def __init__(self, chunks: int) -> None:
        self.left = chunks
        self.taken = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        self.taken += 1
        self.left -= 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": self.left > 0}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def statuses(self) -> list[int]:
        return [m["status"] for m in self.sent if m["type"] == "http.response.start"]

    def problem(self) -> dict[str, object]:
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        problem: dict[str, object] = json.loads(body)
        return problem


def run(app: App, chunks: int, *, headers: list[tuple[bytes, bytes]] | None = None) -> Exchange:
    """Send ``chunks`` body messages of :data:`CHUNK` bytes through ``BodyLimit(app)``."""
    exchange = Exchange(chunks)
    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/upload",
        "headers": headers or [(b"transfer-encoding", b"chunked")],
    }
    asyncio.run(BodyLimit(app, limit=LIMIT)(scope, exchange.receive, exchange.send))
    return exchange


async def read_all_then_answer(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def test_a_chunked_body_within_the_limit_passes_unchanged() -> None:
    chunks = (LIMIT + FORM_OVERHEAD) // CHUNK
    exchange = run(read_all_then_answer, chunks)
    assert exchange.statuses == [200]
    assert exchange.sent[-1]["body"] == str(chunks * CHUNK).encode()


def test_the_chunk_crossing_the_limit_is_answered_413_and_not_passed_on() -> None:
    crossing = (LIMIT + FORM_OVERHEAD) // CHUNK + 1
    exchange = run(read_all_then_answer, crossing + 50)
    # ClientDisconnect inside the app was the middleware's own doing: no error escapes
    assert exchange.statuses == [413]
    assert exchange.taken == crossing
    assert dict(exchange.sent[0]["headers"])[b"connection"] == b"close"
    detail = str(exchange.problem()["detail"])
    assert "while streaming" in detail
    assert str(LIMIT) in detail


def test_the_application_answer_after_the_refusal_is_dropped() -> None:
    seen: list[str] = []

    async def stubborn(scope: Scope, receive: Receive, send: Send) -> None:
        while (message := await receive())["type"] == "http.request":
            pass
        seen.append(message["type"])
        seen.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"bad body"})

    exchange = run(stubborn, 500)
    assert seen == ["http.disconnect", "http.disconnect"]
    assert exchange.statuses == [413]
    assert b"bad body" not in b"".join(m.get("body", b"") for m in exchange.sent)


def test_no_second_response_once_the_application_started_one() -> None:
    async def answers_first(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await Request(scope, receive).body()
        except ClientDisconnect:
            await send({"type": "http.response.body", "body": b"cut short"})

    crossing = (LIMIT + FORM_OVERHEAD) // CHUNK + 1
    exchange = run(answers_first, crossing + 50)
    assert exchange.statuses == [200]
    assert exchange.sent[-1]["body"] == b"cut short"
    assert exchange.taken == crossing


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    length = str(LIMIT + FORM_OVERHEAD + 1).encode()
    exchange = run(read_all_then_answer, 500, headers=[(b"content-length", length)])
    assert exchange.statuses == [413]
    assert exchange.taken == 0
    assert f"has {length.decode()} bytes" in str(exchange.problem()["detail"])


def test_a_client_that_really_disconnects_is_not_hidden() -> None:
    async def gone(scope: Scope, receive: Receive, send: Send) -> None:
        raise ClientDisconnect

    with pytest.raises(ClientDisconnect):
        run(gone, 1)
