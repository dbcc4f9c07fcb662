-- Predictions keyed by the forecast issue they came from. A database that already
-- holds the first schema (written by PostgresPredictionsDataset: no issued_at, key
-- (timestamp, turbine_id, model_version)) keeps every row: the old rows are issued
-- when they were written (issued_at := created_at), and their horizon follows.

DO $$
BEGIN
    IF to_regclass('predictions') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'predictions'
          AND column_name = 'issued_at'
    ) THEN
        ALTER TABLE predictions RENAME TO predictions_v1;
        ALTER TABLE predictions_v1 RENAME CONSTRAINT predictions_pkey
            TO predictions_v1_pkey;
    END IF;
END $$;

CREATE TABLE predictions (
    issued_at timestamptz NOT NULL,
    "timestamp" timestamptz NOT NULL,
    turbine_id text NOT NULL,
    model_version integer NOT NULL,
    horizon_minutes integer NOT NULL,
    predicted_power_kw double precision NOT NULL,  -- P50
    p10_power_kw double precision,
    p90_power_kw double precision,
    mlflow_run_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issued_at, "timestamp", turbine_id, model_version)
);
-- Monitoring joins predictions to readings by turbine and time.
CREATE INDEX predictions_turbine_timestamp ON predictions (turbine_id, "timestamp");

DO $$
BEGIN
    IF to_regclass('predictions_v1') IS NOT NULL THEN
        INSERT INTO predictions (issued_at, "timestamp", turbine_id, model_version,
                                 horizon_minutes, predicted_power_kw, mlflow_run_id,
                                 created_at)
        SELECT created_at, "timestamp", turbine_id, model_version,
               round(extract(epoch FROM "timestamp" - created_at) / 60)::integer,
               predicted_power_kw, mlflow_run_id, created_at
        FROM predictions_v1;
        DROP TABLE predictions_v1;
    END IF;
END $$;
