-- Where each forecast and quality figure came from: the Prefect flow run that
-- wrote the row (recorded with it, never compared, as as_of), and for quality the
-- MLflow run that computed it (NULL until the writer knows it). The forecast page
-- links each number to these runs.
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS flow_run_id text;
ALTER TABLE forecast_quality ADD COLUMN IF NOT EXISTS flow_run_id text,
    ADD COLUMN IF NOT EXISTS mlflow_run_id text;

-- The forecast page reads as windpower_reader (docker/postgres/init-databases.sh
-- creates it on a fresh volume): SELECT on every table, now and later, nothing
-- else. Where the role does not exist (an older volume, the store's tests) this
-- is a no-op; docs/forecast-page.md says how to add it by hand.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'windpower_reader') THEN
        EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(current_schema())
            || ' TO windpower_reader';
        EXECUTE 'GRANT SELECT ON ALL TABLES IN SCHEMA '
            || quote_ident(current_schema()) || ' TO windpower_reader';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA '
            || quote_ident(current_schema())
            || ' GRANT SELECT ON TABLES TO windpower_reader';
    END IF;
END $$;
