"""nginx (``nginx -t`` on the rendered config), docker-compose and systemd files."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gazemap.config import Settings
from tests.conftest import unavailable
from tests.deploy.cluster import SCRIPT


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        unavailable("nginx not found; apt-get install nginx")
        raise AssertionError("unreachable")
    return found


def render(tmp_path: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "nginx-config", "--upstream", "127.0.0.1:18001",
         "--upstream", "127.0.0.1:18002", "--http-port", "18080", "--https-port", "18443",
         "--cert", str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem"),
         "--access-log", str(tmp_path / "access.log"), *extra],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_deploy_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    nginx = nginx_binary()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = render(tmp_path, "--static-dir", str(tmp_path))
    assert "server 127.0.0.1:18001 max_fails=3" in site
    assert "server 127.0.0.1:18002 max_fails=3" in site
    assert "api1:8000" not in site
    assert "location /bench-static/" in site
    (tmp_path / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"{k}_temp_path {tmp_path}/{k};\n"
        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\ninclude /etc/nginx/mime.types;\n{temps}include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_nginx_config_keeps_the_operational_settings(deploy: Path) -> None:
    conf = (deploy / "nginx/gazemap.conf").read_text()
    for directive in (
        "least_conn;",
        "listen 443 ssl http2;",
        "gzip on;",
        "client_max_body_size 512m;",
        "proxy_read_timeout 120s;",
        "proxy_set_header X-Request-ID $gazemap_request_id;",
        "proxy_request_buffering off;",
    ):
        assert directive in conf, directive


def test_a_changed_template_is_refused(tmp_path: Path, deploy: Path) -> None:
    # the renderer must fail loudly rather than start nginx on a half-substituted config
    broken = tmp_path / "repo"
    shutil.copytree(SCRIPT.parent, broken / "scripts")
    (broken / "deploy/nginx").mkdir(parents=True)
    text = (
        (deploy / "nginx/gazemap.conf")
        .read_text()
        .replace("listen 443 ssl http2;", "listen 8443 ssl;")
    )
    (broken / "deploy/nginx/gazemap.conf").write_text(text)
    done = subprocess.run(
        [sys.executable, str(broken / "scripts/cluster-local"), "nginx-config", "--upstream", "x:1",
         "--http-port", "1", "--https-port", "2", "--cert", "c", "--key", "k", "--access-log", "a"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "listen 443 ssl http2;" in done.stderr


def compose(deploy: Path) -> dict:  # type: ignore[type-arg]
    return dict(yaml.safe_load((deploy / "docker-compose.yml").read_text()))


def test_compose_has_the_scale_out_topology(deploy: Path) -> None:
    services = compose(deploy)["services"]
    assert set(services) >= {
        "api1", "api2", "worker1", "worker2", "postgres", "redis", "minio", "nginx",
        "prometheus", "grafana", "migrate",
    }  # fmt: skip
    for name in ("api1", "api2"):
        assert services[name]["command"][:2] == ["gazemap", "serve"]
        assert "healthcheck" in services[name]
        # the audit journal outlives the container (replayed after a crash)
        assert "audit-journal:/home/gazemap/var/audit-journal" in services[name]["volumes"]
    assert "mkdir -p /home/gazemap/var/audit-journal" in (deploy / "Dockerfile").read_text()
    for name in ("worker1", "worker2"):
        assert services[name]["command"][:2] == ["gazemap", "worker"]
    upstreams = re.findall(r"server (\w+):8000", (deploy / "nginx/gazemap.conf").read_text())
    assert sorted(upstreams) == ["api1", "api2"]
    targets = yaml.safe_load((deploy / "prometheus/prometheus.yml").read_text())
    scraped = targets["scrape_configs"][0]["static_configs"][0]["targets"]
    assert sorted(scraped) == ["api1:8000", "api2:8000"]


def test_compose_settings_are_valid_production_settings(
    deploy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = compose(deploy)["services"]["api1"]["environment"]
    needed = set(re.findall(r"\$\{(\w+)", (deploy / "docker-compose.yml").read_text()))
    example = (deploy / "gazemap.env.example").read_text()
    assert needed <= set(re.findall(r"^(\w+)=", example, re.M)), "document every variable"
    for name in [n for n in os.environ if n.startswith("GAZEMAP_")]:
        monkeypatch.delenv(name)
    for key, value in env.items():
        monkeypatch.setenv(key, re.sub(r"\$\{\w+[^}]*\}", "x" * 40, str(value)))
    settings = Settings()
    assert settings.environment == "production"
    assert settings.jobs.backend == "celery"
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.resolved_blob_url == "s3://gazemap/blobs"
    assert settings.log_format == "json"


def test_systemd_units_run_gazemap(deploy: Path) -> None:
    for unit, command in (("gazemap-api@.service", "serve"), ("gazemap-worker@.service", "worker")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(deploy / "systemd" / unit)
        service = parser["Service"]
        assert f"/bin/gazemap {command}" in service["ExecStart"]
        assert service["EnvironmentFile"] == "/etc/gazemap/gazemap.env"
        assert parser["Install"]["WantedBy"] == "multi-user.target"
    env = (deploy / "systemd/gazemap.env.example").read_text()
    assert "GAZEMAP_JOBS__BACKEND=celery" in env
