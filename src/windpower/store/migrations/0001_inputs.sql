-- The record of every input: turbines, SCADA readings, weather forecasts, the rows
-- the data contract rejected and the files that were read (or refused).
-- No foreign keys to turbines: the contract already rejects unknown turbines, and a
-- per-row RI trigger would cost several seconds per million readings loaded.

CREATE TABLE turbines (
    turbine_id text PRIMARY KEY,
    rated_power_kw double precision NOT NULL,
    hub_height_m double precision NOT NULL,
    rotor_diameter_m double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE readings (
    turbine_id text NOT NULL,
    "timestamp" timestamptz NOT NULL,
    wind_speed double precision NOT NULL,
    wind_direction double precision NOT NULL,
    ambient_temperature double precision NOT NULL,
    power_kw double precision NOT NULL,
    pitch_angle double precision,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (turbine_id, "timestamp")
);
-- Readers ask for a time window over all turbines; rows arrive in time order, so a
-- BRIN index answers that for a few pages of index and almost no cost on load.
CREATE INDEX readings_timestamp_brin ON readings USING brin ("timestamp");

CREATE TABLE weather_forecasts (
    issued_at timestamptz NOT NULL,
    "timestamp" timestamptz NOT NULL,
    turbine_id text NOT NULL,
    wind_speed double precision NOT NULL,
    wind_direction double precision NOT NULL,
    ambient_temperature double precision NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issued_at, "timestamp", turbine_id)
);

CREATE TABLE rejected_rows (
    id bigserial PRIMARY KEY,
    source text NOT NULL,
    kind text NOT NULL,
    turbine_id text,
    "timestamp" timestamptz,
    column_name text NOT NULL,
    rule text NOT NULL,
    row_data jsonb NOT NULL,
    rejected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_rows_source ON rejected_rows (source);

CREATE TABLE ingested_files (
    sha256 text PRIMARY KEY,
    name text NOT NULL,
    size_bytes bigint NOT NULL,
    kind text,  -- NULL when the file was refused before its kind was known
    rows_accepted integer NOT NULL DEFAULT 0,
    rows_rejected integer NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('ingested', 'refused')),
    error text,
    ingested_at timestamptz NOT NULL DEFAULT now()
);
