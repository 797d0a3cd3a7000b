"""In-process cost of one cached heat-map request through the whole ASGI app, printed.

No network: :class:`fastapi.testclient.TestClient` drives the app built by
:func:`gazemap.api.app.create_app` over a temporary SQLite database (or
``--database-url``). One OSIE demo stimulus with its real fixations is uploaded by a
researcher; a viewer member then asks the same overlay PNG again and again (answered
from the memory tier). Results go to stderr (stdout carries the request log). Prints wall and CPU time per request. Run:

    .venv/bin/python bench/cached_request.py               # a few seconds
    .venv/bin/python bench/cached_request.py --profile     # and a cProfile of the loop
"""

# ruff: noqa: S106  (users with a placeholder hash: they never sign in, tokens are minted)
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from gazemap.api.app import create_app
from gazemap.api.tokens import encode_token
from gazemap.config import CacheSettings, Settings
from gazemap.demo import demo_stimuli
from gazemap.service.context import ServiceContext
from gazemap.store.migrate import upgrade
from gazemap.store.models import User


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(
            environment="test",
            home=home,
            database_url=url,
            cache=CacheSettings(memory_bytes=64 * 2**20, disk_bytes=64 * 2**20),
        )
        ctx = ServiceContext.from_settings(settings)
        headers = {}
        with ctx.session() as session:
            for role in ("researcher", "viewer"):
                user = User(username=f"{role}-{time.time_ns()}", password_hash="x", role=role)
                session.add(user)
                session.flush()
                token, _ = encode_token(settings, user_id=user.id, typ="access")
                headers[role] = ({"Authorization": f"Bearer {token}"}, user.username)
        with TestClient(create_app(settings, context=ctx)) as client:
            rh = headers["researcher"][0]
            r = client.post("/api/v1/studies", headers=rh, json={"name": "bench"})
            assert r.status_code == 201, r.text
            study = r.json()["id"]
            r = client.post(
                f"/api/v1/studies/{study}/members",
                headers=rh,
                json={"username": headers["viewer"][1], "role": "viewer"},
            )
            assert r.status_code == 200, r.text
            item = demo_stimuli()[0]
            with item.image_path.open("rb") as image:
                r = client.post(
                    f"/api/v1/studies/{study}/stimuli",
                    headers=rh,
                    files={"image": (item.image_path.name, image, "image/jpeg")},
                    data={"name": item.name, "page_key": item.name, "version": "1"},
                )
            assert r.status_code == 201, r.text
            stimulus = r.json()["id"]
            with item.fixations_csv_path.open("rb") as csv:
                r = client.post(
                    f"/api/v1/stimuli/{stimulus}/recordings",
                    headers=rh,
                    files={"file": (item.fixations_csv_path.name, csv, "text/csv")},
                )
            assert r.status_code in (200, 201), r.text
            url_ = f"/api/v1/stimuli/{stimulus}/heatmap?level=1&bandwidth=30&overlay=false"
            vh = headers["viewer"][0]
            first = client.get(url_, headers=vh)
            assert first.status_code == 200, first.text
            for _ in range(50):
                client.get(url_, headers=vh)

            last = first

            def loop() -> None:
                nonlocal last
                for _ in range(args.requests):
                    last = client.get(url_, headers=vh)
                    assert last.status_code == 200

            wall, cpu = time.perf_counter(), time.process_time()
            if args.profile:
                profiler = cProfile.Profile()
                profiler.runcall(loop)
            else:
                loop()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(
                f"cached overlay PNG, viewer, {args.requests} requests: "
                f"{wall / args.requests * 1e3:.2f} ms wall, {cpu / args.requests * 1e3:.2f} ms CPU "
                f"per request (X-Gazemap-Cache: {last.headers.get('X-Gazemap-Cache')})",
                file=sys.stderr,
            )
            if args.profile:
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        ctx.close()


if __name__ == "__main__":
    main()
