"""A run's time, decided once: naive times are UTC, null is now."""

import pandas as pd
import pytest

from windpower.clock import run_time

pytestmark = pytest.mark.unit


def test_run_time_reads_naive_times_as_utc_and_converts_others():
    assert run_time("2026-03-01T06:00") == pd.Timestamp("2026-03-01T06:00Z")
    assert run_time("2026-03-01T07:00+01:00") == pd.Timestamp("2026-03-01T06:00Z")
    assert str(run_time("2026-03-01T07:00+01:00").tz) == "UTC"


def test_run_time_of_null_is_now():
    before = pd.Timestamp.now("UTC")
    assert before <= run_time(None) <= pd.Timestamp.now("UTC")
