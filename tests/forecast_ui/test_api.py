"""The forecast API and pages against a real Postgres, read as windpower_reader."""

import csv
import io

import pandas as pd
import psycopg2
import pytest

from tests.forecast_ui.conftest import fetch
from windpower.datasets.sql import PostgresUpsertDataset

pytestmark = pytest.mark.integration
NEWEST = ("SELECT max(issued_at) FROM predictions WHERE site_id = %s")


def test_forecast_csv_is_the_newest_farm_issue_a_spreadsheet_reads(client, owner):
    response = client.get("/api/sites/demo-north/forecast?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    stored = fetch(owner, "SELECT \"timestamp\", horizon_minutes, p10_power_kw, "
                   "predicted_power_kw, p90_power_kw FROM predictions WHERE "
                   "site_id = 'demo-north' AND turbine_id = '*' AND issued_at = ("
                   + NEWEST + ") ORDER BY 1", ("demo-north",))
    assert len(table) == len(stored) > 0
    first, row = stored[0], table[0]
    assert row["timestamp"] == first[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["issued_at"].endswith("Z") and row["turbine_id"] == "*"
    assert int(row["lead_minutes"]) == first[1]
    assert [float(row[k]) for k in ("p10_kw", "p50_kw", "p90_kw")] == [
        pytest.approx(v, abs=0.051) for v in first[2:]]


def test_forecast_of_a_turbine_as_issued_at_an_older_time(client, owner):
    issued = fetch(owner, "SELECT DISTINCT issued_at FROM predictions WHERE "
                   "site_id = 'demo-north' ORDER BY 1 LIMIT 1")[0][0]
    stamp = issued.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = client.get("/api/sites/demo-north/turbines/T02/forecast",
                      params={"issued_at": stamp}).json()
    assert body["issued_at"] == stamp and body["band_available"]
    p90 = fetch(owner, "SELECT p90_power_kw FROM predictions WHERE site_id = "
                "'demo-north' AND turbine_id = 'T02' AND issued_at = %s "
                "ORDER BY \"timestamp\"", (issued,))
    assert [r["p90_kw"] for r in body["rows"]] == [
        pytest.approx(v[0], abs=0.051) for v in p90]
    assert all(r["p10_kw"] <= r["p50_kw"] <= r["p90_kw"] for r in body["rows"])


def test_farm_without_a_stored_total_sums_p50_and_has_no_band(client, owner):
    body = client.get("/api/sites/demo-south/forecast").json()
    assert body["band_available"] is False
    assert all(r["p10_kw"] is None and r["p90_kw"] is None for r in body["rows"])
    total = fetch(owner, "SELECT sum(predicted_power_kw) FROM predictions WHERE "
                  "site_id = 'demo-south' AND issued_at = (" + NEWEST + ") "
                  "GROUP BY \"timestamp\" ORDER BY \"timestamp\"", ("demo-south",))
    assert [r["p50_kw"] for r in body["rows"]] == [
        pytest.approx(t[0], abs=0.051) for t in total]
    page = client.get("/sites/demo-south").text
    assert "band is not available" in page.replace("\n", " ")


def test_unknown_site_or_issue_is_not_found(client):
    assert client.get("/api/sites/nowhere/forecast").status_code == 404
    assert client.get("/api/sites/demo-north/forecast",
                      params={"issued_at": "2001-01-01T00:00:00Z"}).status_code == 404


def test_quality_table_weights_turbines_by_rows_and_links_the_runs(client, owner):
    body = client.get("/api/sites/demo-north/quality?days=3").json()
    day, band = body[0]["day"], body[0]["horizon_band"]
    mae, bias = fetch(owner, "SELECT sum(mae_kw * \"rows\") / sum(\"rows\"), "
                      "sum(bias_kw * \"rows\") / sum(\"rows\") FROM forecast_quality "
                      "WHERE site_id = 'demo-north' AND day = %s AND "
                      "horizon_band = %s AND turbine_id <> '*'", (day, band))[0]
    turbines = fetch(owner, "SELECT count(*) FROM turbines WHERE site_id = "
                     "'demo-north'")[0][0]
    # The turbines only: the farm total ('*') is no turbine.
    assert body[0]["turbines"] == turbines
    assert body[0]["mae_kw"] == pytest.approx(mae)
    assert body[0]["bias_kw"] == pytest.approx(bias)
    assert {r["day"] for r in body} == set(sorted({r["day"] for r in body})[-3:])
    page = client.get("/sites/demo-north/quality").text
    assert "http://localhost:4200/runs/flow-run/11111111-" in page
    # No monitoring run recorded: the model version's training run instead.
    assert "http://localhost:5001/#/runs/0123456789abcdef" in page


def test_quality_page_shows_the_farm_total_apart_from_the_turbines(client, owner):
    page = client.get("/sites/demo-north/quality?days=1").text
    newest, mae = fetch(owner, "SELECT day, mae_kw FROM forecast_quality WHERE "
                        "site_id = 'demo-north' AND turbine_id = '*' AND "
                        "horizon_band = '0-6h' ORDER BY day DESC LIMIT 1")[0]
    farm = page.split('id="farm-quality-table"')[1].split("</table>")[0]
    first = farm.split("<tr>")[2]
    assert "Farm total" in page and "*" not in page.split("<main>")[1]
    assert str(newest) in first and "0-6h" in first
    assert f"{mae:.1f}" in first
    api = client.get("/api/sites/demo-north/quality?days=1&turbine=*").json()
    row = next(r for r in api if r["horizon_band"] == "0-6h")
    assert (row["turbine_id"], row["day"]) == ("*", str(newest))
    assert row["mae_kw"] == pytest.approx(mae)


def test_overview_flags_the_site_whose_forecast_is_late(client):
    page = client.get("/").text
    north = page.split('id="site-demo-north"')[1].split("</section>")[0]
    south = page.split('id="site-demo-south"')[1].split("</section>")[0]
    assert "up to date" in north and "stale" not in north
    assert "stale: forecast" in south


def test_reader_role_cannot_write(forecast_db):
    conn = psycopg2.connect(forecast_db.url("windpower_reader"))
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
        cur.execute("DELETE FROM predictions")
    conn.close()


def test_writer_records_the_prefect_flow_run(forecast_db, owner, monkeypatch):
    monkeypatch.setenv("TEST_OWNER_URL", forecast_db.url("windpower"))
    monkeypatch.setenv("PREFECT__FLOW_RUN_ID", "9a9a9a9a-0000-4000-8000-000000000001")
    with owner.cursor() as cur:
        cur.execute("SELECT * FROM forecast_quality LIMIT 1")
        columns = [c.name for c in cur.description]
        stored = cur.fetchall()
    row = pd.DataFrame(stored, columns=columns).drop(
        columns=["computed_at", "as_of", "flow_run_id", "mlflow_run_id"]).assign(
        site_id="writer-test")
    PostgresUpsertDataset("forecast_quality", ["site_id", "day", "turbine_id",
                          "horizon_band", "model_version"], as_of=None,
                          url_env="TEST_OWNER_URL").save(row)
    owner.commit()
    assert fetch(owner, "SELECT flow_run_id FROM forecast_quality WHERE "
                 "site_id = 'writer-test'") == [
        ("9a9a9a9a-0000-4000-8000-000000000001",)]


def test_basic_auth_when_configured(client, monkeypatch):
    monkeypatch.setenv("FORECAST_UI_USERNAME", "trader")
    monkeypatch.setenv("FORECAST_UI_PASSWORD", "s3cret")
    assert client.get("/").status_code == 401
    assert client.get("/docs").status_code == 401
    assert client.get("/", auth=("trader", "wrong")).status_code == 401
    assert client.get("/", auth=("trader", "s3cret")).status_code == 200
    assert client.get("/health").status_code == 200
