"""From selected recording rows to the points and weights of one heat map.

Steps, per recording: decode its gaze blob (through the :class:`~gazemap.service.arrays.ArrayCache`),
detect fixations when fixations are asked for and the recording holds raw samples
(cached too, per detector), cut the time window (:func:`gazemap.gaze.window`), and weigh
each valid point (:func:`gazemap.gaze.weights_for`). Points are ``(n, 2)`` float64
``(x, y)`` in stimulus px, origin top-left, y down, as everywhere in gazemap.

Participant normalisation is done here, as weights: with :math:`P` participants who have
any weight, participant :math:`p`'s points get :math:`w_i / (P\\,W_p)` where
:math:`W_p = \\sum_{i \\in p} w_i`. The KDE is linear in the weights, so one
:func:`gazemap.kde.density` call over all points then equals the average of the
:math:`P` per-participant densities, each integrating to 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from gazemap.gaze import Recording, ScreenGeometry, detect_fixations, weights_for, window
from gazemap.service.arrays import ArrayCache, recording_nbytes
from gazemap.service.params import HeatmapParams
from gazemap.store.blobs import BlobStore
from gazemap.store.codec import decode_recording
from gazemap.store.queries import select_recordings
from gazemap.store.slices import Slice

__all__ = ["GazePoints", "RecordingRow", "gather", "load_rows", "recording_for"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RecordingRow:
    """What the pipeline needs from one ``recordings`` row, detached from the session."""

    id: int
    participant_id: int
    kind: str
    sample_count: int
    gaze_key: str
    sampling_rate: float | None
    screen: ScreenGeometry


def load_rows(session: Session, *, stimulus_id: int, slice: Slice) -> list[RecordingRow]:
    """The rows :func:`gazemap.store.queries.select_recordings` selects, as plain values.

    Parameters
    ----------
    session:
        Open session.
    stimulus_id:
        Stimulus, already authorised by the caller.
    slice:
        Filters.

    Returns
    -------
    list of RecordingRow
        In the query's order (participant, start time, id).
    """
    return [
        RecordingRow(
            id=r.id,
            participant_id=r.participant_id,
            kind=r.kind,
            sample_count=r.sample_count,
            gaze_key=r.gaze_key,
            sampling_rate=r.sampling_rate,
            screen=ScreenGeometry(
                width_px=r.screen_width_px,
                height_px=r.screen_height_px,
                width_mm=r.screen_width_mm,
                height_mm=r.screen_height_mm,
                distance_mm=r.viewing_distance_mm,
            ),
        )
        for r in select_recordings(session, stimulus_id=stimulus_id, slice=slice)
    ]


def _decoded(blobs: BlobStore, arrays: ArrayCache, row: RecordingRow) -> Recording:
    def load() -> tuple[Recording, int]:
        rec = decode_recording(blobs.get(row.gaze_key))
        return rec, recording_nbytes(rec)

    raw: Recording = arrays.get_or_load(("gaze", row.gaze_key), load)
    # the blob is content-addressed and may be shared by rows: their metadata goes on
    # a shallow copy (no array is copied)
    return replace(raw, sampling_rate=row.sampling_rate, screen=row.screen)


def recording_for(
    blobs: BlobStore, arrays: ArrayCache, row: RecordingRow, *, params: HeatmapParams
) -> Recording:
    """One recording's gaze as the parameters want it: samples or fixations, windowed.

    Parameters
    ----------
    blobs:
        Where the gaze blob lives.
    arrays:
        Cache of decoded recordings and detected fixations.
    row:
        The recording.
    params:
        ``points``, ``detector``, ``t_from`` and ``t_to`` are read.

    Returns
    -------
    Recording
        Shared with the cache where nothing was cut: do not modify its arrays.
    """
    rec = _decoded(blobs, arrays, row)
    if params.points == "fixations" and rec.kind == "samples":
        key = ("fixations", row.gaze_key, params.detector, row.sampling_rate, row.screen)
        source = rec

        def detect() -> tuple[Recording, int]:
            found = detect_fixations(source, method=params.detector)
            return found, recording_nbytes(found)

        rec = arrays.get_or_load(key, detect)
    if params.t_from is not None or params.t_to is not None:
        rec = window(rec, t_from=params.t_from, t_to=params.t_to)
    return rec


@dataclass(frozen=True)
class GazePoints:
    """The points of one heat map and what they stand for.

    Attributes
    ----------
    points:
        ``(n, 2)`` float64 stimulus px.
    weights:
        ``(n,)`` float64, non-negative; participant-normalised when asked for.
    participant_index:
        ``(n,)`` int index into ``participant_ids`` of each point's participant.
    participant_ids:
        Distinct participant ids of the selected recordings, in row order.
    recordings:
        Number of selected recordings.
    """

    points: FloatArray
    weights: FloatArray
    participant_index: npt.NDArray[np.intp]
    participant_ids: tuple[int, ...]
    recordings: int

    @property
    def n_points(self) -> int:
        """Number of points."""
        return int(self.points.shape[0])

    def summary(self) -> dict[str, Any]:
        """Counts for a heat map's metadata."""
        return {
            "participants": len(self.participant_ids),
            "recordings": self.recordings,
            "points": self.n_points,
        }


def gather(
    blobs: BlobStore, arrays: ArrayCache, rows: list[RecordingRow], *, params: HeatmapParams
) -> GazePoints:
    """Points and weights of the selected recordings under ``params``.

    Parameters
    ----------
    blobs, arrays:
        As for :func:`recording_for`.
    rows:
        Selected recordings.
    params:
        ``points``, ``detector``, window, ``weight`` and ``normalize`` are read.

    Returns
    -------
    GazePoints
        Concatenated once, in row order.
    """
    ids: dict[int, int] = {}
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    ws: list[FloatArray] = []
    owners: list[npt.NDArray[np.intp]] = []
    for row in rows:
        index = ids.setdefault(row.participant_id, len(ids))
        rec = recording_for(blobs, arrays, row, params=params)
        m = rec.valid
        all_valid = bool(m.all())
        xs.append(rec.x if all_valid else rec.x[m])
        ys.append(rec.y if all_valid else rec.y[m])
        w = weights_for(rec, weight=params.weight)
        ws.append(w)
        owners.append(np.full(w.shape[0], index, dtype=np.intp))
    n = sum(w.shape[0] for w in ws)
    points = np.empty((n, 2), dtype=np.float64)
    if n:
        # written column by column: one pass, no (n, 2) temporaries per recording
        np.concatenate(xs, out=points[:, 0])
        np.concatenate(ys, out=points[:, 1])
    weights = np.concatenate(ws) if ws else np.zeros(0)
    owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.intp)
    if params.normalize == "participant" and n:
        weights = participant_normalised(weights, owner, len(ids))
    return GazePoints(points, weights, owner, tuple(ids), len(rows))


def participant_normalised(
    weights: FloatArray, owner: npt.NDArray[np.intp], n_participants: int
) -> FloatArray:
    """Weights rescaled so that each participant with any weight holds ``1 / P`` of the total.

    Parameters
    ----------
    weights:
        ``(n,)`` non-negative weights.
    owner:
        ``(n,)`` participant index of each weight, in ``[0, n_participants)``.
    n_participants:
        Number of participants indexed.

    Returns
    -------
    numpy.ndarray
        ``(n,)``: :math:`w_i / (P\\,W_{p(i)})` with :math:`W_p` the participant's total and
        :math:`P` the number of participants whose total is positive; a participant
        with no weight (no point in the window) keeps zeros and does not count in
        :math:`P`.

    Examples
    --------
    >>> w = participant_normalised(np.array([1.0, 1.0, 1.0, 5.0]), np.array([0, 0, 0, 1]), 2)
    >>> [round(v, 4) for v in w.tolist()]
    [0.1667, 0.1667, 0.1667, 0.5]
    """
    totals = np.bincount(owner, weights=weights, minlength=n_participants)
    present = totals > 0
    count = int(np.count_nonzero(present))
    if count == 0:
        return weights
    scale = np.zeros_like(totals)
    scale[present] = 1.0 / (count * totals[present])
    return weights * scale[owner]
