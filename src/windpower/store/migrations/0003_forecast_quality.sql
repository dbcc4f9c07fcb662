-- Daily forecast quality per turbine, horizon band and model version (written by
-- the monitoring flow).

CREATE TABLE forecast_quality (
    day date NOT NULL,
    turbine_id text NOT NULL,
    horizon_band text NOT NULL CHECK (horizon_band IN ('0-6h', '6-24h', '24-48h')),
    model_version integer NOT NULL,
    "rows" integer NOT NULL,
    mae_kw double precision NOT NULL,
    bias_kw double precision NOT NULL,
    rmse_kw double precision NOT NULL,
    mae_pct_rated double precision NOT NULL,
    baseline_mae_kw double precision NOT NULL,
    skill double precision NOT NULL,
    coverage_p10_p90 double precision,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, turbine_id, horizon_band, model_version)
);
