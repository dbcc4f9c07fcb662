#!/bin/bash
# `docker compose run --rm backup`: the three databases and the two state volumes
# (MLflow's artifacts, Prefect's home) into $BACKUP_ROOT/<UTC time>/, while the stack
# runs. Each pg_dump is one consistent snapshot of its database. The parts are taken
# in the order they reference each other (prefect, windpower, mlflow, then the
# artifacts), so whatever an earlier part points to is in a later one: the newest
# predictions' model versions are in the mlflow dump, their files in the archive.
# A directory without the .partial suffix is complete (it is renamed last).
set -euo pipefail

root=${BACKUP_ROOT:-/backups}
name=$(date -u +%Y%m%dT%H%M%SZ)
work="$root/$name.partial"
mkdir -p "$work"
trap 'rm -rf "$work"' ERR

q() { psql -v ON_ERROR_STOP=1 -X -tA -d "$1" -c "$2"; }  # q <database> <sql>

# What the backup holds, counted before the dumps: lower bounds a restore must meet.
cat > "$work/manifest.json" <<JSON
{
  "created": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "server_version": "$(q postgres 'show server_version')",
  "flow_runs": $(q prefect 'select count(*) from flow_run where start_time is not null'),
  "newest_completed_flow_run": "$(q prefect "select id from flow_run where state_type = 'COMPLETED' order by end_time desc limit 1")",
  "deployments": $(q prefect 'select count(*) from deployment'),
  "experiments": $(q mlflow "select count(*) from experiments where lifecycle_stage = 'active'"),
  "model_versions": $(q mlflow "select count(*) from model_versions where current_stage <> 'Deleted_Internal'"),
  "aliases": {$(q mlflow "select string_agg(format('\"%s@%s\": \"%s\"', name, alias, version), ', ' order by name, alias) from registered_model_aliases")},
  "readings": $(q windpower 'select count(*) from readings'),
  "predictions": $(q windpower 'select count(*) from predictions')
}
JSON

for db in prefect windpower mlflow; do
    # Custom format: compressed, and pg_restore can check and reorder it.
    pg_dump --format=custom --dbname="$db" --file="$work/$db.dump"
done
tar -C /var/lib/mlflow -czf "$work/mlflow-artifacts.tar.gz" .
# Prefect's home holds the leases of the concurrency slots (filesystem storage):
# with them, a slot held by a run at backup time is released after a restore.
tar -C /home/app/.prefect -czf "$work/prefect-home.tar.gz" .

(cd "$work" && sha256sum -- *.dump *.tar.gz manifest.json > SHA256SUMS)
mv "$work" "$root/$name"
trap - ERR
# Owned like the directory it lands in (the host user's), not root.
chown -R "$(stat -c %u:%g "$root")" "$root/$name"
du -sh "$root/$name"/* | sed "s|$root/||"
echo "backup complete: $name (restore: docker compose run --rm restore $name)"
