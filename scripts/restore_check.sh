#!/usr/bin/env bash
# The backup's end-to-end check: back up the running stack (COMPOSE_PROJECT_NAME,
# default windpower), restore it into fresh volumes of a throwaway project
# (RESTORE_PROJECT, default <project>-restore, random host ports, every served
# schedule at 1 minute), take its containers down and up again (state lives in
# volumes) and run tests/e2e/test_restore.py in it.
# Always removes the throwaway project (volumes included); prints its duration.
#   scripts/restore_check.sh           back up the running stack now, and check it
#   scripts/restore_check.sh BACKUP    check a backup taken before (CI: .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

if [ $# -eq 0 ]; then
    out=$(docker compose run --rm backup)
    echo "$out" | tail -1
    name=$(sed -n 's/^backup complete: \([^ ]*\) .*/\1/p' <<<"$out")
else
    name=$1
fi
manifest=$(cat "${BACKUP_DIR:-./backups}/$name/manifest.json")

export COMPOSE_PROJECT_NAME=${RESTORE_PROJECT:-${COMPOSE_PROJECT_NAME:-windpower}-restore}
# Port 0: Docker picks free host ports, so the throwaway stack never collides.
export PREFECT_PORT=0 MLFLOW_PORT=0 FORECAST_UI_PORT=0
export INGEST_SCHEDULE_INTERVAL_MINUTES=1 INFERENCE_SCHEDULE_INTERVAL_MINUTES=1 \
    MONITORING_SCHEDULE_INTERVAL_MINUTES=1 TRAINING_SCHEDULE_INTERVAL_MINUTES=1
cleanup() { docker compose --profile tools --profile ops down -v --remove-orphans \
    >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup  # fresh volumes
docker compose run --rm restore "$name"
# Containers removed, volumes kept: what the tests then find lived in the volumes,
# so this is also the check that the stack's state survives `down` and `up`.
docker compose down
docker compose up -d --wait
docker compose run --rm -e WINDPOWER_RESTORE_MANIFEST="$manifest" trainer \
    pytest -m restore tests/e2e/test_restore.py
echo "restore check: $(( $(date +%s) - start )) s (backup, restore, up, tests)," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
