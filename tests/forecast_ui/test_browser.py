"""Each page in a real browser (Debian's chromium, driven by Playwright, whose
own browser downloads are never used): the chart's band and numbers match the
database, and no page logs a console error or throws.

Playwright rather than Selenium: it reports console messages and uncaught page
errors as events (Selenium needs chromedriver's log API), and waits for
elements itself. Screenshots go to $FORECAST_UI_SCREENSHOTS when set
(docs/screenshots/ is made that way).
"""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from tests.forecast_ui.conftest import fetch
from windpower.forecast_ui.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.integration]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("FORECAST_UI_SCREENSHOTS")
# Set where a browser must be there (the browser-test service, CI): a missing
# one then fails instead of skipping, as the trainer image has none.
REQUIRED = os.environ.get("FORECAST_UI_BROWSER_REQUIRED") == "1"


@pytest.fixture(scope="module")
def server(forecast_db) -> str:
    """The app on a free loopback port, in this process, as the reader role."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORECAST_UI_DB_URL", forecast_db.url("windpower_reader"))
        for name in ("FORECAST_UI_USERNAME", "MLFLOW_TRACKING_URI"):
            patch.delenv(name, raising=False)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        app = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1",
                                            port=port, log_level="warning"))
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        while not app.started:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        app.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser():
    missing = not shutil.which(CHROMIUM) and f"no chromium at {CHROMIUM}"
    try:
        from playwright import sync_api  # noqa: PLC0415
    except ImportError:
        missing = "playwright is not installed"
    if missing:
        (pytest.fail if REQUIRED else pytest.skip)(
            f"{missing} (docker compose run --rm browser-test)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page that fails the test on any console error or uncaught exception."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: m.type == "error" and errors.append(m.text))
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    context.close()
    assert errors == []


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _traces(page) -> dict[str, dict]:
    page.wait_for_function("document.getElementById('chart').data")
    traces = page.evaluate("document.getElementById('chart').data.map("
                           "t => ({name: t.name, x: t.x, y: t.y, fill: t.fill}))")
    return {t["name"]: t for t in traces}


def _stored(owner, turbine: str, column: str) -> list[float]:
    return [r[0] for r in fetch(
        owner, f"SELECT {column} FROM predictions WHERE site_id = 'demo-north' "
        "AND turbine_id = %s AND issued_at = (SELECT max(issued_at) FROM "
        "predictions WHERE site_id = 'demo-north') ORDER BY \"timestamp\"",
        (turbine,))]


@pytest.mark.parametrize(("path", "turbine"), [
    ("/sites/demo-north", "*"), ("/sites/demo-north/turbines/T03", "T03")])
def test_chart_draws_the_stored_band_and_p50(page, server, owner, path, turbine):
    page.goto(server + path)
    traces = _traces(page)
    assert traces["Forecast P10"]["y"] == pytest.approx(
        _stored(owner, turbine, "p10_power_kw"))
    assert traces["Forecast P90"]["y"] == pytest.approx(
        _stored(owner, turbine, "p90_power_kw"))
    assert traces["Forecast P90"]["fill"] == "tonexty"  # the band between them
    assert traces["Forecast P50"]["y"] == pytest.approx(
        _stored(owner, turbine, "predicted_power_kw"))
    assert len(traces["Actual"]["y"]) > 200  # 48 h of 10-minute actuals
    _shot(page, "farm" if turbine == "*" else "turbine")


def test_choosing_an_older_issue_redraws_its_forecast(page, server, owner):
    page.goto(server + "/sites/demo-north")
    options = page.locator("select[name=issued_at] option")
    older = options.nth(options.count() - 1).get_attribute("value")
    page.select_option("select[name=issued_at]", older)
    page.wait_for_url(f"**issued_at={older.replace(':', '%3A')}*")
    first = _traces(page)["Forecast P50"]["x"][0]
    assert first.startswith(older[:13])  # ten minutes after the chosen issue


def test_farm_without_total_shows_summed_p50_and_says_no_band(page, server):
    page.goto(server + "/sites/demo-south")
    traces = _traces(page)
    assert "Forecast P90" not in traces
    assert "Forecast P50 (sum of turbines)" in traces
    assert page.locator("#no-band").is_visible()


def test_overview_and_quality_pages_show_the_stored_numbers(page, server, owner):
    page.goto(server + "/")
    south = page.locator("#site-demo-south")
    assert "stale" in south.locator(".badge").inner_text()
    turbines = fetch(owner, "SELECT count(*) FROM turbines WHERE site_id = "
                     "'demo-north'")[0][0]
    assert page.locator("#site-demo-north [data-field=turbines]").inner_text() == (
        str(turbines))
    _shot(page, "overview")
    page.goto(server + "/sites/demo-north/quality")
    first = page.locator("#quality-table tr").nth(1).locator("td")
    day, band = first.nth(0).inner_text(), first.nth(1).inner_text()
    mae = fetch(owner, "SELECT sum(mae_kw * \"rows\") / sum(\"rows\") FROM "
                "forecast_quality WHERE site_id = 'demo-north' AND day = %s AND "
                "horizon_band = %s AND turbine_id <> '*'", (day, band))[0][0]
    assert first.nth(4).inner_text() == f"{mae:.1f}"
    _shot(page, "quality")
