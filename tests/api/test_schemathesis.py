"""Property-based tests of every operation in /openapi.json (schemathesis): never a 5xx.

The app is seeded with a study, a demo stimulus with real fixations and a second
user, and called as an admin, so generated requests reach the heat-map code and not
only 401s and 404s. A small cell budget keeps generated grids cheap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from gazemap.api.app import create_app
from gazemap.service.context import ServiceContext
from gazemap.service.jobs import enable_jobs
from tests.api.helpers import make_account, upload_demo
from tests.service.fixtures import service_settings

AUTH: dict[str, str] = {}


@pytest.fixture(scope="module")
def seeded_app(
    tmp_path_factory: pytest.TempPathFactory, sqlite_database: str, password_hash: str
) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("fuzz") / "home"
    config = service_settings(home, sqlite_database, kde={"max_cells": 200_000})
    ctx = ServiceContext.from_settings(config)
    enable_jobs(ctx)
    app = create_app(config, context=ctx)
    try:
        with TestClient(app) as client:
            admin = make_account(ctx, client, "admin", password_hash)
            study = client.post("/api/v1/studies", headers=admin.headers, json={"name": "fuzz"})
            upload_demo(client, admin.headers, study.json()["id"])
            AUTH.update(admin.headers)
        yield app
    finally:
        ctx.close()


def test_no_server_errors(seeded_app: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", seeded_app)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    found = [result.ok() for result in schema.get_all_operations()]
    # deletions last, so they cannot remove the seeded study before the other operations
    for operation in sorted(found, key=lambda op: op.method.upper() == "DELETE"):
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            # report the first failing example as found: shrinking a 5xx is slow and the
            # problem document already says which request it was
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=dict(AUTH), checks=[not_a_server_error])
            statuses[response.status_code] += 1

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 20
    # the seeded data and the admin token let requests through, not only refusals
    assert statuses[200] + statuses[201] + statuses[204] > 50, statuses
    assert not failures, "\n\n".join(failures)
