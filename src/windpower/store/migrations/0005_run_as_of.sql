-- The as_of of the run that wrote each prediction and forecast-quality row: a
-- replay or a backfill says which simulated time produced what it wrote. Written
-- with the row and never compared (a re-run at another as_of adds nothing);
-- empty for rows written before this column existed.
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS as_of timestamptz;
ALTER TABLE forecast_quality ADD COLUMN IF NOT EXISTS as_of timestamptz;
