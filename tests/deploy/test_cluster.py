"""The local scale-out topology for real: two instances, two workers, nginx, Redis, PostgreSQL.

``scripts/cluster-local`` runs everything from local processes on free ports: a private
redis-server (never the machine's shared one), a fresh database on the local PostgreSQL
(dropped at the end) and nginx with ``deploy/nginx/gazemap.conf``. A PostgreSQL restart
is simulated by terminating every server connection of the cluster's database
(``pg_terminate_backend``): the instances see exactly what a restart does to them
(dead pooled connections), without touching the machine's shared server.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from gazemap.demo import demo_stimuli
from tests.conftest import POSTGRES_URL, unavailable
from tests.deploy.cluster import LocalCluster, children_of, local_cluster, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def _tools() -> None:
    import shutil

    for tool, package in (
        ("nginx", "nginx"),
        ("redis-server", "redis-server"),
        ("psql", "postgresql-client"),
        ("openssl", "openssl"),
    ):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            unavailable(f"{tool} not found; apt-get install {package}")


def sign_in(client: httpx.Client, state: dict[str, Any]) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data=state["admin"])
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def upload(
    client: httpx.Client, headers: dict[str, str], study_id: int, index: int, *, copies: int = 1
) -> int:
    item = demo_stimuli()[index]
    with item.image_path.open("rb") as image:
        r = client.post(
            f"/api/v1/studies/{study_id}/stimuli",
            headers=headers,
            files={"image": (item.image_path.name, image, "image/jpeg")},
            data={"name": item.name, "page_key": item.name, "version": "1"},
        )
    assert r.status_code == 201, r.text
    stimulus_id = int(r.json()["id"])
    upload_rows(client, headers, stimulus_id, item.fixations_csv_path, copies=copies)
    return stimulus_id


def upload_rows(
    client: httpx.Client, headers: dict[str, str], stimulus_id: int, path: Path, *, copies: int
) -> httpx.Response:
    # the real demo fixations, repeated (later in time, and under up to ten new
    # participant ids each) to make a heavier map
    with path.open() as file:
        rows = list(csv.DictReader(file))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for copy in range(copies):
        for row in rows:
            shifted = float(row["t"]) + 100_000.0 * (copy // 10)
            writer.writerow(
                {**row, "t": shifted, "participant": f"{row['participant']}-{copy % 10}"}
            )
    r = client.post(
        f"/api/v1/stimuli/{stimulus_id}/recordings",
        headers=headers,
        files={"file": (path.name, out.getvalue().encode(), "text/csv")},
    )
    assert r.status_code == 201, r.text
    return r


def finished(client: httpx.Client, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def done() -> bool:
        r = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        result.update(r.json())
        return result["status"] in ("done", "failed")

    wait_for(f"job {job_id}", done, polls=600)
    return result


def succeeded(log: str) -> int:
    return sum(1 for line in log.splitlines() if "gazemap.run_job" in line and "succeeded" in line)


def received(log: str) -> int:
    return sum(1 for line in log.splitlines() if "gazemap.run_job" in line and "received" in line)


def terminate_database_connections(cluster: LocalCluster) -> int:
    return int(
        psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :'db' AND pid <> pg_backend_pid()",
            db=cluster.state["database"],
        )
    )


def psql(sql: str, **variables: str) -> str:
    """Run ``sql`` on the test server with psql variables (``:'name'``), return the output."""
    args = [f"--set={k}={v}" for k, v in variables.items()]
    done = subprocess.run(
        ["psql", POSTGRES_URL.replace("+psycopg", ""), "-At", *args],
        input=sql,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.strip()


def test_the_local_cluster_scales_out_and_survives_failures(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    _tools()
    with local_cluster(tmp_path / "cluster") as cluster:
        state = cluster.state
        with cluster.nginx() as front, cluster.api(0) as a, cluster.api(1) as b:
            headers = sign_in(front, state)
            r = front.post("/api/v1/studies", headers=headers, json={"name": "cluster study"})
            assert r.status_code == 201, r.text
            study_id = int(r.json()["id"])
            first = upload(front, headers, study_id, 0)
            second = upload(front, headers, study_id, 1)

            # 1. computed through instance A, a cache hit through instance B (shared Redis tier)
            url = f"/api/v1/stimuli/{first}/heatmap?level=2&bandwidth=33"
            through_a = a.get(url, headers={**headers, "X-Request-ID": "cluster-a-1"})
            through_b = b.get(url, headers=headers)
            assert through_a.status_code == through_b.status_code == 200
            assert through_a.headers["x-gazemap-cache"] == "miss"
            assert through_b.headers["x-gazemap-cache"] == "hit-redis"
            assert through_a.content == through_b.content
            # the id reached instance A's log (written as the response completes)
            wait_for("A's access line", lambda: "cluster-a-1" in cluster.log("api-1"))
            via_nginx = front.get(url, headers={**headers, "X-Request-ID": "edge-77"})
            assert via_nginx.headers["x-gazemap-cache"].startswith("hit")
            assert via_nginx.headers["x-request-id"] == "edge-77"
            wait_for("nginx's access line", lambda: "edge-77" in cluster.log("nginx-access"))

            # 2. a bulk job is split into sub-jobs that both workers execute
            before = [succeeded(cluster.log(w["name"])) for w in state["workers"]]
            body = {
                "param_sets": [
                    {"bandwidth": bw, "level": 1, "method": "exact"}
                    for bw in (21, 25, 29, 37, 41, 45)
                ]
            }
            r = front.post(f"/api/v1/studies/{study_id}/prerender", headers=headers, json=body)
            assert r.status_code == 202, r.text
            assert finished(front, headers, r.json()["id"])["status"] == "done"

            def ran() -> list[int]:
                after = [succeeded(cluster.log(w["name"])) for w in state["workers"]]
                return [x - y for x, y in zip(after, before, strict=True)]

            # the parent and 2 stimuli x 6 parameter sets; Celery logs after the job ends
            wait_for("every sub-job's log line", lambda: sum(ran()) >= 13)
            assert all(n > 0 for n in ran()), ran()

            # 3. SIGKILL the worker process running a job: the job is redelivered and completes
            heavy = upload(front, headers, study_id, 2, copies=12)
            seen = [received(cluster.log(w["name"])) for w in state["workers"]]
            r = front.get(
                f"/api/v1/stimuli/{heavy}/heatmap?level=0&method=exact&bandwidth=180&async=true",
                headers=headers,
            )
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            busy: list[str] = []

            def started() -> bool:
                for w, n in zip(state["workers"], seen, strict=True):
                    if received(cluster.log(w["name"])) > n:
                        busy.append(w["name"])
                return bool(busy)

            wait_for("a worker to take the heavy job", started)
            main_pid = cluster.pid(busy[0])
            assert main_pid is not None
            pool = children_of(main_pid)
            assert pool, f"{busy[0]} has no pool process"
            job = front.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
            assert job["status"] in ("queued", "running")  # killed mid-job, not after
            for pid in pool:
                os.kill(pid, signal.SIGKILL)
            job = finished(front, headers, job_id)
            assert job["status"] == "done", job
            assert job["result_url"]

            # 4. PostgreSQL "restart": committed uploads survive and both instances reconnect
            extra = upload_rows(
                front, headers, second, demo_stimuli()[1].fixations_csv_path, copies=2
            )
            ids = {rec["id"] for rec in extra.json()["recordings"]}
            assert terminate_database_connections(cluster) >= 1
            for client in (a, b):
                listed = client.get(
                    f"/api/v1/stimuli/{second}/recordings?limit=200", headers=headers
                )
                assert listed.status_code == 200, listed.text
                assert ids <= {rec["id"] for rec in listed.json()["items"]}
                assert client.get("/readyz").status_code == 200

            # 5. Redis down: heat maps still answer (computed), /readyz says what is wrong
            cluster.control("kill", "redis")
            wait_for("redis to stop", lambda: not _listening(state["redis"]["port"]))
            cold = a.get(f"/api/v1/stimuli/{first}/heatmap?level=2&bandwidth=51", headers=headers)
            assert cold.status_code == 200, cold.text
            assert cold.headers["x-gazemap-cache"] in ("miss", "error")
            ready = b.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["redis"] != "ok"
            assert ready.json()["checks"]["database"] == "ok"
            cluster.control("revive", "redis")
            wait_for("redis to answer again", lambda: _listening(state["redis"]["port"]))
            wait_for("readiness", lambda: b.get("/readyz").status_code == 200)
        metrics = httpx.get(f"{state['apis'][0]['url']}/metrics", timeout=30).text
        assert 'gazemap_jobs{state="done"}' in metrics
    assert (tmp_path / "cluster" / "state.json").exists()
    assert '"status": "stopped"' in (tmp_path / "cluster" / "state.json").read_text()
    left = psql("SELECT count(*) FROM pg_database WHERE datname = :'db'", db=state["database"])
    assert left == "0"


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
