"""``gazemap.service`` exports every use case lazily: importing it stays light."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import gazemap.service as service


def test_every_exported_name_resolves() -> None:
    assert sorted(service.__all__) == sorted(service._MODULE_OF)
    for name in service.__all__:
        value = getattr(service, name)
        assert not isinstance(value, types.ModuleType), name
        owner = value if isinstance(value, type) or callable(value) else type(value)
        assert owner.__module__.startswith("gazemap.service."), name
    assert "ingest_recordings" in dir(service)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="not_a_use_case"):
        service.not_a_use_case  # noqa: B018 (the attribute access is the test)


def test_import_is_light() -> None:
    code = (
        "import sys, gazemap.service, gazemap.service.actor; "
        "print(sorted(m for m in ('numpy', 'sqlalchemy', 'PIL', 'argon2', 'pydantic') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
