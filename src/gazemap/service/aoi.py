"""Metrics of areas of interest (AOIs) over the fixations of a slice: :func:`aoi_metrics`.

For every selected recording, the fixations (stored, or detected from samples with
``params.detector``) inside ``params``' time window are taken in time order, and each
AOI (:class:`~gazemap.service.aoi_geometry.AOI`) is scored per participant:

- **time to first fixation** (TTFF): the start of the first fixation inside, in ms from
  the start of the recording (the earliest over the participant's recordings);
- **dwell time**: the sum of the durations of the fixations inside (within the window);
- **fixation count**: the fixations inside;
- **entries** and **revisits**: an entry is a run of consecutive fixations inside that
  follows a fixation outside (or starts the recording); revisits are the entries after
  the first.

Then aggregated over the participants of the slice (see :class:`AOIMetricsOut`).
``params``' kernel, bandwidth, grid, weight and normalisation do not matter here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from gazemap.service import policy
from gazemap.service.actor import Actor
from gazemap.service.aoi_geometry import AOI, contains, validate_aois
from gazemap.service.auditing import audited
from gazemap.service.authorise import authorised_stimulus
from gazemap.service.context import ServiceContext
from gazemap.service.params import HeatmapParams
from gazemap.service.points import load_rows, recording_for
from gazemap.store.slices import Slice

__all__ = ["AOI", "AOIMetricsOut", "aoi_metrics"]


class AOIMetricsOut(BaseModel):
    """Fixation metrics of one AOI over the participants of a slice."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    name: str = Field(description="The AOI's name.")
    participants: int = Field(description="Participants with a recording in the slice.")
    participants_entered: int = Field(description="Participants with a fixation inside.")
    share_entered: float = Field(
        description="participants_entered / participants, in [0, 1]; 0 for an empty slice."
    )
    ttff_mean_ms: float | None = Field(
        description="Mean time to first fixation inside, ms from recording start, over participants who entered; null if none did."
    )
    ttff_median_ms: float | None = Field(
        description="Median time to first fixation inside, over participants who entered; null if none did."
    )
    dwell_ms_total: float = Field(description="Sum of the durations of fixations inside, ms.")
    dwell_ms_mean: float = Field(
        description="Dwell time per participant of the slice (those who never entered count 0), ms."
    )
    dwell_ms_mean_entered: float | None = Field(
        description="Dwell time per participant who entered, ms; null if none did."
    )
    fixations_total: int = Field(description="Fixations inside.")
    fixations_mean: float = Field(description="Fixations inside per participant of the slice.")
    revisits_total: int = Field(description="Entries after each participant's first entry.")
    revisits_mean_entered: float | None = Field(
        description="Revisits per participant who entered; null if none did."
    )


@dataclass
class _Tally:
    """One participant's numbers for one AOI."""

    first: float = float("inf")
    dwell: float = 0.0
    count: int = 0
    entries: int = 0


def _summarise(name: str, tallies: list[_Tally]) -> AOIMetricsOut:
    n = len(tallies)
    entered = [t for t in tallies if t.count > 0]
    ttff = np.array([t.first for t in entered], dtype=np.float64)
    dwell_total = float(sum(t.dwell for t in tallies))
    fixations_total = int(sum(t.count for t in tallies))
    revisits = int(sum(t.entries - 1 for t in entered))
    return AOIMetricsOut(
        name=name,
        participants=n,
        participants_entered=len(entered),
        share_entered=len(entered) / n if n else 0.0,
        ttff_mean_ms=float(ttff.mean()) if entered else None,
        ttff_median_ms=float(np.median(ttff)) if entered else None,
        dwell_ms_total=dwell_total,
        dwell_ms_mean=dwell_total / n if n else 0.0,
        dwell_ms_mean_entered=float(sum(t.dwell for t in entered)) / len(entered)
        if entered
        else None,
        fixations_total=fixations_total,
        fixations_mean=fixations_total / n if n else 0.0,
        revisits_total=revisits,
        revisits_mean_entered=revisits / len(entered) if entered else None,
    )


@audited("heatmap.aoi", target="stimulus:{stimulus_id}", keep=("aois", "slice", "params"))
def aoi_metrics(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    aois: list[AOI],
    slice: Slice,
    params: HeatmapParams,
) -> list[AOIMetricsOut]:
    """Time to first fixation, dwell time, fixation count, revisits and reach of each AOI.

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        The caller; must be allowed to view the stimulus and the slice.
    stimulus_id:
        The stimulus the AOIs are drawn on.
    aois:
        Up to :data:`~gazemap.service.aoi_geometry.MAX_AOIS` rectangles or polygons with
        unique names, inside the stimulus.
    slice:
        Participants and recordings.
    params:
        ``detector`` (for sample recordings) and ``t_from``/``t_to`` are read;
        fixations are used whatever ``params.points`` says.

    Returns
    -------
    list of AOIMetricsOut
        One per AOI, in the given order.

    Raises
    ------
    NotFoundError
        No such stimulus, or not visible to the caller.
    InvalidInputError
        An AOI is invalid (the message names it).
    """
    view = authorised_stimulus(ctx, actor, stimulus_id, slice=slice)
    validate_aois(aois, width=view.width, height=view.height)
    fixation_params = params.model_copy(update={"points": "fixations"})
    with ctx.session() as session:
        rows = load_rows(session, stimulus_id=view.id, slice=slice)
    people: dict[int, list[_Tally]] = {}
    contributors: set[int] = set()
    arrays = ctx.arrays
    for row in rows:
        tallies = people.setdefault(row.participant_id, [_Tally() for _ in aois])
        rec = recording_for(ctx.blobs, arrays, row, params=fixation_params)
        keep = rec.valid
        t, x, y = rec.t[keep], rec.x[keep], rec.y[keep]
        if t.size:
            contributors.add(row.participant_id)
        duration = rec.duration[keep] if rec.duration is not None else np.zeros_like(t)
        order = np.argsort(t, kind="stable")
        t, x, y, duration = t[order], x[order], y[order], duration[order]
        for aoi, tally in zip(aois, tallies, strict=True):
            inside = contains(aoi, x, y)
            count = int(np.count_nonzero(inside))
            if count == 0:
                continue
            tally.count += count
            tally.dwell += float(duration[inside].sum())
            tally.first = min(tally.first, float(t[int(np.argmax(inside))]))
            tally.entries += int(inside[0]) + int(np.count_nonzero(inside[1:] & ~inside[:-1]))
    # k counts people with fixations left after the time window, as for heat maps
    policy.enforce_contributors(ctx, actor, view.study_id, {"contributors": len(contributors)})
    per_aoi = [[tallies[i] for tallies in people.values()] for i in range(len(aois))]
    return [_summarise(aoi.name, tallies) for aoi, tallies in zip(aois, per_aoi, strict=True)]
