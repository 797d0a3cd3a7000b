"""The bundled demo set: a few real OSIE images and the fixations 15 people made on them.

Files live in this package's ``data/`` folder (shipped in the wheel): for each stimulus a
JPEG and a generic gazemap CSV (``t,x,y,duration,participant,stimulus``; ms and stimulus
px, origin top-left), described by ``manifest.json``. ``NOTICE-OSIE.txt`` carries OSIE's
MIT licence. ``scripts/make_demo_data.py`` regenerates them; ``docs/demo-data.md`` tells
how ``t`` and the coordinates were derived.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from gazemap.errors import StorageError

__all__ = ["DemoStimulus", "demo_data_dir", "demo_stimuli"]


@dataclass(frozen=True)
class DemoStimulus:
    """One demo stimulus and its fixations.

    Attributes
    ----------
    name:
        Short id, also the CSV's ``stimulus`` column (``"osie-1023"``).
    title:
        One line saying what the picture shows.
    image_path:
        The JPEG.
    fixations_csv_path:
        The generic CSV of every participant's fixations on it.
    width, height:
        Image size in pixels.
    n_fixations, n_participants:
        Rows and distinct participants in the CSV.
    """

    name: str
    title: str
    image_path: Path
    fixations_csv_path: Path
    width: int
    height: int
    n_fixations: int
    n_participants: int


def demo_data_dir() -> Path:
    """The folder holding the demo files.

    Returns
    -------
    pathlib.Path
        ``gazemap/demo/data`` inside the installed package.

    Raises
    ------
    StorageError
        gazemap is installed in a way that keeps package data off the file system (a zip).
    """
    root = files(__name__) / "data"
    if not isinstance(root, Path):
        raise StorageError(
            f"the demo data must be on the file system, but gazemap is installed as {root!r}"
        )
    return root


def demo_stimuli() -> list[DemoStimulus]:
    """Every bundled demo stimulus, in the manifest's order.

    Returns
    -------
    list of DemoStimulus
        Paths point into the installed package; read them, never write them.

    Examples
    --------
    >>> stimuli = demo_stimuli()
    >>> [s.name for s in stimuli]
    ['osie-1010', 'osie-1020', 'osie-1023', 'osie-1038']
    >>> stimuli[0].image_path.suffix, stimuli[0].width, stimuli[0].height
    ('.jpg', 800, 600)
    """
    root = demo_data_dir()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return [
        DemoStimulus(
            name=entry["name"],
            title=entry["title"],
            image_path=root / entry["image"],
            fixations_csv_path=root / entry["fixations"],
            width=int(entry["width"]),
            height=int(entry["height"]),
            n_fixations=int(entry["n_fixations"]),
            n_participants=int(entry["n_participants"]),
        )
        for entry in manifest["stimuli"]
    ]
