"""The database, account, data and worker commands: CliRunner, and one real subprocess run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gazemap.cli import app
from gazemap.config import Settings
from gazemap.service.accounts import authenticate
from gazemap.service.actor import SYSTEM
from gazemap.service.context import ServiceContext
from gazemap.service.recordings import list_recordings
from gazemap.service.stimuli import list_stimuli
from gazemap.service.studies import list_studies

GAZEMAP_SCRIPT = Path(sys.executable).with_name("gazemap")
EYELINK = "eyelinker-sr-asc-matrix/mono250.asc.gz"

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GAZEMAP_HOME after one ``gazemap demo``, to copy instead of loading again."""
    home = tmp_path_factory.mktemp("demo-template")
    result = runner.invoke(app, ["demo"], env={"GAZEMAP_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def demo_home(gazemap_home: Path, demo_template: Path) -> Path:
    """``gazemap_home`` holding a copy of the demo instance."""
    shutil.copytree(demo_template, gazemap_home, dirs_exist_ok=True)
    return gazemap_home


def context(home: Path) -> ServiceContext:
    return ServiceContext.from_settings(Settings(environment="test", home=home))


def login_of(output: str) -> tuple[str, str]:
    found = re.search(r"^login: (\S+) / (.+)$", output, flags=re.MULTILINE)
    assert found, output
    return found.group(1), found.group(2)


def test_db_upgrade_creates_the_database_under_gazemap_home(gazemap_home: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (gazemap_home / "gazemap.db").is_file()
    assert re.search(r"database at revision \w+ \(sqlite:///", result.stdout)
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output


def test_users_create_takes_the_password_from_the_environment(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("GAZEMAP_NEW_PASSWORD", "a long password")
    result = runner.invoke(app, ["users", "create", "ada", "--role", "researcher"])
    assert result.exit_code == 0, result.output
    assert "created user 'ada'" in result.stdout
    assert "role researcher" in result.stdout
    ctx = context(gazemap_home)
    try:
        actor = authenticate(ctx, username="ada", password="a long password")
    finally:
        ctx.close()
    assert actor.role == "researcher"
    listed = runner.invoke(app, ["users", "list"])
    assert re.search(r"^\d+\tada\tresearcher$", listed.stdout, flags=re.MULTILINE)


def test_users_create_prompts_twice_without_the_variable(gazemap_home: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        app, ["users", "create", "bob"], input="prompted password\nprompted password\n"
    )
    assert result.exit_code == 0, result.output
    assert "prompted password" not in result.stdout  # hidden input is not echoed
    ctx = context(gazemap_home)
    try:
        assert authenticate(ctx, username="bob", password="prompted password").role == "viewer"
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["users", "create", "ada"], "a long password", "error: username 'ada' is taken"),
        (["users", "create", "eve"], "short", "error: password must"),
        (["users", "create", "eve", "--role", "god"], "a long password", "'god' is not one of"),
    ],
)
def test_users_create_errors_are_one_line_with_status_2(
    gazemap_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    password: str,
    message: str,
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("GAZEMAP_NEW_PASSWORD", "a long password")
    assert runner.invoke(app, ["users", "create", "ada"]).exit_code == 0
    monkeypatch.setenv("GAZEMAP_NEW_PASSWORD", password)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_demo_loads_the_bundled_data_once(gazemap_home: Path) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    user, password = login_of(first.stdout)
    assert user == "admin"
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "login:" not in second.stdout
    assert "admin user 'admin' exists" in second.stdout
    assert second.stdout.count("already loaded") == 4
    ctx = context(gazemap_home)
    try:
        assert authenticate(ctx, username="admin", password=password).role == "admin"
        (study,) = list_studies(ctx, actor=SYSTEM).items
        assert study.screen_width_px == 800
        assert study.viewing_distance_mm == 600
        stimuli = list_stimuli(ctx, actor=SYSTEM, study_id=study.id).items
        assert sorted(s.name for s in stimuli) == [
            "osie-1010",
            "osie-1020",
            "osie-1023",
            "osie-1038",
        ]
        assert all(s.participant_count == 15 for s in stimuli)
        assert all(s.recording_count == 15 for s in stimuli)
        assert all(s.data_version == 1 for s in stimuli)
    finally:
        ctx.close()


def test_import_prints_the_cleaning_report(demo_home: Path, real_data: Path) -> None:
    path = real_data / EYELINK
    result = runner.invoke(app, ["import", str(path), "--stimulus", "1", "--participant", "S1"])
    assert result.exit_code == 0, result.output
    assert f"{path}: 4 recordings imported" in result.stdout
    assert re.search(r"^rows: [\d,]+ read, [\d,]+ kept, \d+ dropped$", result.stdout, re.M)
    assert "note: screen 1024x768 differs from the stimulus 800x600" in result.stdout
    ctx = context(demo_home)
    try:
        rows = list_recordings(ctx, actor=SYSTEM, stimulus_id=1, limit=100, offset=0)
    finally:
        ctx.close()
    assert rows.total == 15 + 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "missing.csv", "--stimulus", "1"], "missing.csv"),
        (
            ["import", "{eyelink}", "--stimulus", "999", "--participant", "S1"],
            "stimulus 999 not found",
        ),
        (["import", "{eyelink}", "--stimulus", "1"], "participant"),
    ],
)
def test_import_errors_are_one_line_with_status_2(
    demo_home: Path, real_data: Path, args: list[str], message: str
) -> None:
    argv = [a.replace("{eyelink}", str(real_data / EYELINK)) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("error:")]
    assert message in line
    assert "Traceback" not in result.output


def test_worker_with_the_local_backend_says_none_is_needed(gazemap_home: Path) -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 0, result.output
    assert "no worker is needed" in result.stdout


def test_worker_with_celery_needs_a_redis_url(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEMAP_JOBS__BACKEND", "celery")
    result = runner.invoke(app, ["worker", "--concurrency", "0"])
    assert result.exit_code == 2
    assert "error: --concurrency must be >= 1, got 0" in result.output
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "error: the celery job backend needs GAZEMAP_REDIS_URL" in result.output


def test_serve_refuses_a_bad_job_queue_set_up_in_one_line_before_binding(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEMAP_JOBS__BACKEND", "celery")
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert result.output.startswith("error: the celery job backend needs GAZEMAP_REDIS_URL")
    monkeypatch.setenv("GAZEMAP_REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS", "10")
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "VISIBILITY_TIMEOUT_SECONDS must be more than 120 s" in result.output
    assert "Traceback" not in result.output


def test_bad_settings_and_unreachable_databases_are_one_line(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEMAP_JOBS__BACKEND", "bogus")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert result.output.startswith("error: invalid setting jobs.backend")
    monkeypatch.delenv("GAZEMAP_JOBS__BACKEND")
    monkeypatch.setenv("GAZEMAP_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    assert result.output.startswith("error: the database cannot be used: ")
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_installed_script_sets_up_an_instance_end_to_end(
    gazemap_home: Path, real_data: Path
) -> None:
    env = {**os.environ, "GAZEMAP_NEW_PASSWORD": "operator password"}

    def gazemap(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(GAZEMAP_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300
        )

    upgraded = gazemap("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    created = gazemap("users", "create", "operator", "--role", "admin")
    assert created.returncode == 0, created.stderr
    assert "created user 'operator'" in created.stdout
    first = gazemap("demo")
    assert first.returncode == 0, first.stderr
    assert login_of(first.stdout) == ("admin", "operator password")
    second = gazemap("demo")
    assert second.returncode == 0, second.stderr
    assert "login:" not in second.stdout
    assert second.stdout.count("already loaded") == 4
    imported = gazemap(
        "import", str(real_data / EYELINK), "--stimulus", "2", "--participant", "S9", "--age", "31"
    )
    assert imported.returncode == 0, imported.stderr
    assert "4 recordings imported" in imported.stdout
    assert imported.stderr == ""  # no progress bar noise off a terminal
