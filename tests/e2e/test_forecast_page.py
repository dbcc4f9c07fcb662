"""The forecast page of the running stack in a real browser: what the demo farms'
own champions forecast, drawn as stored, and no console error on any page.

Needs the stack and a browser: `docker compose run --rm browser-test pytest -m
"e2e and browser"` after `docker compose up -d --wait` (as .ci/run does).
"""

import os
import urllib.request

import pytest

from tests.e2e.stack import query, require_stack
from tests.forecast_ui.test_browser import _traces, browser, page  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
UI_URL = os.environ.get("FORECAST_UI_URL", "http://forecast-ui:8050")
SITE, TURBINE = "demo-north", "T03"


@pytest.fixture(scope="module", autouse=True)
def stack() -> None:
    require_stack(UI_URL)


def _stored(column: str) -> list[float]:
    return [r[0] for r in query(
        f"SELECT {column} FROM predictions WHERE site_id = %s AND turbine_id = %s "
        "AND (issued_at, model_version) = (SELECT issued_at, max(model_version) "
        "FROM predictions WHERE site_id = %s AND issued_at = (SELECT "
        "max(issued_at) FROM predictions WHERE site_id = %s) GROUP BY 1) "
        "ORDER BY \"timestamp\"", (SITE, TURBINE, SITE, SITE))]


def test_live_turbine_page_draws_its_stored_forecast(page):  # noqa: F811
    page.goto(f"{UI_URL}/sites/{SITE}/turbines/{TURBINE}")
    traces = _traces(page)
    for name, column in (("Forecast P10", "p10_power_kw"),
                         ("Forecast P50", "predicted_power_kw"),
                         ("Forecast P90", "p90_power_kw")):
        assert traces[name]["y"] == pytest.approx(_stored(column)), name
    assert traces["Forecast P90"]["fill"] == "tonexty"


def test_live_overview_names_every_site_with_its_turbines(page):  # noqa: F811
    page.goto(UI_URL + "/")
    for site, turbines in query("SELECT site_id, count(*) FROM turbines GROUP BY 1"):
        cell = page.locator(f"#site-{site} [data-field=turbines]")
        assert cell.inner_text() == str(turbines), site
    for path in (f"/sites/{SITE}", f"/sites/{SITE}/quality"):
        page.goto(UI_URL + path)  # the page fixture fails on a console error


def test_live_csv_holds_the_stored_p50():
    url = f"{UI_URL}/api/sites/{SITE}/turbines/{TURBINE}/forecast?format=csv"
    with urllib.request.urlopen(url, timeout=10) as response:
        lines = response.read().decode().splitlines()
    header = lines[0].split(",")
    p50 = [float(line.split(",")[header.index("p50_kw")]) for line in lines[1:]]
    assert p50 == pytest.approx(_stored("predicted_power_kw"), abs=0.05)

