"""The farm total: the summed P50 with a band calibrated on the farm's own
held-out residuals, not the sum of the turbines' quantiles."""

import numpy as np
import pandas as pd
import pytest

from windpower.contract import check_turbines
from windpower.errors import ContractError
from windpower.farm_total import FARM, calibrate, farm_rows

pytestmark = pytest.mark.unit
EDGES = [0, 6, 24, 48]
ISSUE = pd.Timestamp("2026-03-01T00:00Z")


def _held_out(n_issues: int = 60, seed: int = 0) -> pd.DataFrame:
    """Two turbines whose errors share a common part: the farm's error is not
    the sum of independent ones."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_issues):
        issued = ISSUE + pd.Timedelta(hours=6 * k)
        for lead in (1, 12, 30):
            common = rng.normal(0, 200)
            for turbine in ("T1", "T2"):
                rows.append({"issued_at": issued, "lead_h": float(lead),
                             "timestamp": issued + pd.Timedelta(hours=lead),
                             "turbine_id": turbine, "rated_kw": 2000.0,
                             "p50_kw": 1000.0,
                             "actual_kw": 1000.0 + common + rng.normal(0, 50)})
    return pd.DataFrame(rows)


def test_farm_band_covers_its_calibration_share_per_lead_band():
    held = _held_out()
    band = calibrate(held, n_turbines=2, edges_h=EDGES)
    assert set(band["offsets"]) == {"0-6h", "6-24h", "24-48h"}
    farm = held.groupby(["issued_at", "timestamp"])[["actual_kw", "p50_kw"]].sum()
    residual = (farm["actual_kw"] - farm["p50_kw"]) / 4000.0
    low, high = band["offsets"]["0-6h"]
    assert low < 0 < high
    inside = residual.between(min(o[0] for o in band["offsets"].values()),
                              max(o[1] for o in band["offsets"].values()))
    assert 0.7 <= inside.mean() <= 1.0


def test_an_incomplete_target_time_is_left_out():
    held = _held_out(n_issues=40)
    short = held.drop(held.index[held["turbine_id"].eq("T2")][:40])
    assert calibrate(short, 2, EDGES)["samples"]["0-6h"] < calibrate(
        held, 2, EDGES)["samples"]["0-6h"]


def test_farm_rows_sum_p50_and_place_the_band_around_it():
    predictions = pd.DataFrame({
        "issued_at": ISSUE, "timestamp": ISSUE + pd.Timedelta(hours=1),
        "turbine_id": ["T1", "T2"], "model_version": 3, "horizon_minutes": 60,
        "predicted_power_kw": [800.0, 900.0], "p10_power_kw": [500.0, 600.0],
        "p90_power_kw": [1100.0, 1200.0], "mlflow_run_id": "r"})
    band = {"edges_h": EDGES, "offsets": {"0-6h": [-0.1, 0.05]}}
    rated = pd.Series({"T1": 2000.0, "T2": 2000.0})

    (row,) = farm_rows(predictions, rated, band).to_dict("records")

    assert row["turbine_id"] == FARM and row["predicted_power_kw"] == 1700.0
    assert row["p10_power_kw"] == pytest.approx(1700.0 - 400.0)
    assert row["p90_power_kw"] == pytest.approx(1700.0 + 200.0)
    # Not the sum of the turbines' quantiles.
    assert row["p10_power_kw"] != 1100.0
    # A model without a farm band: the total, with no band.
    (bare,) = farm_rows(predictions, rated, None).to_dict("records")
    assert np.isnan(bare["p10_power_kw"]) and bare["predicted_power_kw"] == 1700.0


def test_a_turbine_may_not_take_the_farm_totals_id():
    table = pd.DataFrame({"turbine_id": ["T1", FARM], "rated_power_kw": 2000.0,
                          "hub_height_m": 90.0, "rotor_diameter_m": 100.0})
    with pytest.raises(ContractError, match="farm total"):
        check_turbines(table)
