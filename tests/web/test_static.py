"""The web UI's files without a browser: catalogue in sync, CSP-safe code, mounting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gazemap.config import Settings
from gazemap.web import INDEX_HTML, STATIC_DIR
from gazemap.web.catalog import CATALOG_PATH, build_catalog, catalog_text

SCRIPTS = sorted((STATIC_DIR / "js").rglob("*.js"))


def test_catalog_file_matches_the_server_tables() -> None:
    # regenerate with `python -m gazemap.web.catalog` when this fails
    assert CATALOG_PATH.read_text(encoding="utf-8") == catalog_text()
    catalog = build_catalog()
    assert set(catalog["diverging"]) <= set(catalog["colormaps"])
    assert catalog["formats"][0] == "auto"
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for cs in catalog["colormaps"].values() for c in cs)


def test_index_has_no_inline_script_or_style() -> None:
    html = INDEX_HTML.read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""]  # one external module, no inline code
    assert 'type="module"' in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert "style=" not in html
    assert "<style" not in html


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(STATIC_DIR)))
def test_scripts_are_csp_safe(script: Path) -> None:
    code = script.read_text(encoding="utf-8")
    for forbidden in (
        "eval(",
        "new Function",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        'setAttribute("style"',
    ):
        assert forbidden not in code, f"{script.name} uses {forbidden}"


def test_module_imports_resolve() -> None:
    for script in SCRIPTS:
        for target in re.findall(r'from "(\.{1,2}/[^"]+)"', script.read_text(encoding="utf-8")):
            assert (script.parent / target).resolve().is_file(), f"{script.name} imports {target}"


def test_the_app_serves_the_ui_and_not_its_python(gazemap_home: Path) -> None:
    from gazemap.api.app import create_app
    from gazemap.store.migrate import upgrade

    settings = Settings(home=gazemap_home)
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    with TestClient(app) as client:
        index = client.get("/")
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        assert "static/js/main.js" in index.text
        assert index.headers["cache-control"] == "no-cache"
        module = client.get("/static/js/main.js")
        assert module.status_code == 200
        assert "javascript" in module.headers["content-type"]
        assert module.headers["cache-control"] == "no-cache"  # unversioned URLs: revalidate
        again = client.get("/static/js/main.js", headers={"If-None-Match": module.headers["etag"]})
        assert again.status_code == 304
        assert json.loads(client.get("/static/catalog.json").text) == build_catalog()
        for path in ("/static/../catalog.py", "/static/%2e%2e/__init__.py", "/catalog.py"):
            assert client.get(path).status_code == 404
        assert client.get("/openapi.json").status_code == 200  # the API still answers
        assert "/" not in client.get("/openapi.json").json()["paths"]
