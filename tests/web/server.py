"""A real gazemap server for the browser tests: CLI-made demo data, users and slices.

:func:`start_server` runs ``gazemap demo`` (migrations, admin, demo study) and
``gazemap users create`` in a fresh ``GAZEMAP_HOME``, starts ``gazemap serve`` on a free
port, waits for ``/healthz`` and then, through the HTTP API as the admin, shares the demo
study with a viewer and builds a second study whose participants have a gender and an
age (the bundled OSIE fixations, with those two columns added), so the demographic
filters really change the map. Version 2 of its page holds only the women's recordings,
for comparing layout versions.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gazemap.demo import demo_stimuli

BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "admin-pass-for-web-tests"
PASSWORDS = {"viewer1": "viewer-pass-for-web-tests", "researcher1": "researcher-pass-for-web"}
#: The gendered copy of the first demo stimulus's fixations: s01–s08 female, the rest
#: male; ages 20 + the participant's number minus one (s01 is 20, s15 is 34).
FEMALE = {f"s{i:02d}" for i in range(1, 9)}


@dataclass
class Server:
    """What the tests need to know about the running server."""

    base_url: str
    home: Path
    demo_study_id: int
    demo_stimulus_id: int
    slices_study_id: int
    slices_stimulus_id: int
    slices_v2_stimulus_id: int
    passwords: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(home: Path) -> dict[str, str]:
    """This environment without any ``GAZEMAP_*`` setting but ``GAZEMAP_HOME=home`` and loose sign-in limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZEMAP_")}
    env["GAZEMAP_HOME"] = str(home)
    # every test signs in through the form; the default limit (10 per account in five
    # minutes) is for people guessing passwords, not for a test suite
    env["GAZEMAP_SECURITY__LOGIN_ATTEMPTS_PER_ACCOUNT"] = "1000"
    env["GAZEMAP_SECURITY__LOGIN_ATTEMPTS_PER_IP"] = "1000"
    return env


def _cli(env: dict[str, str], *args: str, password: str | None = None) -> str:
    run_env = dict(env)
    if password is not None:
        run_env["GAZEMAP_NEW_PASSWORD"] = password
    done = subprocess.run(
        [str(BIN / "gazemap"), *args],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"gazemap {' '.join(args)} failed: {done.stdout}\n{done.stderr}")
    return done.stdout


def gendered_csv(*, only: str | None = None) -> bytes:
    """The first demo stimulus's real fixations with ``gender`` and ``age`` columns added.

    ``only`` keeps the rows of one gender. The ``stimulus`` column is dropped, so the rows
    belong to whichever stimulus the file is uploaded to.
    """
    source = demo_stimuli()[0].fixations_csv_path
    out = io.StringIO()
    with source.open(newline="") as handle:
        reader = csv.DictReader(handle)
        names = [n for n in reader.fieldnames or [] if n != "stimulus"] + ["gender", "age"]
        writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for row in reader:
            person = row["participant"]
            row.pop("stimulus", None)
            row["gender"] = "female" if person in FEMALE else "male"
            row["age"] = str(19 + int(person[1:]))
            if only is None or row["gender"] == only:
                writer.writerow(row)
    return out.getvalue().encode()


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gazemap serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gazemap serve did not answer /healthz within 60 s:\n{log.read_text()}")


def _populate(base_url: str) -> tuple[int, int, int, int, int]:
    demo = demo_stimuli()[0]
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=60) as api:
        token = api.post("/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
        token.raise_for_status()
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        studies = api.get("/studies").raise_for_status().json()["items"]
        demo_study = next(s for s in studies if s["name"].startswith("Demo"))
        stimuli = api.get(f"/studies/{demo_study['id']}/stimuli").raise_for_status().json()
        demo_stimulus = next(s for s in stimuli["items"] if s["name"] == demo.name)
        api.post(
            f"/studies/{demo_study['id']}/members", json={"username": "viewer1", "role": "viewer"}
        ).raise_for_status()
        slices = (
            api.post(
                "/studies",
                json={"name": "Slices", "description": "OSIE fixations with gender and age"},
            )
            .raise_for_status()
            .json()
        )
        for username, role in (("researcher1", "researcher"), ("viewer1", "viewer")):
            api.post(
                f"/studies/{slices['id']}/members", json={"username": username, "role": role}
            ).raise_for_status()
        stimulus = (
            api.post(
                f"/studies/{slices['id']}/stimuli",
                files={"image": (demo.image_path.name, demo.image_path.read_bytes(), "image/jpeg")},
                data={"name": demo.name, "page_key": demo.name, "version": "1"},
            )
            .raise_for_status()
            .json()
        )
        api.post(
            f"/stimuli/{stimulus['id']}/recordings",
            files={"file": ("osie-gendered.csv", gendered_csv(), "text/csv")},
            data={"format": "generic"},
        ).raise_for_status()
        version2 = (
            api.post(
                f"/studies/{slices['id']}/stimuli",
                files={"image": (demo.image_path.name, demo.image_path.read_bytes(), "image/jpeg")},
                data={"name": f"{demo.name} v2", "page_key": demo.name, "version": "2"},
            )
            .raise_for_status()
            .json()
        )
        api.post(
            f"/stimuli/{version2['id']}/recordings",
            files={"file": ("osie-women.csv", gendered_csv(only="female"), "text/csv")},
            data={"format": "generic"},
        ).raise_for_status()
    return demo_study["id"], demo_stimulus["id"], slices["id"], stimulus["id"], version2["id"]


@contextmanager
def start_server(home: Path) -> Iterator[Server]:
    """Set up ``home``, serve it, yield a :class:`Server`, and stop the process."""
    env = clean_env(home)
    _cli(env, "demo", password=ADMIN_PASSWORD)  # runs the migrations (gazemap db upgrade) first
    for username, password in PASSWORDS.items():
        role = username.rstrip("0123456789")
        _cli(env, "users", "create", username, "--role", role, password=password)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = home / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gazemap"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(base_url, process, log)
            ids = _populate(base_url)
            yield Server(
                base_url,
                home,
                *ids,
                passwords={"admin": ADMIN_PASSWORD, **PASSWORDS},
                log_path=log,
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
