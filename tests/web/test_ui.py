"""The web UI in a real headless Chromium against a real ``gazemap serve``.

Each test signs in through the login form, drives the page with the mouse and the
keyboard as a person would, and checks what the page shows and which API requests it
made. Any console error fails the test (see ``conftest.new_page``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from tests.conftest import SHARED_DATA
from tests.web.conftest import ConsoleLog
from tests.web.server import FEMALE, Server
from tests.web.ui import count, map_bytes, open_stimulus, sign_in, wait_for_map

pytestmark = pytest.mark.browser

TOBII = SHARED_DATA / "tobii-prolab-dataexport-ivt" / "I-VT-normal Data export_short.tsv"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _heatmap_request(stimulus_id: int, **wanted: str) -> Any:
    """A predicate for page.expect_request: a PNG heat-map request with ``wanted`` values."""

    def match(request: Any) -> bool:
        if f"/api/v1/stimuli/{stimulus_id}/heatmap?" not in request.url:
            return False
        query = _query(request.url)
        return all(query.get(k) == [v] for k, v in wanted.items())

    return match


def test_sign_in_studies_and_stimulus(
    page: Any, server: Server, screenshots: Path, console: ConsoleLog
) -> None:
    console.allow("status of 401")  # the wrong password, as Chromium logs it
    page.goto("/")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "password" in alert.inner_text().lower()  # the server's detail, shown
    page.screenshot(path=screenshots / "login-error.png")

    sign_in(page, server, "admin")
    page.get_by_role("link", name="Demo: OSIE free viewing").click()
    page.wait_for_selector(".thumbs img[src^='blob:']")
    card = page.locator(".thumb", has_text="osie-1010")
    assert card.locator("dd").nth(2).inner_text() == "15"  # participants
    assert card.locator("dd").nth(3).inner_text() == "15"  # recordings
    page.wait_for_function(
        "() => [...document.querySelectorAll('.thumbs img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=screenshots / "study.png", full_page=True)

    card.get_by_role("link", name="osie-1010").click()
    wait_for_map(page)
    assert count(page, "participants") == 15
    assert count(page, "recordings") == 15
    assert count(page, "points") == 168
    scale = float(page.get_attribute(".legend", "data-scale"))
    assert scale > 0
    natural = page.evaluate("document.querySelector('.stage img.map').naturalWidth")
    assert natural == 800  # overlaid on the stimulus at its natural size
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # no sideways scroll
    assert page.title() == "osie-1010 – gazemap"
    page.screenshot(path=screenshots / "stimulus.png")


def test_bandwidth_slider_requests_and_shows_a_new_map(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    first_src = open_stimulus(page, server.demo_stimulus_id)
    before = map_bytes(page)
    assert page.inner_text(".resolved") == "40 × 40 px"

    slider = page.get_by_role("slider", name="Bandwidth")
    slider.focus()
    with page.expect_request(_heatmap_request(server.demo_stimulus_id, bandwidth="45")) as sent:
        for _ in range(5):
            slider.press("ArrowRight")
    assert _query(sent.value.url)["bandwidth"] == ["45"]
    page.wait_for_function(
        "src => document.querySelector('.stage img.map').src !== src", arg=first_src
    )
    wait_for_map(page)
    assert map_bytes(page) != before
    assert page.inner_text(".resolved") == "45 × 45 px"  # X-Gazemap-Bandwidth
    assert "bandwidth=45" in page.url  # the view's state is in the address

    with page.expect_request(_heatmap_request(server.demo_stimulus_id, bandwidth="scott")):
        page.get_by_label("Bandwidth unit or rule").select_option("scott")
    page.wait_for_function("() => document.querySelector('.resolved').textContent !== '45 × 45 px'")
    resolved = page.inner_text(".resolved")
    assert resolved.endswith(" px")
    assert resolved != "45 × 45 px"


def test_every_parameter_reaches_the_request(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    open_stimulus(page, server.demo_stimulus_id)
    changes = [
        ("Kernel", "epanechnikov", "kernel"),
        ("Level of detail", "2", "level"),
        ("Method", "exact", "method"),
        ("Weighting", "count", "weight"),
        ("Normalisation", "participant", "normalize"),
        ("Colormap", "viridis", "colormap"),
        ("Mode", "fog", "mode"),
        ("Top of the colour scale", "p99", "scale"),
        ("Points", "samples", "points"),
    ]
    for label, value, key in changes:
        with page.expect_request(_heatmap_request(server.demo_stimulus_id, **{key: value})):
            page.get_by_label(label, exact=True).select_option(value)
    with page.expect_request(_heatmap_request(server.demo_stimulus_id, overlay="false")):
        page.get_by_label("Draw over the stimulus").uncheck()
    window_end = page.get_by_role("slider", name="Window end")
    window_end.focus()
    with page.expect_request(_heatmap_request(server.demo_stimulus_id, t_to="9900")) as sent:
        window_end.press("ArrowLeft")
    # a shorter slider range clips the window: ending at the range's end means "to the end"
    with page.expect_request(
        lambda r: (
            f"/stimuli/{server.demo_stimulus_id}/heatmap?" in r.url and "t_to" not in _query(r.url)
        )
    ):
        page.get_by_label("Slider range").select_option("5000")
    assert window_end.get_attribute("max") == "5000"
    assert "window_max=5000" in page.url
    query = _query(sent.value.url)
    assert query["kernel"] == ["epanechnikov"]
    assert query["level"] == ["2"]
    wait_for_map(page)
    # a shared address restores every control (a new tab signs in first, then lands there)
    other = page.context.new_page()
    sign_in(other, server, "admin", path=page.url)
    wait_for_map(other)
    assert other.get_by_label("Kernel", exact=True).input_value() == "epanechnikov"
    assert other.get_by_label("Draw over the stimulus").is_checked() is False


def test_gender_filter_changes_the_map_and_the_link_is_shareable(
    new_page: Any, server: Server, screenshots: Path
) -> None:
    page = new_page()
    sign_in(page, server, "admin")
    open_stimulus(page, server.slices_stimulus_id)
    assert count(page, "participants") == 15
    everyone = map_bytes(page)
    with page.expect_request(_heatmap_request(server.slices_stimulus_id, gender="female")):
        page.get_by_role("checkbox", name="female").check()
    page.wait_for_function(
        "() => document.querySelector('[data-count=participants]')?.textContent.startsWith('8 ')"
    )
    wait_for_map(page)
    assert count(page, "participants") == len(FEMALE)
    assert map_bytes(page) != everyone
    page.screenshot(path=screenshots / "stimulus-female.png")

    # a colleague opens the address, signs in and lands on the same slice
    colleague = new_page()
    colleague.goto(page.url)
    colleague.get_by_label("User name").fill("researcher1")
    colleague.get_by_label("Password").fill(server.passwords["researcher1"])
    colleague.keyboard.press("Enter")
    wait_for_map(colleague)
    assert colleague.get_by_role("checkbox", name="female").is_checked()
    assert count(colleague, "participants") == len(FEMALE)


def test_a_slice_below_the_minimum_group_size_is_refused_with_the_reason(
    page: Any, server: Server, console: ConsoleLog
) -> None:
    console.allow("status of 403")  # the refused heat map, as Chromium logs it
    sign_in(page, server, "researcher1")
    page.goto(f"/#/stimuli/{server.slices_stimulus_id}?age_min=20&age_max=22")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "minimum group size" in alert.inner_text()
    assert page.locator(".stage.stale").count() == 1
    # widening the filter draws the map again
    page.get_by_label("Age to").fill("30")
    page.get_by_label("Age to").press("Tab")
    page.wait_for_selector(".stage:not(.stale) img.map[src^='blob:']")
    assert count(page, "participants") == 11
    assert page.get_by_role("alert").count() == 0


def test_compare_two_slices(page: Any, server: Server, screenshots: Path) -> None:
    sign_in(page, server, "admin")
    page.goto(
        f"/#/stimuli/{server.slices_stimulus_id}/compare?a.gender=female&b.gender=male&bandwidth=30"
    )
    page.wait_for_selector("[data-score=cc]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.compare-map img')].every(i => i.complete && i.naturalWidth === 800)"
    )
    cc = float(page.inner_text("[data-score=cc]"))
    sim = float(page.inner_text("[data-score=sim]"))
    assert -1 <= cc < 1
    assert 0 < sim < 1
    captions = page.locator(".compare-map figcaption").all_inner_texts()
    assert captions[:2] == [f"A: {len(FEMALE)} participants", f"B: {15 - len(FEMALE)} participants"]
    # both sides and the difference share one scale
    scales = page.eval_on_selector_all(".legend", "els => els.map(e => Number(e.dataset.scale))")
    assert scales[0] == scales[1] > 0
    # the difference on a scale of its own: the largest |A − B|, below the shared one
    with page.expect_response(lambda r: "include_grid=true" in r.url):
        page.get_by_label("Difference on its own scale").check()
    page.wait_for_function(
        "s => Number(document.querySelectorAll('.legend')[1].dataset.scale) !== s", arg=scales[0]
    )
    own = page.eval_on_selector_all(".legend", "els => Number(els[1].dataset.scale)")
    assert 0 < own < scales[0]
    assert "diff_scale=own" in page.url
    page.screenshot(path=screenshots / "compare.png", full_page=True)


def test_compare_two_layout_versions(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    page.goto(f"/#/studies/{server.slices_study_id}")
    card = (
        page.locator(".thumb", has_text="version")
        .filter(has=page.locator("dd", has_text="15"))
        .first
    )
    card.get_by_role("link", name="Compare versions").click()
    page.wait_for_selector("[data-score=cc]")
    assert _query(page.url.replace("#/", "/"))["b.stimulus_id"] == [
        str(server.slices_v2_stimulus_id)
    ]
    assert page.get_by_label("Layout version").input_value() == str(server.slices_v2_stimulus_id)
    captions = page.locator(".compare-map figcaption").all_inner_texts()
    assert captions[:2] == ["A: 15 participants", f"B: {len(FEMALE)} participants"]
    # back to one version against itself: identical maps
    with page.expect_response(lambda r: "/heatmap/compare?" in r.url and "format=json" in r.url):
        page.get_by_label("Layout version").select_option("")
    page.wait_for_function("() => document.querySelector('[data-score=sim]')?.textContent === '1'")
    assert abs(float(page.inner_text("[data-score=kl]"))) < 1e-9


def test_areas_of_interest_drawn_and_typed(page: Any, server: Server, screenshots: Path) -> None:
    sign_in(page, server, "admin")
    open_stimulus(page, server.demo_stimulus_id)
    # typed with the keyboard
    for name, value in (("x", "0"), ("y", "0"), ("Width", "400"), ("Height", "600")):
        page.get_by_label(name, exact=True).fill(value)
    page.get_by_label("Height", exact=True).press("Enter")
    # drawn with the mouse over the right half
    page.get_by_role("button", name="Draw AOI").click()
    box = page.locator(".stage .frame").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5 + 1, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    assert page.locator(".aoi-layer rect.aoi").count() == 2
    assert len(_query(page.url.replace("#/", "/"))["aoi"]) == 2
    with page.expect_response(lambda r: r.url.endswith("/aoi-metrics")) as answer:
        page.get_by_role("button", name="Compute AOI metrics").click()
    assert answer.value.status == 200
    rows = page.locator("table.metrics tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    looked = rows.nth(0).locator("[data-metric=entered]").inner_text()
    assert looked.endswith("%)")
    assert "/ 15" in looked
    page.screenshot(path=screenshots / "aoi.png", full_page=True)


def test_upload_a_stimulus_and_a_real_tobii_file(
    page: Any, server: Server, tmp_path: Path, screenshots: Path
) -> None:
    if not TOBII.is_file():
        pytest.skip(f"{TOBII} missing")
    image = tmp_path / "screen.png"
    Image.new("RGB", (1920, 1080), (235, 235, 240)).save(image)
    sign_in(page, server, "admin")
    page.goto(f"/#/studies/{server.slices_study_id}")
    page.get_by_label("Image").set_input_files(image)
    page.get_by_label("Page key").fill("tobii-screen")
    page.get_by_role("button", name="Add stimulus").click()
    page.wait_for_url("**/#/stimuli/*")
    page.get_by_label("Gaze file").set_input_files(TOBII)
    page.get_by_label("Rows naming another stimulus").select_option("skip")
    with page.expect_request(lambda r: r.url.endswith("/recordings") and r.method == "POST"):
        page.get_by_role("button", name="Upload recordings").click()
    report = page.locator(".report")
    report.wait_for()
    assert report.locator("[data-report=recordings]").inner_text() == "1"
    assert report.locator("[data-report=rows_in]").inner_text() == "284"
    kept = int(report.locator("[data-report=rows_kept]").inner_text())
    dropped = int(report.locator("[data-report=rows_dropped]").inner_text())
    assert 0 < kept <= 263
    assert kept + dropped <= 284
    assert "Eyetracker Calibration" in report.inner_text()
    page.wait_for_function(
        "() => document.querySelector('[data-count=recordings]')?.textContent.startsWith('1 ')"
    )
    page.screenshot(path=screenshots / "upload.png", full_page=True)


def test_downloads_match_the_view(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    open_stimulus(page, server.demo_stimulus_id, "level=2")
    # "Hide map" shows the stimulus alone, and showing the map again restores it
    heat = map_bytes(page)
    heat_src = page.get_attribute(".stage img.map", "src")
    hide = page.get_by_role("button", name="Hide map")
    hide.click()
    page.wait_for_function(
        "src => document.querySelector('.stage img.map').src !== src", arg=heat_src
    )
    assert hide.get_attribute("aria-pressed") == "true"
    assert map_bytes(page) != heat
    hide.click()
    assert map_bytes(page) == heat
    with page.expect_download() as npy:
        page.get_by_role("button", name="Density .npy").click()
    density = np.load(io.BytesIO(Path(npy.value.path()).read_bytes()))
    assert density.shape == (150, 200)  # 800×600 at level 2
    assert density.dtype == np.float64
    assert density.sum() > 0
    with page.expect_download() as png:
        page.get_by_role("button", name="PNG map only").click()
    with Image.open(Path(png.value.path())) as picture:
        assert picture.size == (800, 600)
        assert picture.mode == "RGBA"
    with page.expect_download() as grid:
        page.get_by_role("button", name="Density JSON").click()
    body = json.loads(Path(grid.value.path()).read_text())
    assert np.allclose(np.array(body["density"]), density)


def test_heavy_request_shows_job_progress(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    with page.expect_response(lambda r: "/api/v1/jobs/" in r.url) as polled:
        page.goto(f"/#/stimuli/{server.demo_stimulus_id}?async=true&bandwidth=33")
    assert polled.value.ok
    wait_for_map(page)
    assert count(page, "participants") == 15


def test_viewer_sees_only_what_the_role_allows(
    page: Any, server: Server, screenshots: Path
) -> None:
    sign_in(page, server, "viewer1")
    page.wait_for_selector("h1:text('Studies')")
    assert page.get_by_role("heading", name="New study").count() == 0
    open_stimulus(page, server.slices_stimulus_id)
    assert count(page, "participants") == 15
    assert page.locator("[data-filter=gender]").count() == 0
    assert page.get_by_label("Age from").count() == 0
    assert page.get_by_role("button", name="Upload recordings").count() == 0
    assert page.locator("table.recordings").count() == 0
    assert page.get_by_text("Raw data").count() == 0
    # what a viewer may do still works: bandwidth and recording dates
    assert page.get_by_label("Recorded from (UTC date)").count() == 1
    page.screenshot(path=screenshots / "viewer.png")
    page.goto(f"/#/studies/{server.slices_study_id}")
    page.wait_for_selector(".thumbs")
    assert page.get_by_role("heading", name="Add a stimulus").count() == 0


def test_tablet_width_puts_the_picture_first(
    new_page: Any, server: Server, screenshots: Path
) -> None:
    page = new_page({"width": 800, "height": 1100})
    sign_in(page, server, "admin")
    open_stimulus(page, server.demo_stimulus_id)
    controls = page.locator("form.controls").bounding_box()
    display = page.locator("section.display").bounding_box()
    assert controls["y"] >= display["y"] + display["height"]  # one column, the picture first
    assert page.evaluate("document.documentElement.scrollWidth") <= 800  # no sideways scroll
    page.screenshot(path=screenshots / "tablet.png")


def test_keyboard_focus_order_and_visible_focus(page: Any, server: Server) -> None:
    page.goto("/")
    page.get_by_label("User name").wait_for()
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(server.passwords["admin"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sign in"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # keyboard focus is visible
    page.keyboard.press("Enter")
    page.wait_for_selector("#session .who")


def test_an_expired_access_token_is_refreshed_once_and_sign_out_revokes(
    page: Any, server: Server, console: ConsoleLog
) -> None:
    console.allow("status of 401")  # the request made with the bad token
    sign_in(page, server, "admin")
    open_stimulus(page, server.demo_stimulus_id)
    page.evaluate(
        """() => {
            const tokens = JSON.parse(sessionStorage.getItem('gazemap.tokens'));
            tokens.access_token = 'not-a-valid-token';
            sessionStorage.setItem('gazemap.tokens', JSON.stringify(tokens));
        }"""
    )
    refreshes: list[str] = []
    page.on(
        "request", lambda r: refreshes.append(r.url) if r.url.endswith("/auth/refresh") else None
    )
    page.reload()
    wait_for_map(page)
    assert len(refreshes) == 1  # parallel 401s share one refresh
    assert count(page, "participants") == 15
    stored = page.evaluate(
        "() => JSON.parse(sessionStorage.getItem('gazemap.tokens')).access_token"
    )
    assert stored != "not-a-valid-token"
    # signing out revokes the sign-in on the server and forgets the tokens
    with page.expect_response(lambda r: r.url.endswith("/auth/logout")) as logout:
        page.get_by_role("button", name="Sign out").click()
    assert logout.value.status == 204
    page.get_by_label("User name").wait_for()
    assert page.evaluate("() => sessionStorage.getItem('gazemap.tokens')") is None


def test_url_state_maps_to_api_parameters(page: Any) -> None:
    """params.js, the documented URL format, run in the page itself."""
    page.goto("/")
    page.get_by_label("User name").wait_for()
    result = page.evaluate(
        """async () => {
            const p = await import('/static/js/params.js');
            const state = new URLSearchParams(
                'kernel=gaussian&bandwidth=60&gender=female&gender=male&age_min=30' +
                '&recorded_from=2024-03-01&recorded_to=2024-03-31&zoom=2&aoi=Logo:1,2,30,40' +
                '&t_from=0&t_to=10000&points=samples&detector=idt&colormap=viridis');
            const viewer = p.heatmapQuery(state, { allowDemographic: false });
            const full = p.heatmapQuery(state, { overrides: { format: 'npy', overlay: null } });
            const edited = new URLSearchParams();
            p.set(edited, 'kernel', 'gaussian');
            p.set(edited, 'bandwidth', '41');
            p.set(edited, 'gender', ['female', 'other']);
            return {
                full: [...full], viewer: [...viewer], edited: edited.toString(),
                aois: p.parseAois(state),
            };
        }"""
    )
    full = dict(result["full"])
    assert full["bandwidth"] == "60"
    assert full["kernel"] == "gaussian"
    assert full["format"] == "npy"
    assert full["recorded_from"] == "2024-03-01T00:00:00Z"
    assert full["recorded_to"] == "2024-04-01T00:00:00Z"  # inclusive end day
    assert [v for k, v in result["full"] if k == "gender"] == ["female", "male"]
    assert "zoom" not in full  # UI-only
    assert "aoi" not in full
    assert "t_from" not in full  # 0: from the start
    assert "t_to" not in full  # the slider's end: to the end
    assert "detector" not in full  # only for fixations
    viewer = dict(result["viewer"])
    assert "gender" not in viewer
    assert "age_min" not in viewer
    assert viewer["recorded_from"] == "2024-03-01T00:00:00Z"
    assert result["edited"] == "bandwidth=41&gender=female&gender=other"  # defaults left out
    assert result["aois"] == [{"name": "Logo", "rect": [1, 2, 30, 40]}]


def test_a_bad_parameter_in_an_address_is_explained(
    page: Any, server: Server, console: ConsoleLog
) -> None:
    console.allow("status of 422")  # the refused request, as Chromium logs it
    sign_in(page, server, "admin")
    page.goto(f"/#/stimuli/{server.demo_stimulus_id}?bandwidth=-3")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "bandwidth must be > 0, got -3" in alert.inner_text()
    # the slider puts it right
    slider = page.get_by_role("slider", name="Bandwidth")
    slider.focus()
    slider.press("End")
    page.wait_for_selector(".stage:not(.stale) img.map[src^='blob:']")
    assert page.inner_text(".resolved") == "200 × 200 px"


def test_a_researcher_creates_a_study(page: Any, server: Server) -> None:
    sign_in(page, server, "researcher1")
    page.get_by_label("Name").fill("Checkout flow")
    page.get_by_label("Description").fill("Two layouts of the checkout page")
    page.get_by_label("Name").press("Enter")
    page.wait_for_url("**/#/studies/*")
    page.get_by_role("heading", name="Checkout flow").wait_for()
    assert page.get_by_text("No stimuli yet.").is_visible()
    assert page.get_by_role("heading", name="Add a stimulus").count() == 1
