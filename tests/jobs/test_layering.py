"""``gazemap.jobs`` sits below the service layer and builds nothing at import."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    code = f"import sys\n{statement}\nprint(','.join(m for m in {modules!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in run.stdout.strip().split(",") if m]


def test_importing_jobs_loads_neither_the_service_nor_celery() -> None:
    heavy = ("gazemap.service", "gazemap.api", "celery", "kombu", "fastapi")
    assert loaded_after("import gazemap.jobs", heavy) == []


def test_registering_the_service_kinds_does_not_load_celery() -> None:
    statement = (
        "import gazemap.service.jobs\n"
        "from gazemap.jobs import registered_kinds\n"
        "assert {'heatmap', 'prerender_study'} <= set(registered_kinds())"
    )
    assert loaded_after(statement, ("celery", "kombu", "fastapi")) == []
