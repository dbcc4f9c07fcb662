"""Retention of the windpower tables and of MLflow's runs and model versions.

Everything is kept unless a limit is set (``.env.example``: ``*_RETENTION_DAYS``).
A model version that holds an alias (``champion``, ``challenger``, any other) is
never deleted, nor is the run it comes from, nor that run's parent.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from mlflow import MlflowClient
from mlflow.entities import RunStatus, ViewType
from psycopg2.extensions import connection as Connection
from psycopg2.sql import SQL, Identifier

logger = logging.getLogger(__name__)

# Table -> the time column its retention counts from.
STORE_TABLES = {
    "readings": "timestamp",
    "weather_forecasts": "issued_at",
    "predictions": "issued_at",
    "forecast_quality": "day",
}
RUN_PARENT_TAG = "mlflow.parentRunId"


def _days(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    return float(value) if value else None


@dataclass(frozen=True)
class Retention:
    """Days to keep, per kind of record; ``None`` keeps everything."""

    store: dict[str, float | None]
    mlflow_runs: float | None = None
    model_versions: float | None = None

    @classmethod
    def from_env(cls) -> Retention:
        """``<TABLE>_RETENTION_DAYS``, ``MLFLOW_RUN_RETENTION_DAYS``,
        ``MLFLOW_MODEL_VERSION_RETENTION_DAYS`` (empty or unset: keep all)."""
        return cls(
            store={t: _days(f"{t.upper()}_RETENTION_DAYS") for t in STORE_TABLES},
            mlflow_runs=_days("MLFLOW_RUN_RETENTION_DAYS"),
            model_versions=_days("MLFLOW_MODEL_VERSION_RETENTION_DAYS"),
        )


def prune_store(conn: Connection, days: dict[str, float | None], now: datetime
                ) -> dict[str, int]:
    """Delete rows older than each table's limit; returns rows deleted per table."""
    deleted: dict[str, int] = {}
    with conn, conn.cursor() as cursor:
        for table, limit in days.items():
            if limit is None:
                continue
            cursor.execute(
                SQL("DELETE FROM {} WHERE {} < %s").format(
                    Identifier(table), Identifier(STORE_TABLES[table])),
                (now - timedelta(days=limit),))
            deleted[table] = cursor.rowcount
    return deleted


def _cutoff_ms(now: datetime, days: float) -> int:
    return int((now - timedelta(days=days)).timestamp() * 1000)


def prune_model_versions(client: MlflowClient, days: float | None, now: datetime
                         ) -> tuple[list[str], set[str]]:
    """Delete unaliased versions created more than ``days`` ago.

    Returns:
        The deleted versions (``name/version``) and the runs of the kept ones.
    """
    deleted, kept_runs = [], set()
    cutoff = _cutoff_ms(now, days) if days is not None else None
    for model in client.search_registered_models():
        aliased = set(model.aliases.values())
        for version in client.search_model_versions(f"name = '{model.name}'"):
            if (cutoff is None or version.version in aliased
                    or version.creation_timestamp >= cutoff):
                kept_runs.add(version.run_id)
                continue
            client.delete_model_version(model.name, version.version)
            deleted.append(f"{model.name}/{version.version}")
    return deleted, {r for r in kept_runs if r}


def _delete_logged_models(client: MlflowClient, experiments: list[str],
                          run_id: str) -> None:
    """MLflow 3 keeps a model's files in a logged model of its run: delete those
    too, so ``mlflow gc`` removes their artifacts with the run's."""
    for model in client.search_logged_models(
            experiments, filter_string=f"source_run_id = '{run_id}'"):
        client.delete_logged_model(model.model_id)


def _protected(client: MlflowClient, runs: set[str]) -> set[str]:
    """``runs`` and their parents (a nested run's parent holds its context)."""
    parents = {client.get_run(r).data.tags.get(RUN_PARENT_TAG) for r in runs}
    return runs | {p for p in parents if p}


def prune_runs(client: MlflowClient, days: float | None, now: datetime,
               kept_runs: set[str]) -> list[str]:
    """Delete finished runs started more than ``days`` ago that no kept model
    version comes from; returns their ids. MLflow marks them deleted: ``mlflow
    gc`` removes them and their artifacts for good."""
    if days is None:
        return []
    protected = _protected(client, kept_runs)
    experiments = [e.experiment_id for e in client.search_experiments()]
    deleted = []
    for run in client.search_runs(
            experiments, f"attributes.start_time < {_cutoff_ms(now, days)}",
            run_view_type=ViewType.ACTIVE_ONLY, max_results=5000):
        if (run.info.run_id in protected
                or run.info.status == RunStatus.to_string(RunStatus.RUNNING)):
            continue
        _delete_logged_models(client, experiments, run.info.run_id)
        client.delete_run(run.info.run_id)
        deleted.append(run.info.run_id)
    return deleted
