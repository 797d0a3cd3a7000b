"""The OpenAPI document: every operation and parameter is described, auth is declared."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PUBLIC = {
    "/healthz",
    "/readyz",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
}


def _spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


def test_every_operation_has_a_summary_and_a_description(client: TestClient) -> None:
    for path, item in _spec(client)["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
            assert len(operation.get("description", "")) > 20, (method, path)
            assert operation.get("tags"), (method, path)


def test_every_parameter_is_described(client: TestClient) -> None:
    for path, item in _spec(client)["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (method, path, parameter["name"])


def test_bearer_scheme_on_protected_routes(client: TestClient) -> None:
    spec = _spec(client)
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if path in PUBLIC or not path.startswith("/api/"):
                continue
            assert operation.get("security"), (method, path)


def test_heatmap_parameters_keep_the_contract_names(client: TestClient) -> None:
    operation = _spec(client)["paths"]["/api/v1/stimuli/{stimulus_id}/heatmap"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {
        "kernel", "bandwidth", "bandwidth_unit", "level", "cols", "rows", "method", "points",
        "detector", "weight", "normalize", "t_from", "t_to", "gender", "age_min", "age_max",
        "device", "recorded_from", "recorded_to", "format", "colormap", "opacity", "threshold",
        "overlay", "scale", "mode", "async",
    } <= names  # fmt: skip
    compare = _spec(client)["paths"]["/api/v1/stimuli/{stimulus_id}/heatmap/compare"]["get"]
    assert {"a.gender", "b.gender", "b.stimulus_id"} <= {p["name"] for p in compare["parameters"]}
    assert "ProblemDetails" in _spec(client)["components"]["schemas"]


def test_docs_page_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200


def test_readyz_names_the_failed_check(client: TestClient) -> None:
    ok = client.get("/readyz")
    assert ok.status_code == 200
    assert ok.json()["checks"] == {"database": "ok", "blobs": "ok", "redis": "skipped"}
    original = client.app.state.context.settings.redis_url  # type: ignore[attr-defined]
    client.app.state.context.settings.redis_url = "redis://127.0.0.1:1/0"  # type: ignore[attr-defined]
    try:
        broken = client.get("/readyz")
    finally:
        client.app.state.context.settings.redis_url = original  # type: ignore[attr-defined]
    assert broken.status_code == 503
    assert broken.json()["checks"]["redis"] != "ok"
    assert broken.json()["checks"]["database"] == "ok"
