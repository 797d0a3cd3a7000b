"""The audit log through the API: refusals and uses appear, admins filter them, nobody else reads them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import Account

P = "/api/v1"


def entries(client: TestClient, admin: Account, **query: object) -> list[dict[str, object]]:
    response = client.get(f"{P}/audit", headers=admin.headers, params={"limit": 500, **query})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_refusals_and_uses_are_listed_for_admins(
    client: TestClient,
    admin: Account,
    researcher: Account,
    viewer: Account,
    outsider: Account,
    study_id: int,
    stimulus_id: int,
) -> None:
    grid = {"format": "json", "cols": 40, "rows": 30}
    assert (
        client.get(
            f"{P}/stimuli/{stimulus_id}/heatmap", headers=viewer.headers, params=grid
        ).status_code
        == 200
    )
    refused = client.get(
        f"{P}/stimuli/{stimulus_id}/heatmap",
        headers=viewer.headers,
        params={**grid, "gender": "f"},
    )
    assert refused.status_code == 403
    recordings = client.get(
        f"{P}/stimuli/{stimulus_id}/recordings", headers=researcher.headers
    ).json()["items"]
    recording = recordings[0]["id"]
    assert (
        client.get(f"{P}/recordings/{recording}/export", headers=viewer.headers).status_code == 403
    )
    assert (
        client.get(f"{P}/recordings/{recording}/export", headers=outsider.headers).status_code
        == 404
    )
    assert (
        client.get(f"{P}/recordings/{recording}/export", headers=researcher.headers).status_code
        == 200
    )

    views = entries(client, admin, action="heatmap.view", user_id=viewer.id)
    assert [e["outcome"] for e in views] == ["denied", "ok"]  # newest first
    assert views[0]["study_id"] == study_id
    assert views[0]["parameters"]["refused"] == "PermissionDeniedError"
    assert views[1]["parameters"]["slice"] == {}

    exports = entries(client, admin, action="recording.export", study_id=study_id)
    by_user = {(e["user_id"], e["outcome"]) for e in exports}
    assert (viewer.id, "denied") in by_user
    assert (outsider.id, "denied") in by_user
    assert (researcher.id, "ok") in by_user
    assert all(e["target"] == f"recording:{recording}" for e in exports)

    prefixed = entries(client, admin, action="heatmap.", study_id=study_id)
    assert {e["action"] for e in prefixed} == {"heatmap.view"}

    for account in (viewer, researcher, outsider):
        assert client.get(f"{P}/audit", headers=account.headers).status_code == 403
    assert client.get(f"{P}/audit").status_code == 401


def test_permission_changes_are_audited(
    client: TestClient, admin: Account, researcher: Account, viewer: Account, study_id: int
) -> None:
    refused = client.post(
        f"{P}/studies/{study_id}/members",
        headers=viewer.headers,
        json={"username": viewer.username, "role": "researcher"},
    )
    assert refused.status_code == 403
    removed = client.delete(
        f"{P}/studies/{study_id}/members/{viewer.id}", headers=researcher.headers
    )
    assert removed.status_code == 204
    changes = entries(client, admin, action="study.", study_id=study_id)
    seen = {(e["action"], e["outcome"], e["user_id"]) for e in changes}
    assert ("study.add_member", "denied", viewer.id) in seen
    assert ("study.add_member", "ok", researcher.id) in seen
    assert ("study.remove_member", "ok", researcher.id) in seen


def test_refusal_naming_a_missing_study_is_a_404_and_audited(
    client: TestClient, admin: Account, researcher: Account
) -> None:
    missing = 2_000_000_000
    response = client.delete(
        f"{P}/studies/{missing}/members/{researcher.id}", headers=researcher.headers
    )
    assert response.status_code == 404, response.text
    found = [
        e
        for e in entries(client, admin, action="study.remove_member", user_id=researcher.id)
        if e["outcome"] == "denied"
    ]
    assert found
    assert found[0]["study_id"] is None
