"""The choices the web UI offers, written once to ``static/catalog.json``.

The front end has no build step, so the names it lists (kernels, colormaps, file
formats) and the colour stops of its legend live in a static JSON file. It is made
from the same tables the server validates against, and a test checks that the file
in the repository still equals :func:`build_catalog`, so the two cannot drift.

Regenerate after changing a kernel, colormap or reader::

    python -m gazemap.web.catalog
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CATALOG_PATH", "LEGEND_STOPS", "build_catalog", "catalog_text", "write_catalog"]

#: Where the front end reads the catalogue from.
CATALOG_PATH = Path(__file__).parent / "static" / "catalog.json"

#: Colour stops per colormap in the legend's CSS gradient; 17 stops keep every
#: colormap within a few levels of its 256-entry table when interpolated linearly.
LEGEND_STOPS = 17


def build_catalog() -> dict[str, Any]:
    """Kernels, bandwidth rules, colormaps (with legend stops) and upload formats.

    Returns
    -------
    dict
        ``kernels`` (canonical names, sorted), ``rules``, ``colormaps`` (name → list of
        ``#rrggbb`` stops from lowest to highest), ``diverging`` (colormaps a
        difference map accepts), ``formats`` (``auto`` and every reader name).

    Examples
    --------
    >>> catalog = build_catalog()
    >>> "gaussian" in catalog["kernels"], "RdBu_r" in catalog["diverging"]
    (True, True)
    >>> len(catalog["colormaps"]["inferno"])
    17
    """
    from gazemap.formats import FORMATS
    from gazemap.kde import KERNELS, RULES
    from gazemap.render import COLORMAPS, DIVERGING, colormap_lut

    colormaps: dict[str, list[str]] = {}
    for name in COLORMAPS:
        lut = colormap_lut(name)
        picks = [round(i * (len(lut) - 1) / (LEGEND_STOPS - 1)) for i in range(LEGEND_STOPS)]
        colormaps[name] = ["#{:02x}{:02x}{:02x}".format(*lut[i][:3]) for i in picks]
    return {
        # aliases (quartic = biweight, tophat = uniform) resolve to one canonical name
        "kernels": sorted({kernel.name for kernel in KERNELS.values()}),
        "rules": list(RULES),
        "colormaps": colormaps,
        "diverging": sorted(DIVERGING),
        "formats": ["auto", *FORMATS],
    }


def catalog_text() -> str:
    """:func:`build_catalog` as the exact text of ``catalog.json`` (sorted keys, newline)."""
    return json.dumps(build_catalog(), indent=1, sort_keys=True) + "\n"


def write_catalog(path: Path = CATALOG_PATH) -> Path:
    """Write :func:`catalog_text` to ``path`` and return it."""
    path.write_text(catalog_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_catalog())
