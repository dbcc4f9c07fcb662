"""When the overview calls a site's forecast late: as fresh as the weather it
scores, not as the wall clock."""

from datetime import UTC, datetime, timedelta

import pytest

from windpower.forecast_ui.queries import late

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 7, 11, 4, tzinfo=UTC)
WEATHER = datetime(2026, 12, 7, 6, tzinfo=UTC)  # issued every 6 h


def _site(forecast: datetime) -> dict:
    return {"newest_reading": NOW - timedelta(minutes=4),
            "newest_weather": WEATHER, "newest_forecast": forecast}


def test_a_forecast_of_the_newest_weather_issue_is_not_late():
    # Five hours after the issue, nothing newer to score: up to date.
    assert late(_site(WEATHER), NOW) == []


def test_a_weather_issue_left_unscored_makes_the_forecast_late():
    assert late(_site(WEATHER - timedelta(hours=6)), NOW) == ["forecast"]
    # Just issued: inference has not had its chance yet.
    fresh = WEATHER.replace(hour=10)
    assert late({**_site(WEATHER), "newest_weather": fresh}, NOW) == []
