"""Importing the store connects to nothing and loads neither boto3 nor Alembic."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_store_is_light() -> None:
    code = (
        "import sys, gazemap.store; "
        "print(sorted(m for m in ('boto3', 'botocore', 'alembic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
