"""Studies and members through HTTP: create, list, update, delete, access rules."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import Account


def test_study_lifecycle(client: TestClient, researcher: Account) -> None:
    created = client.post(
        "/api/v1/studies",
        headers=researcher.headers,
        json={"name": "Checkout flow", "screen": {"width_px": 1920, "height_px": 1080}},
    )
    assert created.status_code == 201
    study = created.json()
    assert study["id"] > 0
    assert study["role"] == "researcher"
    assert study["screen_width_px"] == 1920

    listed = client.get("/api/v1/studies", headers=researcher.headers).json()
    assert study["id"] in [s["id"] for s in listed["items"]]
    assert listed["limit"] == 50

    patched = client.patch(
        f"/api/v1/studies/{study['id']}",
        headers=researcher.headers,
        json={"description": "v2 of the page", "min_group_size": 3},
    )
    assert patched.status_code == 200
    assert patched.json()["description"] == "v2 of the page"
    assert patched.json()["name"] == "Checkout flow"

    deleted = client.delete(f"/api/v1/studies/{study['id']}", headers=researcher.headers)
    assert deleted.status_code == 204
    gone = client.get(f"/api/v1/studies/{study['id']}", headers=researcher.headers)
    assert gone.status_code == 404


def test_other_peoples_study_is_404_not_403(
    client: TestClient, study_id: int, outsider: Account
) -> None:
    response = client.get(f"/api/v1/studies/{study_id}", headers=outsider.headers)
    assert response.status_code == 404
    missing = client.get("/api/v1/studies/999999", headers=outsider.headers)
    assert missing.json()["detail"].replace("999999", "X") == response.json()["detail"].replace(
        str(study_id), "X"
    )


def test_viewer_sees_but_may_not_change(client: TestClient, study_id: int, viewer: Account) -> None:
    assert client.get(f"/api/v1/studies/{study_id}", headers=viewer.headers).json()["role"] == (
        "viewer"
    )
    response = client.delete(f"/api/v1/studies/{study_id}", headers=viewer.headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_global_viewer_cannot_create_studies(client: TestClient, viewer: Account) -> None:
    response = client.post("/api/v1/studies", headers=viewer.headers, json={"name": "x"})
    assert response.status_code == 403


def test_members_add_list_remove(
    client: TestClient, study_id: int, researcher: Account, outsider: Account
) -> None:
    url = f"/api/v1/studies/{study_id}/members"
    added = client.post(
        url, headers=researcher.headers, json={"username": outsider.username, "role": "viewer"}
    )
    assert added.status_code == 200
    assert added.json()["role"] == "viewer"
    names = {m["username"]: m["role"] for m in client.get(url, headers=researcher.headers).json()}
    assert names[outsider.username] == "viewer"
    assert client.get(f"/api/v1/studies/{study_id}", headers=outsider.headers).status_code == 200
    removed = client.delete(f"{url}/{outsider.id}", headers=researcher.headers)
    assert removed.status_code == 204
    assert client.get(f"/api/v1/studies/{study_id}", headers=outsider.headers).status_code == 404


def test_bad_bodies_name_the_field(client: TestClient, researcher: Account, study_id: int) -> None:
    response = client.post("/api/v1/studies", headers=researcher.headers, json={"name": ""})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    response = client.post(
        f"/api/v1/studies/{study_id}/members",
        headers=researcher.headers,
        json={"username": "someone", "role": "owner"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"
    response = client.post(
        f"/api/v1/studies/{study_id}/members",
        headers=researcher.headers,
        json={"username": "no-such-user-xyz", "role": "viewer"},
    )
    assert response.status_code == 404


def test_paging_limits(client: TestClient, researcher: Account) -> None:
    response = client.get("/api/v1/studies", headers=researcher.headers, params={"limit": 0})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_changes_to_missing_studies_are_404(client: TestClient, admin: Account) -> None:
    # refusals are audited; the entry must not reference a study row that does not exist
    missing = "/api/v1/studies/987654"
    assert client.patch(missing, headers=admin.headers, json={"name": "x"}).status_code == 404
    assert client.delete(missing, headers=admin.headers).status_code == 404
    member = {"username": admin.username, "role": "viewer"}
    assert client.post(f"{missing}/members", headers=admin.headers, json=member).status_code == 404
    assert client.delete(f"{missing}/members/1", headers=admin.headers).status_code == 404
