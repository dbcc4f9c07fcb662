"""The environment a flow's command line reads: described once (``ENV_HELP``, the
help's epilog), read by ``serve_config_from_env``."""

from __future__ import annotations

import json
import os

from windpower.orchestration.serving.deployments import ServeConfig

ENV_HELP = """\
environment (serve), PREFIX is {prefix}:
  {prefix}_SCHEDULE_CRON              cron schedule; wins over the interval
  {prefix}_SCHEDULE_INTERVAL_MINUTES  interval schedule, anchored on the hour
                                      (default {interval}; 0: no schedule)
  {prefix}_SCHEDULE_TIMEZONE          timezone of the schedule (default UTC)
  {prefix}_PARAMETERS                 default flow parameters, JSON (default {{}})
  {prefix}_TAGS                       comma-separated deployment tags
  {prefix}_DESCRIPTION                deployment description
  {prefix}_RUN_ON_START               start a run at once if the flow never ran
                                      (default {run_on_start})
  {prefix}_EVENTS                     comma-separated windpower.* events that
                                      start a run (default {events}; empty: none)
  {prefix}_RETRAIN_COOLDOWN_HOURS     at most one run per this many hours from
                                      windpower.model.degraded (default 12)
environment (both):
  PREFECT_API_URL      Prefect API; `run` waits for it, unset: a temporary local
                       Prefect server for the run
  MLFLOW_TRACKING_URI  MLflow; `run` waits for an http(s) server, unset: sqlite
                       under MLFLOW_FALLBACK_DIR (said on the last line)
  WINDPOWER_SERVER_WAIT_SECONDS  how long `run` waits for a configured server
                       before it fails with exit 4 (default 60)
  MLFLOW_FALLBACK_DIR  local MLflow store for `run` (default <project>/data/mlflow);
                       a sqlite URI keeps its artifacts in mlartifacts/ next to
                       the database file
  MLFLOW_UI_URL        MLflow UI link in artifacts (default http://localhost:5001)
  KEDRO_ENV            Kedro configuration environment
  LOG_LEVEL            DEBUG also shows the tracebacks of refused input files
"""


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


def serve_config_from_env(prefix: str, defaults: ServeConfig) -> ServeConfig:
    """Read ``<prefix>_*`` variables over ``defaults`` (see ``ENV_HELP``)."""
    env = os.environ
    interval = env.get(f"{prefix}_SCHEDULE_INTERVAL_MINUTES")
    tags = env.get(f"{prefix}_TAGS")
    events = env.get(f"{prefix}_EVENTS")
    cooldown = env.get(f"{prefix}_RETRAIN_COOLDOWN_HOURS")
    return ServeConfig(
        name=defaults.name,
        interval_minutes=float(interval) if interval else defaults.interval_minutes,
        cron=env.get(f"{prefix}_SCHEDULE_CRON") or defaults.cron,
        timezone=env.get(f"{prefix}_SCHEDULE_TIMEZONE") or defaults.timezone,
        parameters=json.loads(env.get(f"{prefix}_PARAMETERS") or "{}")
        or defaults.parameters,
        tags=[t.strip() for t in tags.split(",") if t.strip()]
        if tags
        else defaults.tags,
        description=env.get(f"{prefix}_DESCRIPTION") or defaults.description,
        run_on_start=_env_flag(f"{prefix}_RUN_ON_START", defaults.run_on_start),
        events=defaults.events if events is None else tuple(
            e.strip() for e in events.split(",") if e.strip()),
        retrain_cooldown_hours=float(cooldown) if cooldown
        else defaults.retrain_cooldown_hours,
    )
