"""Split-conformal offsets by turbine and wind bin."""

import numpy as np
import pandas as pd
import pytest

from windpower.pipelines.training.intervals import calibration_rows, fit_intervals

pytestmark = pytest.mark.unit
PARAMS = {"levels": [0.1, 0.5, 0.9], "bin_width": 1.0, "max_wind": 4.0,
          "min_bin_rows": 50}


def test_fit_intervals_quantiles_by_turbine_and_bin_with_fallback():
    rng = np.random.default_rng(0)
    n = 20_000
    code = rng.integers(0, 2, n)
    ws = rng.uniform(0, 3, n)  # bins 3 and 4 (3-5 m/s) stay empty
    ws[(code == 1) & (ws >= 2)] = 1.5  # turbine 1 has nothing in bin 2
    residual = rng.normal(0, 1, n) * (1 + code)  # turbine 1 twice as spread
    out = fit_intervals(residual, ws, code, 2, PARAMS)
    offsets = out["offsets"]
    assert offsets.shape == (3, 5, 3)
    assert offsets[0, 0, 0] == pytest.approx(-1.28, abs=0.1)
    assert offsets[1, 0, 2] == pytest.approx(2.56, abs=0.2)
    assert (offsets[..., 1] == 0).all()  # the median is the model's P50
    assert (offsets[..., 0] <= 0).all() and (offsets[..., 2] >= 0).all()
    assert np.array_equal(offsets[1, 2], offsets[2, 2])  # thin: all turbines'
    assert np.array_equal(offsets[2, 4], offsets[2, 2])  # empty: nearest bin


def test_calibration_rows_are_whole_weeks():
    times = pd.Series(pd.date_range("2026-01-01", periods=144 * 70, freq="10min",
                                    tz="UTC"))
    held = calibration_rows(times, {"every_nth_week": 5})
    assert held.mean() == pytest.approx(0.2, abs=0.02)
    weekly = pd.Series(held).groupby(times.dt.floor("7D").to_numpy()).nunique()
    assert (weekly == 1).all()  # epoch weeks, as pandas floors them
    latest = calibration_rows(times, {"last_weeks": 2, "every_nth_week": 5})
    assert latest[-1] and not latest[0]
    assert times[latest].min() == times.max().floor("7D") - pd.Timedelta(days=7)
