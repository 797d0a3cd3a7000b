"""gazemap.gaze stays a light, bottom-layer package."""

from __future__ import annotations

import subprocess
import sys


def test_importing_gaze_loads_no_web_database_or_reader_code() -> None:
    code = (
        "import sys, gazemap.gaze; "
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'gazemap.formats', 'scipy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
