"""Hypothesis strategies for the storage tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gazemap.gaze.recording import Recording

_NUMERIC_DTYPES = ["<f8", "<f4", "<i8", "<i4", "<u2", "|i1", "|u1"]


@st.composite
def recordings(draw: st.DrawFn, *, max_rows: int = 200) -> Recording:
    """Recordings with arbitrary floats (NaN, inf, -0.0), validity, and extra columns."""
    n = draw(st.integers(0, max_rows))
    floats = hnp.arrays(np.float64, n, elements=st.floats(allow_nan=True, allow_infinity=True))
    kind = draw(st.sampled_from(["samples", "fixations"]))
    extra: dict[str, np.ndarray] = {}
    for name in draw(st.sets(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), max_size=3)):
        which = draw(st.sampled_from(["numeric", "bool", "str", "object"]))
        if which == "numeric":
            extra[name] = draw(hnp.arrays(draw(st.sampled_from(_NUMERIC_DTYPES)), n))
        elif which == "bool":
            extra[name] = draw(hnp.arrays(np.bool_, n))
        else:
            words = st.lists(
                st.sampled_from(["fixation", "saccade", "", "blink", "ü"]), min_size=n, max_size=n
            )
            values = draw(words)
            if which == "str":
                extra[name] = np.array(values, dtype=str) if n else np.array([], dtype=str)
            else:
                missing = draw(st.lists(st.booleans(), min_size=n, max_size=n))
                extra[name] = np.array(
                    [None if m else v for v, m in zip(values, missing, strict=True)], dtype=object
                )
    return Recording(
        kind=kind,
        t=draw(floats),
        x=draw(floats),
        y=draw(floats),
        valid=draw(hnp.arrays(np.bool_, n)),
        duration=draw(floats) if kind == "fixations" else None,
        t0=draw(st.floats(allow_nan=False, allow_infinity=False)),
        extra=extra,
    )
