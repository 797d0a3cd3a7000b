"""Share of equal labels and Cohen's κ."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.gaze import label_agreement


def test_known_kappa() -> None:
    # 2×2 table: both yes 20, both no 15, a-only 5, b-only 10 (Cohen's textbook case).
    a = np.array([1] * 20 + [0] * 15 + [1] * 5 + [0] * 10, bool)
    b = np.array([1] * 20 + [0] * 15 + [0] * 5 + [1] * 10, bool)
    r = label_agreement(a, b)
    assert r.share == pytest.approx(0.7)
    assert r.kappa == pytest.approx((0.7 - 0.5) / 0.5)


def test_constant_equal_labellings_have_no_kappa() -> None:
    r = label_agreement([True, True], [True, True])
    assert r.share == 1.0
    assert math.isnan(r.kappa)


def test_mismatched_lengths_are_a_named_error() -> None:
    with pytest.raises(InvalidInputError, match="one length"):
        label_agreement([True], [True, False])


@given(st.lists(st.booleans(), min_size=1, max_size=50))
def test_a_labelling_agrees_perfectly_with_itself(labels: list[bool]) -> None:
    r = label_agreement(labels, labels)
    assert r.share == 1.0
    assert math.isnan(r.kappa) or r.kappa == pytest.approx(1.0)
