"""The set-up's steps, each idempotent: the schema, then Prefect's objects."""

from __future__ import annotations

import logging
import os
import subprocess

from prefect.settings import get_current_settings

from windpower import project_root
from windpower.orchestration.flows.guard import FLOW_LIMITS, ensure_concurrency_limit
from windpower.orchestration.setup.crashes import ensure_crash_detection
from windpower.orchestration.setup.pools import PROCESS_POOL, ensure_work_pools
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
