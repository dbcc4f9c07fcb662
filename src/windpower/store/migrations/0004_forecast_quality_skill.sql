-- Forecast quality against persistence (the power measured before the issue), the
-- pinball loss of P10/P50/P90 and the band's width: the forecast judged as issued.
ALTER TABLE forecast_quality
    ADD COLUMN persistence_mae_kw double precision,
    ADD COLUMN skill_vs_persistence double precision,
    ADD COLUMN pinball_kw double precision,
    ADD COLUMN interval_width_kw double precision;
