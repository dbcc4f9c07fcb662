"""One-time set-up of the platform, run by the one-shot ``setup`` service.

Everything the servers must hold before any flow runs is created here, once, in
one process: the windpower database's schema, the work pools (process and Docker,
``pools.py``), the one-run-at-a-time concurrency limits, the crash automation and
the work-pool deployments (declared in ``prefect.yaml``). The long-running flow
containers start after this exits 0 and only serve their flow,
so two of them can no longer race to create the same object.

  python -m windpower.orchestration.setup

Every step is idempotent: a restart, or ``docker compose up`` on existing
volumes, changes nothing that is already right.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import psycopg2
from prefect.settings import get_current_settings

from windpower import project_root
from windpower.orchestration.crashes import ensure_crash_detection
from windpower.orchestration.guard import FLOW_LIMITS, ensure_concurrency_limit
from windpower.orchestration.pools import PROCESS_POOL, ensure_work_pools
from windpower.store import connect, migrate

logger = logging.getLogger("windpower.setup")

# The process pool the worker serves (prefect.yaml deploys to it and docker-pool).
WORK_POOL = PROCESS_POOL


def deploy_pool_deployments() -> None:
    """Register the work-pool deployments declared in ``prefect.yaml``."""
    # The CLI is Prefect's own way to apply prefect.yaml; it gets this process's
    # server (which a test may have set in-process only).
    api_url = str(get_current_settings().api.url or "")
    subprocess.run(
        ["prefect", "--no-prompt", "deploy", "--all"],
        cwd=project_root(), check=True, stdout=subprocess.DEVNULL,
        env={**os.environ, "PREFECT_API_URL": api_url},
    )
    logger.info("Registered the work-pool deployments of prefect.yaml")


def migrate_store() -> None:
    """Bring the windpower database's schema up to date (versioned migrations)."""
    conn = connect(retries=7)  # ~1 min: the database may still be starting
    try:
        applied = migrate(conn)
    finally:
        conn.close()
    logger.info("Database schema up to date (applied: %s)", ", ".join(applied) or
                "none")


def set_up() -> None:
    """Create or fix every object the flows rely on: schema, then Prefect's."""
    migrate_store()
    set_up_prefect()


def set_up_prefect() -> None:
    """Create or fix every Prefect server object the flows rely on."""
    ensure_work_pools()
    for limit in FLOW_LIMITS:
        ensure_concurrency_limit(limit)
    ensure_crash_detection()
    deploy_pool_deployments()


def main() -> int:
    """Run the set-up; exit 1 with one clear line when a step fails."""
    # Prefect's import configured logging (root at WARNING): say what we do.
    logging.getLogger("windpower").setLevel(logging.INFO)
    try:
        set_up()
    except (subprocess.CalledProcessError, OSError, RuntimeError,
            psycopg2.Error) as error:
        logger.error("set-up failed: %s", error)
        return 1
    logger.info("set-up complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
