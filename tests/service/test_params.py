"""HeatmapParams and RenderOptions: one canonical form per meaning, named errors otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from gazemap.cache import make_key
from gazemap.errors import InvalidInputError
from gazemap.kde import KERNELS
from gazemap.service.params import HeatmapParams, RenderOptions


def key(params: HeatmapParams) -> str:
    return make_key("density", stimulus_id=1, data_version=1, params=params.canonical(), slice={})


def test_defaults_are_spelled_out() -> None:
    assert HeatmapParams().canonical() == {
        "kernel": "gaussian",
        "bandwidth": 40,
        "bandwidth_unit": "px",
        "grid": {"level": 1},
        "method": "auto",
        "points": "fixations",
        "detector": "ivt",
        "weight": "duration",
        "normalize": "pooled",
        "window": [None, None],
    }


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({}, {"kernel": "gaussian", "bandwidth": 40.0, "level": 1, "method": "auto"}),
        ({"kernel": "quartic"}, {"kernel": " Biweight "}),
        ({"bandwidth": 40}, {"bandwidth": "4e1"}),
        ({"bandwidth": "SCOTT"}, {"bandwidth": "scott", "bandwidth_unit": "deg"}),
        ({"t_from": 0, "t_to": 500}, {"t_to": 500.0}),
        ({"points": "samples"}, {"points": "samples", "detector": "idt"}),
        ({"cols": 100, "rows": 50}, {"rows": 50.0, "cols": 100}),
    ],
)
def test_equal_requests_written_differently_share_a_key(
    a: dict[str, object], b: dict[str, object]
) -> None:
    assert key(HeatmapParams(**a)) == key(HeatmapParams(**b))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"bandwidth": 41},
        {"bandwidth_unit": "deg"},
        {"level": 2},
        {"cols": 400, "rows": 300},
        {"method": "fft"},
        {"points": "samples"},
        {"detector": "idt"},
        {"weight": "count"},
        {"normalize": "participant"},
        {"t_from": 1},
        {"t_to": 1000},
        {"kernel": "epanechnikov"},
    ],
)
def test_every_meaningful_change_changes_the_key(change: dict[str, object]) -> None:
    assert key(HeatmapParams(**change)) != key(HeatmapParams())  # type: ignore[arg-type]


@given(st.sampled_from(sorted(KERNELS)), st.floats(0.5, 500, allow_nan=False))
def test_canonical_form_round_trips(kernel: str, bandwidth: float) -> None:
    params = HeatmapParams(kernel=kernel, bandwidth=bandwidth)
    canonical = params.canonical()
    again = HeatmapParams(kernel=canonical["kernel"], bandwidth=canonical["bandwidth"])
    assert again.canonical() == canonical


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kernel": "box"}, "kernel must be one of .*got 'box'"),
        ({"bandwidth": -3}, "bandwidth must be > 0, got -3"),
        ({"bandwidth": "wide"}, "bandwidth must be a number > 0 or one of scott, silverman"),
        ({"bandwidth": True}, "bandwidth must be a number"),
        ({"bandwidth": float("inf")}, "bandwidth must be > 0, got inf"),
        ({"cols": 10}, "cols and rows must be given together"),
        ({"cols": 10, "rows": 10, "level": 1}, "either level or cols/rows"),
        ({"t_from": 500, "t_to": 100}, "t_to must be greater than t_from"),
        ({"level": 9}, "less than or equal to 8"),
        ({"method": "magic"}, "'exact', 'fft' or 'auto'"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_params_are_refused_naming_the_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        HeatmapParams(**fields)  # type: ignore[arg-type]


def test_effective_level() -> None:
    assert HeatmapParams().effective_level == 1
    assert HeatmapParams(level=0).effective_level == 0
    assert HeatmapParams(cols=3, rows=4).effective_level is None


def test_render_options_canonical_and_errors() -> None:
    assert RenderOptions(scale=" P99 ").canonical()["scale"] == "p99"
    assert RenderOptions(scale="2e-5").canonical()["scale"] == 2e-5
    assert RenderOptions(opacity=1).canonical() == RenderOptions(opacity=1.0).canonical()
    for bad, message in [
        ({"colormap": "rainbow"}, "colormap must be one of"),
        ({"scale": "p0"}, r"scale percentile must be in \(0, 100\]"),
        ({"scale": "p101"}, r"scale percentile must be in \(0, 100\]"),
        ({"scale": -1}, "scale must be 'max', 'pNN' or a number > 0"),
        ({"scale": "huge"}, "scale must be 'max', a percentile"),
        ({"opacity": 0}, "greater than 0"),
        ({"threshold": 1}, "less than 1"),
    ]:
        with pytest.raises(ValidationError, match=message):
            RenderOptions(**bad)  # type: ignore[arg-type]


def test_params_are_frozen() -> None:
    with pytest.raises(ValidationError):
        HeatmapParams().bandwidth = 3  # type: ignore[misc]


@st.composite
def heatmap_params(draw: st.DrawFn) -> HeatmapParams:
    fields: dict[str, object] = {
        "kernel": draw(st.sampled_from(sorted(KERNELS))),
        "bandwidth": draw(st.one_of(st.sampled_from(["scott", "silverman"]), st.floats(0.5, 300))),
        "bandwidth_unit": draw(st.sampled_from(["px", "deg"])),
        "method": draw(st.sampled_from(["exact", "fft", "auto"])),
        "points": draw(st.sampled_from(["samples", "fixations"])),
        "detector": draw(st.sampled_from(["ivt", "idt"])),
        "weight": draw(st.sampled_from(["count", "duration"])),
        "normalize": draw(st.sampled_from(["pooled", "participant"])),
    }
    if draw(st.booleans()):
        fields["cols"], fields["rows"] = draw(st.integers(1, 4000)), draw(st.integers(1, 4000))
    else:
        fields["level"] = draw(st.one_of(st.none(), st.integers(0, 8)))
    t_from = draw(st.one_of(st.none(), st.floats(0, 5000)))
    fields["t_from"] = t_from
    fields["t_to"] = draw(st.one_of(st.none(), st.floats((t_from or 0) + 1, 20000)))
    return HeatmapParams(**fields)  # type: ignore[arg-type]


@given(heatmap_params())
def test_from_canonical_reads_canonical_back(params: HeatmapParams) -> None:
    canonical = params.canonical()
    again = HeatmapParams.from_canonical(canonical)
    assert again.canonical() == canonical
    assert key(again) == key(params)


def test_render_options_read_back_from_canonical() -> None:
    options = RenderOptions(colormap="viridis", scale="p99", opacity=1, mode="fog")
    assert RenderOptions(**options.canonical()) == options


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grid": {"cols": 3}}, "grid must be"),
        ({"grid": [1, 2, 3]}, "grid must be"),
        ({"window": [1]}, r"window must be \[t_from, t_to\]"),
    ],
)
def test_from_canonical_refuses_malformed_parts(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        HeatmapParams.from_canonical(data)
