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

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from gazemap.errors import NotFoundError, StorageError
from gazemap.gaze import Recording, ScreenGeometry, detect_fixations, weights_for, window
from gazemap.service.arrays import ArrayCache, recording_nbytes
from gazemap.service.params import HeatmapParams
from gazemap.service.stimulus_view import screen_of
from gazemap.store.blobs import BlobStore
from gazemap.store.codec import decode_recording
from gazemap.store.queries import select_recordings
from gazemap.store.slices import Slice

__all__ = [
    "GazePoints",
    "RecordingRow",
    "gather",
    "load_rows",
    "participant_normalised",
    "prepared",
    "recording_for",
]

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
            screen=screen_of(r),
        )
        for r in select_recordings(session, stimulus_id=stimulus_id, slice=slice)
    ]


def _decoded(blobs: BlobStore, arrays: ArrayCache, row: RecordingRow) -> Recording:
    def load() -> tuple[Recording, int]:
        try:
            data = blobs.get(row.gaze_key)
        except NotFoundError as exc:
            # the row exists, so a missing blob is a broken store, not a bad request
            raise StorageError(
                f"gaze data of recording {row.id} ({row.gaze_key}) is missing from the blob store"
            ) from exc
        rec = decode_recording(data)
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
    participant_ids:
        Distinct participant ids of the selected recordings, in row order.
    per_recording:
        ``(recordings,)`` number of points each selected recording contributed.
    row_participant:
        ``(recordings,)`` index into ``participant_ids`` of each recording's participant.
    """

    points: FloatArray
    weights: FloatArray
    participant_ids: tuple[int, ...]
    per_recording: npt.NDArray[np.intp]
    row_participant: npt.NDArray[np.intp]

    @property
    def n_points(self) -> int:
        """Number of points."""
        return int(self.points.shape[0])

    @property
    def recordings(self) -> int:
        """Number of selected recordings."""
        return int(self.per_recording.shape[0])

    @property
    def participant_index(self) -> npt.NDArray[np.intp]:
        """``(n,)`` index into ``participant_ids`` of each point's participant."""
        return np.repeat(self.row_participant, self.per_recording)

    def summary(self) -> dict[str, Any]:
        """Counts for a heat map's metadata."""
        return {
            "participants": len(self.participant_ids),
            "recordings": self.recordings,
            "points": self.n_points,
        }


Prepared = tuple[FloatArray, FloatArray, FloatArray]


def prepared(
    blobs: BlobStore, arrays: ArrayCache, row: RecordingRow, *, params: HeatmapParams
) -> Prepared:
    """``(x, y, weights)`` of one recording's valid points under ``params``, cached.

    The cache key holds everything the result depends on (blob, row metadata, points,
    detector, window, weight), so requests that differ only in kernel, bandwidth, grid,
    normalisation or slice reuse it. Arrays are shared: do not modify them.
    """
    key = (
        "prepared",
        row.gaze_key,
        row.sampling_rate,
        row.screen,
        params.points,
        params.detector if params.points == "fixations" else None,
        params.t_from,
        params.t_to,
        params.weight,
    )

    def load() -> tuple[Prepared, int]:
        rec = recording_for(blobs, arrays, row, params=params)
        m = rec.valid
        copied = not bool(m.all())
        x = rec.x[m] if copied else rec.x
        y = rec.y[m] if copied else rec.y
        w = weights_for(rec, weight=params.weight)
        # x and y may be views of the cached recording, but they keep its columns alive
        # after that entry is evicted: charge them always, so the bound holds
        return (x, y, w), int(w.nbytes + x.nbytes + y.nbytes)

    value: Prepared = arrays.get_or_load(key, load)
    return value


def _workers(n_rows: int) -> int:
    # decoding inflates with zlib and numpy, which release the GIL: threads scale
    return max(1, min(n_rows, os.cpu_count() or 1, 8))


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
        Concatenated once, in row order. Recordings not yet in the array cache are
        loaded by a few threads at once.
    """
    ids: dict[int, int] = {}
    row_participant = np.array(
        [ids.setdefault(row.participant_id, len(ids)) for row in rows], dtype=np.intp
    )

    def one(row: RecordingRow) -> Prepared:
        return prepared(blobs, arrays, row, params=params)

    workers = _workers(len(rows))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gazemap-gather") as pool:
            parts = list(pool.map(one, rows))
    else:
        parts = [one(row) for row in rows]
    counts = np.array([p[2].shape[0] for p in parts], dtype=np.intp)
    n = int(counts.sum())
    points = np.empty((n, 2), dtype=np.float64)
    if n:
        # written column by column: one pass, no (n, 2) temporaries per recording
        np.concatenate([p[0] for p in parts], out=points[:, 0])
        np.concatenate([p[1] for p in parts], out=points[:, 1])
    weights = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
    gathered = GazePoints(points, weights, tuple(ids), counts, row_participant)
    if params.normalize == "participant" and n:
        weights = participant_normalised(weights, gathered.participant_index, len(ids))
        gathered = GazePoints(points, weights, tuple(ids), counts, row_participant)
    return gathered


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
