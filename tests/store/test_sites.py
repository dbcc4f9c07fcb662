"""Sites: each wind farm's records apart, the same turbine ids in two farms, and
a site that must be known before its data is taken."""

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import load_params
from windpower.demo_farm import DemoFarm
from windpower.model_inputs import model_input
from windpower.pipelines.data_processing.nodes import (
    build_model_input,
    flag_operation,
    validate_readings,
    validate_turbines,
)
from windpower.store.ingest import ingest_file, ingest_frame
from windpower.store.readers import read_readings, read_turbines
from windpower.store.sites import Site, register_site, site_ids

from .conftest import count

# Each test talks to a real Postgres (conftest: a testcontainer).
pytestmark = pytest.mark.integration

END = pd.Timestamp("2026-03-02T00:00:00Z")
RULES = load_params("data_processing")


def _store_farm(conn, site: str, farm: DemoFarm) -> None:
    register_site(conn, Site(site, site.title()))
    data = farm.dataset(END, days=5, forecast_hours=12)
    ingest_frame(conn, "turbines", data["turbines"], site, END, params=RULES,
                 site=site)
    ingest_frame(conn, "scada", data["scada"], site, END, params=RULES, site=site)


def _features(conn, site: str) -> pd.DataFrame:
    """The site's model input, as the data-processing nodes build it."""
    turbines = validate_turbines(read_turbines(conn, site, END))
    readings, _, _ = validate_readings(read_readings(conn, site, None, END),
                                       turbines, RULES)
    flagged = flag_operation(readings, turbines, RULES)
    return model_input(build_model_input(flagged, turbines, RULES))


def test_features_of_one_site_are_unchanged_by_adding_another(conn):
    _store_farm(conn, "north", DemoFarm(seed=3, n_turbines=3))
    before = _features(conn, "north")

    # Another farm with the same turbine ids (T01..) at the same times.
    _store_farm(conn, "south", DemoFarm(seed=9, n_turbines=4))

    after = _features(conn, "north")
    pd.testing.assert_frame_equal(after, before)
    assert sorted(read_turbines(conn, "south")["turbine_id"]) == [
        "T01", "T02", "T03", "T04"]
    assert site_ids(conn) == ["north", "south"]
    assert count(conn, "SELECT count(DISTINCT site_id) FROM readings") == 2


def test_a_file_for_an_unknown_site_is_refused_naming_site_id(conn, tmp_path: Path):
    path = tmp_path / "turbines.csv"
    pd.DataFrame({"turbine_id": ["T01"], "rated_power_kw": [2000.0],
                  "hub_height_m": [90.0], "rotor_diameter_m": [100.0]}
                 ).to_csv(path, index=False)

    result = ingest_file(conn, path, END, params=RULES, site="nowhere")

    assert result.status == "refused"
    assert (result.column, result.rule.split(":")[0]) == (
        "site_id", "unknown site 'nowhere'")
    assert count(conn, "SELECT count(*) FROM turbines") == 0


def test_a_site_id_column_names_the_files_site(conn, tmp_path: Path):
    register_site(conn, Site("east", "East"))
    path = tmp_path / "turbines.csv"
    frame = pd.DataFrame({"site_id": "east", "turbine_id": ["T01", "T02"],
                          "rated_power_kw": 2000.0, "hub_height_m": 90.0,
                          "rotor_diameter_m": 100.0})
    frame.to_csv(path, index=False)
    assert ingest_file(conn, path, END, params=RULES).status == "ingested"
    assert read_turbines(conn, "east")["turbine_id"].tolist() == ["T01", "T02"]

    two = tmp_path / "two.csv"
    frame.assign(site_id=["east", "west"]).to_csv(two, index=False)
    refused = ingest_file(conn, two, END, params=RULES)
    assert (refused.status, refused.column) == ("refused", "site_id")
