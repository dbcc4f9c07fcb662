#!/bin/bash
# Runs once, when the postgres volume is first initialised (official image contract).
# One database per concern, each owned by its own login role, so Prefect, MLflow and
# the app can only touch their own data (least privilege).
set -euo pipefail

create_db() {  # create_db <role> <password> <database>
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=role="$1" --set=password="$2" --set=db="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}

create_db prefect "$PREFECT_DB_PASSWORD" prefect
create_db mlflow "$MLFLOW_DB_PASSWORD" mlflow
create_db windpower "$WINDPOWER_DB_PASSWORD" windpower

# The forecast page's role: it may connect to the windpower database and read
# (migration 0007 grants SELECT), never write. Only made when a password is set.
if [ -n "${FORECAST_UI_DB_PASSWORD:-}" ]; then
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=password="$FORECAST_UI_DB_PASSWORD" <<'SQL'
CREATE ROLE windpower_reader LOGIN PASSWORD :'password';
GRANT CONNECT ON DATABASE windpower TO windpower_reader;
SQL
fi
