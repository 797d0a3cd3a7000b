"""Cache keys: what was asked, written canonically and hashed.

A heat map is fully determined by the stimulus, the version of its gaze data, the
heat-map parameters, the slice of participants and, for an image, the render
options. The key is a readable prefix plus the SHA-256 of all of them written
as canonical JSON::

    gazemap:v1:density:stim42:dv7:9f86d081884c7d65…

Because ``data_version`` grows with every upload or erasure touching the
stimulus, new data produces new keys: an old entry can never answer for new
data, and nothing is ever invalidated by hand; old entries simply age out.

Canonical JSON here means: mapping keys sorted; ``None`` values in mappings
dropped (an option left out and an option set to ``None`` mean the same); tuples
written as lists; sets as sorted lists; a float equal to an integer written as
that integer (``40.0`` → ``40``, so numbers compare as Python compares them);
numpy scalars as Python scalars; enums as their value; dates as ISO 8601 (aware
datetimes in UTC). NaN and infinities are refused, since they are never valid
parameters. Aliases and defaults (``quartic`` → ``biweight``) are *not* resolved
here: that is the job of the parameter models, which pass canonical dicts.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
import numbers
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from gazemap.errors import InvalidInputError

__all__ = ["KEY_VERSION", "CacheKey", "canonical", "canonical_json", "make_key"]

KEY_VERSION = "v1"
"""Bumped whenever the key scheme or a cached value format changes."""

_KIND = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_STIMULUS = re.compile(r"[A-Za-z0-9_.-]{1,64}")

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]


def canonical(value: Any, *, where: str = "value") -> JSON:
    """``value`` as plain JSON data in canonical form (see the module docstring).

    Parameters
    ----------
    value:
        Mappings with ``str`` keys, sequences, sets, numbers, strings, booleans,
        ``None``, enums, dates and numpy scalars, nested freely.
    where:
        Name of ``value`` in error messages.

    Returns
    -------
    JSON
        Plain ``dict``/``list``/``int``/``float``/``str``/``bool``/``None`` data.

    Raises
    ------
    InvalidInputError
        For NaN or infinite numbers, non-``str`` mapping keys, or other types.

    Examples
    --------
    >>> canonical({"b": (1.0, 2.5), "a": None, "c": {"z": 40.0}})
    {'b': [1, 2.5], 'c': {'z': 40}}
    """
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "dtype") and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return canonical(value.item(), where=where)  # numpy scalar or 0-d array
    if isinstance(value, enum.Enum):
        return canonical(value.value, where=where)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise InvalidInputError(f"{where} must be finite, got {x}", field=where)
        return int(x) if x.is_integer() else x
    if isinstance(value, Mapping):
        out: dict[str, JSON] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidInputError(
                    f"{where} keys must be str, got {k!r} ({type(k).__name__})", field=where
                )
            if v is not None:
                out[str(k)] = canonical(v, where=f"{where}.{k}")
        return dict(sorted(out.items()))
    if isinstance(value, list | tuple):
        return [canonical(v, where=f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Set):
        items = [canonical(v, where=f"{where} item") for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, dt.datetime):
        moment: dt.datetime = value if value.tzinfo is None else value.astimezone(dt.UTC)
        return moment.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise InvalidInputError(
        f"{where} has a type a cache key cannot hold: {type(value).__name__}", field=where
    )


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: compact, keys sorted, UTF-8 kept.

    Examples
    --------
    >>> canonical_json({"b": 2, "a": 1.0, "c": None})
    '{"a":1,"b":2}'
    """
    return json.dumps(
        canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


@dataclass(frozen=True)
class CacheKey:
    """A cache key in parts; ``str(key)`` is what the caches store under.

    Attributes
    ----------
    kind:
        What is cached: ``density``, ``image``, or another short lowercase name.
    stimulus_id:
        The stimulus, as text.
    data_version:
        The stimulus's data version when the value was computed.
    digest:
        SHA-256 (hex) of the canonical JSON of every part, parameters included.
    """

    kind: str
    stimulus_id: str
    data_version: int
    digest: str

    @classmethod
    def build(
        cls,
        kind: str,
        *,
        stimulus_id: int | str,
        data_version: int,
        params: Mapping[str, Any],
        slice: Mapping[str, Any],
        render: Mapping[str, Any] | None = None,
    ) -> CacheKey:
        """Validate the parts and hash them; see :func:`make_key`."""
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise InvalidInputError(
                f"kind must be a short lowercase name like 'density', got {kind!r}", field="kind"
            )
        if isinstance(stimulus_id, bool) or not isinstance(stimulus_id, int | str):
            raise InvalidInputError(
                f"stimulus_id must be an int or str, got {stimulus_id!r}", field="stimulus_id"
            )
        sid = str(stimulus_id)
        if not _STIMULUS.fullmatch(sid):
            raise InvalidInputError(
                f"stimulus_id must be 1-64 of A-Z a-z 0-9 _ . -, got {stimulus_id!r}",
                field="stimulus_id",
            )
        if isinstance(data_version, bool) or not isinstance(data_version, int) or data_version < 0:
            raise InvalidInputError(
                f"data_version must be an int >= 0, got {data_version!r}", field="data_version"
            )
        for name, part in (("params", params), ("slice", slice), ("render", render)):
            if part is not None and not isinstance(part, Mapping):
                raise InvalidInputError(
                    f"{name} must be a mapping, got {type(part).__name__}", field=name
                )
        document = {
            "kind": kind,
            "stimulus_id": sid,
            "data_version": data_version,
            "params": canonical(params, where="params"),
            "slice": canonical(slice, where="slice"),
            # no render options and empty render options mean the same
            "render": canonical(render, where="render") if render else None,
        }
        digest = hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()
        return cls(kind=kind, stimulus_id=sid, data_version=data_version, digest=digest)

    @property
    def prefix(self) -> str:
        """The readable part, e.g. ``gazemap:v1:density:stim42:dv7``."""
        return f"gazemap:{KEY_VERSION}:{self.kind}:stim{self.stimulus_id}:dv{self.data_version}"

    def __str__(self) -> str:
        return f"{self.prefix}:{self.digest}"


def make_key(
    kind: str,
    *,
    stimulus_id: int | str,
    data_version: int,
    params: Mapping[str, Any],
    slice: Mapping[str, Any],
    render: Mapping[str, Any] | None = None,
) -> str:
    """The cache key of one heat-map value.

    Parameters
    ----------
    kind:
        ``density``, ``image``, or another short lowercase name
        (``[a-z][a-z0-9_-]{0,31}``).
    stimulus_id:
        The stimulus id (int, or text of ``A-Z a-z 0-9 _ . -``).
    data_version:
        The stimulus's ``data_version``, >= 0.
    params:
        Canonical heat-map parameters (aliases resolved, defaults spelled out).
    slice:
        Canonical participant and recording filters.
    render:
        Render options, for images; ``None`` (or empty) for densities.

    Returns
    -------
    str
        ``gazemap:v1:<kind>:stim<id>:dv<version>:<sha256 hex>``.

    Notes
    -----
    The hash covers every argument in canonical JSON, so two requests get the
    same key exactly when their canonical forms are equal; the readable prefix
    is only there for people and for ``SCAN``.

    Examples
    --------
    >>> a = make_key("density", stimulus_id=42, data_version=7,
    ...              params={"bandwidth": 40, "kernel": "gaussian"}, slice={})
    >>> b = make_key("density", stimulus_id=42, data_version=7,
    ...              params={"kernel": "gaussian", "bandwidth": 40.0, "window": None}, slice={})
    >>> a == b, a[:30]
    (True, 'gazemap:v1:density:stim42:dv7:')
    """
    return str(
        CacheKey.build(
            kind,
            stimulus_id=stimulus_id,
            data_version=data_version,
            params=params,
            slice=slice,
            render=render,
        )
    )
