"""The tables monitoring reads and writes, as the common brief specifies them.

Stand-in for ``python -m windpower.store migrate`` until the store branch is
merged: swap ``create_tables`` for it then.
"""

import io

import pandas as pd
import psycopg2

TABLES = """
DROP TABLE IF EXISTS turbines, readings, weather_forecasts, predictions,
    forecast_quality;
CREATE TABLE turbines (
    turbine_id text PRIMARY KEY, rated_power_kw float8 NOT NULL,
    hub_height_m float8 NOT NULL, rotor_diameter_m float8 NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE readings (
    turbine_id text NOT NULL, "timestamp" timestamptz NOT NULL,
    wind_speed float8 NOT NULL, wind_direction float8 NOT NULL,
    ambient_temperature float8 NOT NULL, power_kw float8 NOT NULL,
    pitch_angle float8, ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (turbine_id, "timestamp"));
CREATE TABLE weather_forecasts (
    issued_at timestamptz NOT NULL, "timestamp" timestamptz NOT NULL,
    turbine_id text NOT NULL, wind_speed float8 NOT NULL,
    wind_direction float8 NOT NULL, ambient_temperature float8 NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issued_at, "timestamp", turbine_id));
CREATE TABLE predictions (
    issued_at timestamptz NOT NULL, "timestamp" timestamptz NOT NULL,
    turbine_id text NOT NULL, model_version integer NOT NULL,
    horizon_minutes integer NOT NULL, predicted_power_kw float8 NOT NULL,
    p10_power_kw float8, p90_power_kw float8, mlflow_run_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issued_at, "timestamp", turbine_id, model_version));
CREATE INDEX predictions_turbine_timestamp ON predictions (turbine_id, "timestamp");
CREATE TABLE forecast_quality (
    day date NOT NULL, turbine_id text NOT NULL,
    horizon_band text NOT NULL CHECK (horizon_band IN ('0-6h', '6-24h', '24-48h')),
    model_version integer NOT NULL, "rows" integer NOT NULL,
    mae_kw float8 NOT NULL, bias_kw float8 NOT NULL, rmse_kw float8 NOT NULL,
    mae_pct_rated float8 NOT NULL, baseline_mae_kw float8 NOT NULL,
    skill float8 NOT NULL, coverage_p10_p90 float8,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, turbine_id, horizon_band, model_version));
"""


def create_tables(db_url: str) -> None:
    """(Re)create the monitoring tables, empty."""
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute(TABLES)
    connection.close()


def copy_frame(db_url: str, table: str, frame: pd.DataFrame) -> None:
    """Bulk-load a frame into ``table`` (COPY, columns by name)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)",
                           buffer)
    connection.close()
