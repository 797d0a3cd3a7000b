"""What a heat map is made of: :class:`HeatmapParams` (the estimate) and :class:`RenderOptions`
(the picture), each with a canonical form for cache keys.

Two requests that mean the same map must share one cache key, however they were written:
parameter order, aliases (``quartic`` is ``biweight``), ``40`` versus ``40.0``, and default
values spelled out or left out. :meth:`HeatmapParams.canonical` gives that one form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gazemap.errors import (
    InvalidBandwidthError,
    InvalidInputError,
    UnknownColormapError,
    UnknownKernelError,
)
from gazemap.kde import KERNELS, RULES
from gazemap.render import COLORMAPS

__all__ = ["HeatmapParams", "RenderOptions"]

_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")

Method = Literal["exact", "fft", "auto"]
Points = Literal["samples", "fixations"]
Detector = Literal["ivt", "idt"]
Weight = Literal["count", "duration"]
Normalize = Literal["pooled", "participant"]
BandwidthUnit = Literal["px", "deg"]
Mode = Literal["heat", "fog"]

MAX_LEVEL = 8


def _number(value: float) -> float | int:
    """One spelling per number, so 40, 40.0 and 4e1 give the same key."""
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def _bad_bandwidth(value: object) -> InvalidBandwidthError:
    return InvalidBandwidthError(
        f"bandwidth must be a number > 0 or one of {', '.join(RULES)}, got {value!r}",
        field="bandwidth",
    )


class HeatmapParams(BaseModel):
    """How to estimate one heat map from the selected recordings.

    Every field has a default, so ``HeatmapParams()`` is a sensible map: a Gaussian
    kernel of 40 px, level of detail 1 (half the stimulus resolution per axis), fixations
    (detected with I-VT where a recording has raw samples) weighted by duration, pooled
    over participants.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kernel: str = Field(
        default="gaussian",
        description="Kernel name: "
        + ", ".join(sorted(KERNELS))
        + ". Every kernel has standard deviation = bandwidth.",
    )
    bandwidth: float | Literal["scott", "silverman"] = Field(
        default=40.0,
        description="Kernel standard deviation per axis (in `bandwidth_unit`), or a rule computed from the data: 'scott' or 'silverman'.",
    )
    bandwidth_unit: BandwidthUnit = Field(
        default="px",
        description="'px' (stimulus pixels) or 'deg' (degrees of visual angle, from the study's screen geometry); a rule is always in px.",
    )
    level: int | None = Field(
        default=None,
        ge=0,
        le=MAX_LEVEL,
        description="Level of detail: the grid has ceil(size / 2**level) cells per axis. Default 1 unless cols/rows are given.",
    )
    cols: int | None = Field(
        default=None, gt=0, description="Grid columns; give with rows instead of level."
    )
    rows: int | None = Field(
        default=None, gt=0, description="Grid rows; give with cols instead of level."
    )
    method: Method = Field(
        default="auto",
        description="'exact' (direct sum), 'fft' (binned FFT convolution) or 'auto' (cheapest).",
    )
    points: Points = Field(
        default="fixations",
        description="'fixations' (detected from samples where needed) or raw 'samples'.",
    )
    detector: Detector = Field(
        default="ivt", description="Fixation detector for sample recordings: 'ivt' or 'idt'."
    )
    weight: Weight = Field(
        default="duration",
        description="'duration' (each point weighs its duration: fixation length, or sample interval) or 'count' (each point weighs 1).",
    )
    normalize: Normalize = Field(
        default="pooled",
        description="'pooled' (all points together) or 'participant' (each participant's map integrates to 1 before averaging).",
    )
    t_from: float | None = Field(
        default=None, ge=0, description="Start of the time window, ms from each recording's start."
    )
    t_to: float | None = Field(
        default=None, gt=0, description="End of the time window, ms from each recording's start."
    )

    @field_validator("kernel")
    @classmethod
    def _known_kernel(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in KERNELS:
            raise UnknownKernelError(
                f"kernel must be one of {', '.join(sorted(KERNELS))}, got {value!r}", field="kernel"
            )
        return KERNELS[name].name

    @field_validator("bandwidth", mode="before")
    @classmethod
    def _bandwidth(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip().lower()
            if text in RULES:
                return text
            try:
                value = float(text)
            except ValueError:
                raise _bad_bandwidth(value) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad_bandwidth(value)
        if not math.isfinite(value) or value <= 0:
            raise InvalidBandwidthError(f"bandwidth must be > 0, got {value!r}", field="bandwidth")
        return float(value)

    @model_validator(mode="after")
    def _consistent(self) -> HeatmapParams:
        if (self.cols is None) != (self.rows is None):
            raise InvalidInputError(
                "cols and rows must be given together",
                field="cols" if self.cols is None else "rows",
            )
        if self.cols is not None and self.level is not None:
            raise InvalidInputError("give either level or cols/rows, not both", field="level")
        if self.t_from is not None and self.t_to is not None and self.t_to <= self.t_from:
            raise InvalidInputError(
                f"t_to must be greater than t_from, got t_from={self.t_from} and t_to={self.t_to}",
                field="t_to",
            )
        return self

    @property
    def effective_level(self) -> int | None:
        """The level of detail used: ``level``, 1 by default, or None when cols/rows are set."""
        if self.cols is not None:
            return None
        return 1 if self.level is None else self.level

    def canonical(self) -> dict[str, Any]:
        """The one spelling of these parameters: defaults filled in, aliases resolved, numbers normalised."""
        out: dict[str, Any] = {
            "kernel": self.kernel,
            "bandwidth": self.bandwidth
            if isinstance(self.bandwidth, str)
            else _number(self.bandwidth),
            # a rule is computed from the points in px whatever the unit says
            "bandwidth_unit": "px" if isinstance(self.bandwidth, str) else self.bandwidth_unit,
            "grid": [self.cols, self.rows]
            if self.cols is not None
            else {"level": self.effective_level},
            "method": self.method,
            "points": self.points,
            "weight": self.weight,
            "normalize": self.normalize,
            "window": [
                # t counts from each recording's first sample, so starting at 0 cuts nothing
                None if not self.t_from else _number(self.t_from),
                None if self.t_to is None else _number(self.t_to),
            ],
        }
        if self.points == "fixations":
            out["detector"] = self.detector
        return out

    @classmethod
    def from_canonical(cls, data: Mapping[str, Any]) -> HeatmapParams:
        """Read back the output of :meth:`canonical` (e.g. from job parameters).

        Parameters
        ----------
        data:
            A mapping as produced by :meth:`canonical`.

        Returns
        -------
        HeatmapParams
            Whose :meth:`canonical` equals ``data``.

        Raises
        ------
        InvalidInputError
            For a malformed ``grid`` or ``window``, or unknown keys.

        Examples
        --------
        >>> p = HeatmapParams(kernel="quartic", bandwidth=30, cols=20, rows=10, t_to=500)
        >>> HeatmapParams.from_canonical(p.canonical()) == p
        True
        """
        fields = dict(data)
        grid = fields.pop("grid", {"level": None})
        window = fields.pop("window", [None, None])
        if isinstance(grid, Mapping) and set(grid) <= {"level"}:
            fields["level"] = grid.get("level")
        elif isinstance(grid, list | tuple) and len(grid) == 2:
            fields["cols"], fields["rows"] = grid
        else:
            raise InvalidInputError(
                f"grid must be {{'level': k}} or [cols, rows], got {grid!r}", field="grid"
            )
        if not isinstance(window, list | tuple) or len(window) != 2:
            raise InvalidInputError(
                f"window must be [t_from, t_to], got {window!r}", field="window"
            )
        fields["t_from"], fields["t_to"] = window
        return cls(**fields)


class RenderOptions(BaseModel):
    """How to draw a density as a picture; only these go into an image's cache key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    colormap: str = Field(
        default="inferno", description="Colormap: " + ", ".join(sorted(COLORMAPS)) + "."
    )
    opacity: float = Field(
        default=0.6, gt=0, le=1, description="Opacity of the hottest colour, in (0, 1]."
    )
    threshold: float = Field(
        default=0.05, ge=0, lt=1, description="Fraction of the scale below which nothing is drawn."
    )
    scale: str | float = Field(
        default="max",
        description="Density at the top of the colormap: 'max', a percentile like 'p99', or a fixed value (shared scale).",
    )
    mode: Mode = Field(
        default="heat",
        description="'heat' (colour where people looked) or 'fog' (darken where they did not).",
    )
    overlay: bool = Field(
        default=True,
        description="Draw over the stimulus image (true) or on a transparent background.",
    )

    @field_validator("colormap")
    @classmethod
    def _known_colormap(cls, value: str) -> str:
        if value not in COLORMAPS:
            raise UnknownColormapError(
                f"colormap must be one of {', '.join(sorted(COLORMAPS))}, got {value!r}",
                field="colormap",
            )
        return value

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, value: Any) -> str | float:
        if isinstance(value, str):
            text = value.strip().lower()
            if text == "max" or _PERCENTILE.match(text):
                if text != "max" and not 0 < float(text[1:]) <= 100:
                    raise InvalidInputError(
                        f"scale percentile must be in (0, 100], got {value!r}", field="scale"
                    )
                return text
            try:
                value = float(text)
            except ValueError:
                raise InvalidInputError(
                    f"scale must be 'max', a percentile like 'p99', or a number > 0, got {value!r}",
                    field="scale",
                ) from None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise InvalidInputError(
                f"scale must be 'max', 'pNN' or a number > 0, got {value!r}", field="scale"
            )
        return float(value)

    def canonical(self) -> dict[str, Any]:
        """The one spelling of these options, for image cache keys."""
        return {
            "colormap": self.colormap,
            "opacity": _number(self.opacity),
            "threshold": _number(self.threshold),
            "scale": self.scale if isinstance(self.scale, str) else _number(self.scale),
            "mode": self.mode,
            "overlay": self.overlay,
        }
