"""One mapping of named errors to RFC 9457 problem details."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gazemap.api.errors import PROBLEM_JSON, install_error_handlers
from gazemap.errors import (
    AuthenticationError,
    ConflictError,
    FormatError,
    GazemapError,
    GroupTooSmallError,
    InvalidBandwidthError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    StorageError,
)

CASES: list[tuple[Exception, int]] = [
    (InvalidBandwidthError("bandwidth must be > 0, got -3", field="bandwidth"), 422),
    (FormatError("expected a number, got 'abc'", path="a.csv", line=7, column="x"), 422),
    (NotFoundError("study 4 not found"), 404),
    (PermissionDeniedError("viewers may not upload"), 403),
    (AuthenticationError("the access token has expired"), 401),
    (ConflictError("username 'ann' is taken"), 409),
    (GroupTooSmallError("the slice covers 2 participants, fewer than 5"), 403),
    (PayloadTooLargeError("upload over 10 bytes"), 413),
    (RateLimitedError("too many sign-in attempts", retry_after=12.2), 429),
    (StorageError("blob store unreachable"), 503),
]


@pytest.fixture
def raising_client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{index}")
    def raise_case(index: int) -> None:
        raise CASES[index][0]

    @app.get("/bug")
    def bug() -> None:
        raise RuntimeError("secret internals")

    @app.get("/plain")
    def plain() -> None:
        raise GazemapError("an error without a mapping")

    @app.get("/typed")
    def typed(n: int) -> int:
        return n

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(("index", "status"), [(i, s) for i, (_, s) in enumerate(CASES)])
def test_each_named_error_has_its_status(
    raising_client: TestClient, index: int, status: int
) -> None:
    response = raising_client.get(f"/raise/{index}")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == status
    assert problem["instance"] == f"/raise/{index}"
    assert problem["type"].startswith("https://")
    assert str(CASES[index][0]) in problem["detail"]


def test_format_error_names_file_line_and_column(raising_client: TestClient) -> None:
    problem = raising_client.get("/raise/1").json()
    assert (problem["file"], problem["line"], problem["column"]) == ("a.csv", 7, "x")
    assert problem["errors"][0]["location"] == "file"


def test_invalid_input_names_the_field(raising_client: TestClient) -> None:
    problem = raising_client.get("/raise/0").json()
    assert problem["errors"] == [
        {"location": "query", "field": "bandwidth", "message": "bandwidth must be > 0, got -3"}
    ]


def test_special_headers(raising_client: TestClient) -> None:
    assert raising_client.get("/raise/4").headers["www-authenticate"].startswith("Bearer")
    assert raising_client.get("/raise/8").headers["retry-after"] == "13"


def test_group_too_small_says_how_to_fix(raising_client: TestClient) -> None:
    assert "Widen the slice" in raising_client.get("/raise/6").json()["detail"]


def test_unexpected_errors_are_500_logged_not_leaked(
    raising_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="gazemap.api"):
        response = raising_client.get("/bug")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "secret internals" not in response.text
    assert any("secret internals" in str(r.exc_info) for r in caplog.records)


def test_unmapped_gazemap_error_is_a_500(raising_client: TestClient) -> None:
    assert raising_client.get("/plain").status_code == 500


def test_request_validation_is_problem_json(raising_client: TestClient) -> None:
    response = raising_client.get("/typed", params={"n": "many"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["location"] == "query"
    assert problem["errors"][0]["field"] == "n"


def test_unknown_route_is_problem_json(raising_client: TestClient) -> None:
    response = raising_client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


def test_app_errors_carry_the_request_id(client: TestClient) -> None:
    response = client.get("/api/v1/studies", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"
