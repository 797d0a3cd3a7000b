"""How well two sample labellings agree: share of equal labels and Cohen's κ.

Used to compare gazemap's detectors with a tracker vendor's own classification
(``bench/fixation_agreement.py``, ``docs/gaze.md``), or two parameter sets with each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError

__all__ = ["Agreement", "label_agreement"]


@dataclass(frozen=True)
class Agreement:
    """Agreement of two boolean labellings of the same samples.

    Attributes
    ----------
    n:
        Number of samples compared.
    share:
        Fraction of samples both call fixation or both call non-fixation.
    kappa:
        Cohen's κ; ``nan`` when chance agreement is 1 (both labellings constant and
        equal), where κ is undefined.
    share_a, share_b:
        Fraction of samples each labelling calls fixation.
    """

    n: int
    share: float
    kappa: float
    share_a: float
    share_b: float


def label_agreement(a: npt.ArrayLike, b: npt.ArrayLike) -> Agreement:
    """Share of equal labels and Cohen's κ of two boolean labellings.

    Parameters
    ----------
    a, b:
        Boolean arrays of the same length (e.g. vendor "is fixation" and
        :func:`gazemap.gaze.sample_labels`).

    Returns
    -------
    Agreement

    Notes
    -----
    With observed agreement :math:`p_o` and chance agreement
    :math:`p_e = p_a p_b + (1 − p_a)(1 − p_b)` from the two labellings' fixation shares,
    :math:`κ = (p_o − p_e) / (1 − p_e)` (Cohen 1960).

    Examples
    --------
    >>> r = label_agreement([True, True, False, False], [True, False, False, False])
    >>> r.share, round(r.kappa, 3)
    (0.75, 0.5)
    """
    x = np.asarray(a, dtype=np.bool_)
    y = np.asarray(b, dtype=np.bool_)
    if x.shape != y.shape or x.ndim != 1:
        raise InvalidInputError(
            f"labellings must be 1-d arrays of one length, got shapes {x.shape} and {y.shape}",
            field="b",
        )
    n = int(x.size)
    if n == 0:
        return Agreement(0, float("nan"), float("nan"), float("nan"), float("nan"))
    po = float(np.mean(x == y))
    pa, pb = float(x.mean()), float(y.mean())
    pe = pa * pb + (1.0 - pa) * (1.0 - pb)
    kappa = (po - pe) / (1.0 - pe) if pe < 1.0 else float("nan")
    return Agreement(n, po, kappa, pa, pb)
