-- Sites: a wind farm is a first-class identity. Every record names its site, and
-- every key starts with it: a turbine id is unique within its site, and two farms
-- may both have a T01. Data stored before sites existed becomes one site,
-- 'default' (created only when there is such data).

CREATE TABLE sites (
    -- Lower-case letters, digits and dashes: it also names the site's model
    -- (windpower-<site_id>), its Prefect runs and its concurrency limits.
    site_id text PRIMARY KEY CHECK (site_id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name text NOT NULL,
    time_zone text NOT NULL DEFAULT 'UTC',
    latitude double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    capacity_kw double precision CHECK (capacity_kw > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO sites (site_id, name)
SELECT 'default', 'Default site (data stored before sites existed)'
WHERE EXISTS (SELECT 1 FROM turbines) OR EXISTS (SELECT 1 FROM readings)
   OR EXISTS (SELECT 1 FROM weather_forecasts) OR EXISTS (SELECT 1 FROM predictions);

-- A constant default is only a catalog entry (no table rewrite); it is dropped at
-- once, so every new row names its site.
ALTER TABLE turbines ADD COLUMN site_id text NOT NULL DEFAULT 'default'
    REFERENCES sites;
ALTER TABLE turbines ALTER COLUMN site_id DROP DEFAULT;
ALTER TABLE turbines DROP CONSTRAINT turbines_pkey;
ALTER TABLE turbines ADD PRIMARY KEY (site_id, turbine_id);

ALTER TABLE readings ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE readings ALTER COLUMN site_id DROP DEFAULT;
ALTER TABLE readings DROP CONSTRAINT readings_pkey;
ALTER TABLE readings ADD PRIMARY KEY (site_id, turbine_id, "timestamp");

ALTER TABLE weather_forecasts ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE weather_forecasts ALTER COLUMN site_id DROP DEFAULT;
ALTER TABLE weather_forecasts DROP CONSTRAINT weather_forecasts_pkey;
ALTER TABLE weather_forecasts
    ADD PRIMARY KEY (site_id, issued_at, "timestamp", turbine_id);

-- A site's farm total is stored beside its turbines' forecasts, as turbine '*'.
ALTER TABLE predictions ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE predictions ALTER COLUMN site_id DROP DEFAULT;
ALTER TABLE predictions DROP CONSTRAINT predictions_pkey;
ALTER TABLE predictions
    ADD PRIMARY KEY (site_id, issued_at, "timestamp", turbine_id, model_version);
DROP INDEX predictions_turbine_timestamp;
CREATE INDEX predictions_site_turbine_timestamp
    ON predictions (site_id, turbine_id, "timestamp");

ALTER TABLE forecast_quality ADD COLUMN site_id text NOT NULL DEFAULT 'default';
ALTER TABLE forecast_quality ALTER COLUMN site_id DROP DEFAULT;
ALTER TABLE forecast_quality DROP CONSTRAINT forecast_quality_pkey;
ALTER TABLE forecast_quality
    ADD PRIMARY KEY (site_id, day, turbine_id, horizon_band, model_version);

-- The site a rejected row or a read file was for (NULL: refused before it was
-- known).
ALTER TABLE rejected_rows ADD COLUMN site_id text;
ALTER TABLE ingested_files ADD COLUMN site_id text;
