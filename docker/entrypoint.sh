#!/bin/sh
# Entrypoint of every Python service.
set -e

# Optional authentication, switched on from .env. Prefect and MLflow treat a set-but-
# empty variable as "auth on with an empty secret", so the real settings are exported
# only when a value is given.
if [ -n "${PREFECT_AUTH_STRING:-}" ]; then
    # The server checks it; every client (worker, flows, trainer) sends it.
    export PREFECT_SERVER_API_AUTH_STRING="$PREFECT_AUTH_STRING"
    export PREFECT_API_AUTH_STRING="$PREFECT_AUTH_STRING"
fi
if [ -n "${MLFLOW_AUTH_PASSWORD:-}" ]; then
    export MLFLOW_AUTH_ADMIN_USERNAME="${MLFLOW_AUTH_USERNAME:-admin}"
    export MLFLOW_AUTH_ADMIN_PASSWORD="$MLFLOW_AUTH_PASSWORD"
    export MLFLOW_AUTH_CONFIG_PATH=/app/docker/mlflow/basic_auth.ini
    export MLFLOW_SERVER_APP="--app-name=basic-auth"
    # The auth app's CSRF protection needs a key that is stable across restarts:
    # derived from the password unless .env gives one.
    MLFLOW_FLASK_SERVER_SECRET_KEY="${MLFLOW_FLASK_SERVER_SECRET_KEY:-$(
        printf '%s' "csrf:$MLFLOW_AUTH_PASSWORD" | sha256sum | cut -d' ' -f1)}"
    export MLFLOW_FLASK_SERVER_SECRET_KEY
    export MLFLOW_TRACKING_USERNAME="$MLFLOW_AUTH_ADMIN_USERNAME"
    export MLFLOW_TRACKING_PASSWORD="$MLFLOW_AUTH_PASSWORD"
fi
unset PREFECT_AUTH_STRING MLFLOW_AUTH_USERNAME MLFLOW_AUTH_PASSWORD

# Services run as the unprivileged `app` user. Only the trainer starts as root, and
# only to join the group that owns the mounted Docker socket (its gid differs between
# hosts), then drops to `app` before running anything.
if [ "$(id -u)" = "0" ]; then
    groups=app
    if [ -S /var/run/docker.sock ]; then
        groups="app,$(stat -c %g /var/run/docker.sock)"
    fi
    exec setpriv --reuid=app --regid=app --groups="$groups" --inh-caps=-all \
        env HOME=/home/app "$@"
fi
exec "$@"
