"""The stimulus as the heat-map pipeline sees it: size, image, data version, geometry.

A :class:`StimulusView` is read once per request, inside the request's first
transaction, after the caller's right to see the stimulus was checked; nothing of the
session leaves with it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from PIL import Image
from sqlalchemy.orm import Session

from gazemap.errors import NotFoundError, StorageError
from gazemap.gaze import ScreenGeometry, default_geometry
from gazemap.kde import degrees_to_px
from gazemap.service.arrays import ArrayCache
from gazemap.store.blobs import BlobStore
from gazemap.store.models import Recording as RecordingRow
from gazemap.store.models import Stimulus, Study

__all__ = [
    "StimulusView",
    "bandwidth_px",
    "screen_geometry",
    "screen_of",
    "stimulus_picture",
]

GeometrySource = Literal["study", "recordings", "default"]


@dataclass(frozen=True)
class StimulusView:
    """A detached snapshot of one stimulus and its study's screen geometry."""

    id: int
    study_id: int
    width: int
    height: int
    image_key: str | None
    data_version: int
    study_screen: ScreenGeometry

    @classmethod
    def of(
        cls, session: Session, stimulus: Stimulus, *, study: Study | None = None
    ) -> StimulusView:
        """Snapshot ``stimulus`` and its study's screen from an open session.

        ``study`` saves a lookup when the caller has already loaded it.
        """
        if study is None:
            study = session.get(Study, stimulus.study_id)
        return cls(
            id=stimulus.id,
            study_id=stimulus.study_id,
            width=stimulus.width,
            height=stimulus.height,
            image_key=stimulus.image_key,
            data_version=stimulus.data_version,
            study_screen=ScreenGeometry() if study is None else screen_of(study),
        )


class ScreenColumns(Protocol):
    """Anything carrying the five screen columns: a Study, a Recording or a result row."""

    @property
    def screen_width_px(self) -> int | None: ...
    @property
    def screen_height_px(self) -> int | None: ...
    @property
    def screen_width_mm(self) -> float | None: ...
    @property
    def screen_height_mm(self) -> float | None: ...
    @property
    def viewing_distance_mm(self) -> float | None: ...


def screen_of(row: Study | RecordingRow | ScreenColumns) -> ScreenGeometry:
    """The screen geometry stored in a study's or a recording's five screen columns."""
    return ScreenGeometry(
        width_px=row.screen_width_px,
        height_px=row.screen_height_px,
        width_mm=row.screen_width_mm,
        height_mm=row.screen_height_mm,
        distance_mm=row.viewing_distance_mm,
    )


_FIELDS = ("width_px", "width_mm", "distance_mm")


def screen_geometry(
    study: ScreenGeometry, recordings: list[ScreenGeometry]
) -> tuple[ScreenGeometry, GeometrySource]:
    """The screen geometry that converts degrees to px, and where it came from.

    Parameters
    ----------
    study:
        The study's screen set-up (fields may be ``None``).
    recordings:
        The selected recordings' screens, in row order.

    Returns
    -------
    tuple
        The geometry with every field set, and ``"study"`` when the study gave the
        three fields the conversion needs (resolution, width in mm, distance),
        ``"recordings"`` when the first recording that gives all three was used, else
        ``"default"``: whatever either gave, completed by
        :func:`gazemap.gaze.default_geometry` (a 24-inch 1920 px screen at 65 cm).

    Examples
    --------
    >>> g, source = screen_geometry(ScreenGeometry(), [])
    >>> source, g.width_px, g.width_mm, g.distance_mm
    ('default', 1920, 531.0, 650.0)
    """

    def complete(g: ScreenGeometry) -> bool:
        return all(getattr(g, name) for name in _FIELDS)

    if complete(study):
        return default_geometry(study), "study"
    for screen in recordings:
        if complete(screen):
            return default_geometry(screen), "recordings"
    partial = study if any(getattr(study, name) for name in _FIELDS) else None
    if partial is None:
        partial = next((s for s in recordings if any(getattr(s, n) for n in _FIELDS)), None)
    return default_geometry(partial), "default"


def bandwidth_px(degrees: float, geometry: ScreenGeometry) -> float:
    """A bandwidth in degrees of visual angle as px (see :func:`gazemap.kde.degrees_to_px`)."""
    return degrees_to_px(
        degrees,
        screen_width_px=float(geometry.width_px or 0),
        screen_width_mm=float(geometry.width_mm or 0),
        distance_mm=float(geometry.distance_mm or 0),
    )


def stimulus_picture(blobs: BlobStore, arrays: ArrayCache, image_key: str) -> Image.Image:
    """The decoded stimulus image, cached in ``arrays`` by blob key.

    Raises
    ------
    StorageError
        The blob is missing or is not an image (the row exists, so the store is broken).
    """

    def load() -> tuple[Any, int]:
        try:
            data = blobs.get(image_key)
        except NotFoundError as exc:
            raise StorageError(
                f"stimulus image {image_key} is missing from the blob store"
            ) from exc
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                picture = img.copy()
        except (OSError, Image.DecompressionBombError) as exc:
            raise StorageError(f"stimulus image {image_key} cannot be decoded: {exc}") from exc
        return picture, picture.width * picture.height * len(picture.getbands())

    picture: Image.Image = arrays.get_or_load(("image", image_key), load)
    return picture
