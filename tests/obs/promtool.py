"""Running Prometheus's ``promtool`` (Debian package ``prometheus``) from tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import unavailable


def promtool() -> str:
    """Path of ``promtool``; skips the test (fails it under CI) when it is not installed."""
    path = shutil.which("promtool")
    if path is None:
        unavailable("promtool not found; install Debian's 'prometheus' package")
        raise AssertionError("unreachable")  # unavailable() always raises
    return path


def check_metrics(text: str) -> subprocess.CompletedProcess[str]:
    """``promtool check metrics`` on an exposition (its lint problems are in stdout/stderr)."""
    return subprocess.run(
        [promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )


def check_rules(path: Path) -> subprocess.CompletedProcess[str]:
    """``promtool check rules FILE``."""
    return subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )


def run_rule_tests(path: Path) -> subprocess.CompletedProcess[str]:
    """``promtool test rules FILE`` (unit tests of alert rules)."""
    return subprocess.run(
        [promtool(), "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
