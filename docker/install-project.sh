#!/bin/sh
# The project installed editable from /app, so the Kedro project root (/app: conf/,
# pyproject.toml) and the package are one copy; used by both images' last layers.
# conf/local is git- and docker-ignored (secrets) but Kedro expects it to exist.
# Only the data, artifact and Prefect-home directories are writable by the app
# user; code stays root-owned. Named volumes mounted there inherit that ownership.
set -eu
pip install --no-deps --no-build-isolation -e /app
mkdir -p /app/data /app/conf/local /var/lib/mlflow/artifacts /home/app/.prefect
chown -R app:app /app/data /var/lib/mlflow /home/app/.prefect
