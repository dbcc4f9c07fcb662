#!/bin/bash
# `docker compose run --rm restore <backup>`: a backup written by backup.sh into
# FRESH volumes (after `docker compose down -v`, or in another compose project);
# then `docker compose up -d`. It refuses to overwrite: any table in the three
# databases or any MLflow artifact already there stops it before it changes a thing.
set -euo pipefail

root=${BACKUP_ROOT:-/backups}
if [ $# -ne 1 ]; then
    echo "usage: docker compose run --rm restore <backup>  (a directory of $root," \
         "e.g. $(ls "$root" 2>/dev/null | grep -v partial | tail -1))" >&2
    exit 2
fi
dir="$root/$(basename "$1")"
[ -f "$dir/SHA256SUMS" ] || { echo "restore: no complete backup at $dir" >&2; exit 2; }
(cd "$dir" && sha256sum --quiet --check SHA256SUMS)

q() { psql -v ON_ERROR_STOP=1 -X -tA -d "$1" -c "$2"; }  # q <database> <sql>

for db in prefect windpower mlflow; do
    tables=$(q "$db" "select count(*) from pg_tables where schemaname = 'public'")
    if [ "$tables" != 0 ]; then
        echo "restore: database $db already has $tables tables; restore goes into" \
             "fresh volumes (docker compose down -v first)" >&2
        exit 3
    fi
done
if [ -n "$(ls -A /var/lib/mlflow/artifacts 2>/dev/null)" ]; then
    echo "restore: MLflow artifacts already present; use fresh volumes" >&2
    exit 3
fi

for db in prefect windpower mlflow; do
    # As the superuser: objects keep their owners (the roles init-databases.sh made).
    pg_restore --exit-on-error --dbname="$db" "$dir/$db.dump"
    q "$db" "analyze" > /dev/null
done
tar -C /var/lib/mlflow -xzf "$dir/mlflow-artifacts.tar.gz"
tar -C /home/app/.prefect -xzf "$dir/prefect-home.tar.gz"
# The services run as uid 1000 (docker/Dockerfile); the volumes' roots must be theirs.
chown 1000:1000 /var/lib/mlflow /home/app/.prefect
echo "restore complete: $(basename "$dir") ($(sed -n 's/.*"created": "\(.*\)".*/\1/p' \
    "$dir/manifest.json")); now: docker compose up -d --wait"
