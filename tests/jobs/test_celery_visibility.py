"""The broker's visibility timeout comes from the settings, and unsafe values are refused.

With late acknowledgement Redis hands a message to another worker once the visibility
timeout passes without an acknowledgement, even while the first worker still runs the
job; these tests check that ``GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS`` reaches the
Redis transport of a real connection, and that values a job or a retry could outlast are
refused before anything starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from gazemap.config import JobSettings, Settings
from gazemap.errors import InvalidInputError
from gazemap.jobs import create_celery_app
from gazemap.jobs.celery_runner import RETRY_MAX_DELAY, run_worker

pytestmark = pytest.mark.redis

GAZEMAP_SCRIPT = Path(sys.executable).with_name("gazemap")


def celery_settings(home: Path, redis_url: str, *, visibility: int) -> Settings:
    """Celery-backend settings on the test Redis with this visibility timeout."""
    return Settings(
        environment="test",
        home=home,
        redis_url=redis_url,
        jobs=JobSettings(backend="celery", visibility_timeout_seconds=visibility),
    )


def test_the_default_is_six_hours() -> None:
    assert JobSettings().visibility_timeout_seconds == 6 * 3600


def test_the_setting_is_read_from_its_variable(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS", "5400")
    assert Settings().jobs.visibility_timeout_seconds == 5400
    monkeypatch.setenv("GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValidationError, match="visibility_timeout_seconds"):
        Settings()


def test_the_redis_transport_uses_the_configured_timeout(tmp_path: Path, redis_url: str) -> None:
    app = create_celery_app(celery_settings(tmp_path, redis_url, visibility=5400), queue="vt-test")
    try:
        assert app.conf.broker_transport_options == {"visibility_timeout": 5400}
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            # the channel is what restores unacknowledged messages after this many seconds
            assert connection.default_channel.visibility_timeout == 5400
    finally:
        app.close()


def test_a_timeout_a_retry_could_outlast_is_refused(tmp_path: Path, redis_url: str) -> None:
    too_short = int(RETRY_MAX_DELAY)
    with pytest.raises(InvalidInputError, match="GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS") as err:
        create_celery_app(celery_settings(tmp_path, redis_url, visibility=too_short))
    assert f"got {too_short}" in str(err.value)
    assert err.value.field == "jobs.visibility_timeout_seconds"
    app = create_celery_app(celery_settings(tmp_path, redis_url, visibility=too_short + 1))
    assert app.conf.broker_transport_options["visibility_timeout"] == too_short + 1
    app.close()


@pytest.mark.parametrize(
    "extra_args",
    [["--time-limit=3600"], ["--soft-time-limit", "7200"], ["--time-limit", "86400.5"]],
)
def test_a_worker_time_limit_not_below_the_timeout_is_refused(
    tmp_path: Path, redis_url: str, extra_args: list[str]
) -> None:
    app = create_celery_app(celery_settings(tmp_path, redis_url, visibility=3600))
    try:
        with pytest.raises(InvalidInputError, match="is 3600 s: set the visibility timeout"):
            run_worker(app, extra_args=extra_args)
    finally:
        app.close()


def test_a_time_limit_in_the_app_configuration_is_refused_too(
    tmp_path: Path, redis_url: str
) -> None:
    app = create_celery_app(celery_settings(tmp_path, redis_url, visibility=3600))
    app.conf.task_soft_time_limit = 3600
    try:
        with pytest.raises(InvalidInputError, match="task_soft_time_limit is 3600 s"):
            run_worker(app)
    finally:
        app.close()


def test_gazemap_worker_refuses_to_start_with_a_short_timeout(
    tmp_path: Path, redis_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZEMAP_")}
    env.update(
        GAZEMAP_ENVIRONMENT="test",
        GAZEMAP_HOME=str(tmp_path / "home"),
        GAZEMAP_REDIS_URL=redis_url,
        GAZEMAP_JOBS__BACKEND="celery",
        GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS="60",
    )
    done = subprocess.run(
        [str(GAZEMAP_SCRIPT), "worker", "--queue", "never-consumed", "--pool", "solo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS must be more than 120 s" in done.stderr
    assert "Traceback" not in done.stderr
