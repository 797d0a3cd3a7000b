"""The :class:`Slice` value type: which participants and recordings a heat map uses.

A slice is a conjunction of filters; every filter left at ``None`` matches everything.
Inside one filter, the listed values are alternatives (``gender=("f", "d")`` means
female *or* diverse). :meth:`Slice.canonical` gives the JSON-ready form used in cache
keys and job parameters; :meth:`Slice.from_canonical` reads it back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from gazemap.errors import InvalidInputError

__all__ = ["AttributeValue", "Slice"]

AttributeValue = str | int | float | bool
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
MAX_AGE = 150


def _strings(name: str, values: Iterable[Any] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = (values,)
    items = tuple(values)
    if not items:
        raise InvalidInputError(f"{name} must list at least one value or be None", field=name)
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidInputError(
                f"{name} values must be non-empty strings, got {item!r}", field=name
            )
    return tuple(sorted(set(items)))


def _age(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGE:
        raise InvalidInputError(
            f"{name} must be an integer in 0..{MAX_AGE}, got {value!r}", field=name
        )
    return value


def _moment(name: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{name} must be a datetime, got {value!r}", field=name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(
            f"{name} must be timezone-aware, got naive {value.isoformat()}", field=name
        )
    return value


def _attribute_values(key: str, values: Any) -> tuple[AttributeValue, ...]:
    where = f"attributes[{key!r}]"
    if isinstance(values, str | int | float | bool):
        values = (values,)
    items = tuple(values)
    if not items:
        raise InvalidInputError(f"{where} must list at least one value", field="attributes")
    for item in items:
        if not isinstance(item, str | int | float | bool) or (
            isinstance(item, float) and item != item
        ):
            raise InvalidInputError(
                f"{where} values must be strings, numbers or booleans, got {item!r}",
                field="attributes",
            )
    # integral floats become ints so that 1 and 1.0 (equal in SQL too) have one spelling
    numbers = [int(v) if isinstance(v, float) and v.is_integer() else v for v in items]
    # type in the key: True == 1 in Python, but a true attribute is not the number 1
    unique = {(type(v) is bool, type(v) is str, v) for v in numbers}
    return tuple(k[2] for k in sorted(unique, key=lambda k: (k[0], k[1], repr(k[2]))))


@dataclass(frozen=True)
class Slice:
    """Filters on participants and recordings; ``None`` means "no filter".

    Attributes
    ----------
    gender:
        Allowed participant genders (exact stored strings).
    age_min, age_max:
        Inclusive participant age range in years; either end may be open.
        Participants of unknown age are left out when either is set.
    device:
        Allowed recording devices (exact stored strings).
    recorded_from, recorded_to:
        Recording start time range, timezone-aware; ``recorded_from`` is inclusive,
        ``recorded_to`` exclusive. Recordings of unknown start are left out when
        either is set.
    attributes:
        Participant attribute name → allowed values (strings, numbers, booleans).
        A value matches only a stored value of the same JSON type (the string
        ``"5"`` does not match the number ``5``; numbers compare numerically).
    participant_ids:
        Only these participant ids (researchers and admins).

    Raises
    ------
    InvalidInputError
        Naming the field, when a value is malformed or a range is reversed.

    Examples
    --------
    >>> Slice(gender=["m", "f"], age_min=20).canonical()
    {'age_min': 20, 'gender': ['f', 'm']}
    >>> Slice(age_min=40, age_max=30)
    Traceback (most recent call last):
    ...
    gazemap.errors.InvalidInputError: age_min must be <= age_max, got 40 > 30
    """

    gender: tuple[str, ...] | None = None
    age_min: int | None = None
    age_max: int | None = None
    device: tuple[str, ...] | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    attributes: Mapping[str, tuple[AttributeValue, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    participant_ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "gender", _strings("gender", self.gender))
        set_(self, "device", _strings("device", self.device))
        set_(self, "age_min", _age("age_min", self.age_min))
        set_(self, "age_max", _age("age_max", self.age_max))
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise InvalidInputError(
                f"age_min must be <= age_max, got {self.age_min} > {self.age_max}", field="age_min"
            )
        set_(self, "recorded_from", _moment("recorded_from", self.recorded_from))
        set_(self, "recorded_to", _moment("recorded_to", self.recorded_to))
        if (
            self.recorded_from is not None
            and self.recorded_to is not None
            and self.recorded_from >= self.recorded_to
        ):
            raise InvalidInputError(
                f"recorded_from must be before recorded_to, got {self.recorded_from.isoformat()} "
                f">= {self.recorded_to.isoformat()}",
                field="recorded_from",
            )
        attributes = self.attributes if self.attributes is not None else {}
        if not isinstance(attributes, Mapping):
            raise InvalidInputError(
                f"attributes must be a mapping of name to values, got {attributes!r}",
                field="attributes",
            )
        normalised: dict[str, tuple[AttributeValue, ...]] = {}
        for key in sorted(attributes):
            if not isinstance(key, str) or not ATTRIBUTE_NAME.match(key):
                raise InvalidInputError(
                    f"attribute names must match {ATTRIBUTE_NAME.pattern}, got {key!r}",
                    field="attributes",
                )
            normalised[key] = _attribute_values(key, attributes[key])
        set_(self, "attributes", MappingProxyType(normalised))
        if self.participant_ids is not None:
            ids = tuple(self.participant_ids)
            if not ids or any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in ids):
                raise InvalidInputError(
                    f"participant_ids must be positive integers, got {list(ids)!r}",
                    field="participant_ids",
                )
            set_(self, "participant_ids", tuple(sorted(set(ids))))

    def _key(self) -> str:
        # JSON, not the dict: in Python True == 1, in a slice they select different rows
        return json.dumps(self.canonical(), sort_keys=True)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Slice):
            return NotImplemented
        return self._key() == other._key()

    @property
    def demographic_filters(self) -> tuple[str, ...]:
        """Names of the set filters that select people by who they are.

        Viewers may not use these (gender, age, attributes, participant ids).
        """
        names = []
        if self.gender is not None:
            names.append("gender")
        if self.age_min is not None:
            names.append("age_min")
        if self.age_max is not None:
            names.append("age_max")
        if self.attributes:
            names.append("attributes")
        if self.participant_ids is not None:
            names.append("participant_ids")
        return tuple(names)

    def canonical(self) -> dict[str, Any]:
        """JSON-ready form with only the set filters, sorted, datetimes in UTC ISO 8601.

        Two slices that select the same rows by the same filters have equal canonical
        forms, whatever order their values were given in.

        Returns
        -------
        dict
            Keys in alphabetical order; empty for the slice that matches everything.
        """
        out: dict[str, Any] = {}
        if self.age_max is not None:
            out["age_max"] = self.age_max
        if self.age_min is not None:
            out["age_min"] = self.age_min
        if self.attributes:
            out["attributes"] = {k: list(v) for k, v in self.attributes.items()}
        if self.device is not None:
            out["device"] = list(self.device)
        if self.gender is not None:
            out["gender"] = list(self.gender)
        if self.participant_ids is not None:
            out["participant_ids"] = list(self.participant_ids)
        if self.recorded_from is not None:
            out["recorded_from"] = _iso_utc(self.recorded_from)
        if self.recorded_to is not None:
            out["recorded_to"] = _iso_utc(self.recorded_to)
        return out

    @classmethod
    def from_canonical(cls, data: Mapping[str, Any]) -> Slice:
        """Read back the output of :meth:`canonical` (e.g. from job parameters).

        Parameters
        ----------
        data:
            A mapping as produced by :meth:`canonical`.

        Returns
        -------
        Slice
            Equal to the slice that produced ``data``.

        Raises
        ------
        InvalidInputError
            For unknown keys or malformed values.
        """
        known = {
            "gender", "age_min", "age_max", "device", "recorded_from", "recorded_to",
            "attributes", "participant_ids",
        }  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInputError(f"unknown slice fields: {unknown}", field=unknown[0])
        kwargs = dict(data)
        for name in ("recorded_from", "recorded_to"):
            if isinstance(kwargs.get(name), str):
                try:
                    kwargs[name] = datetime.fromisoformat(kwargs[name])
                except ValueError as exc:
                    raise InvalidInputError(
                        f"{name} must be an ISO 8601 datetime, got {kwargs[name]!r}", field=name
                    ) from exc
        return cls(**kwargs)


def _iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()
