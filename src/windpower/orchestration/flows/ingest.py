"""Prefect tasks of the ingest flow: inbox files into Postgres, a refusal made
known, and what is new announced (the demo farm's tasks: ``demo.py``).

The data work is ``windpower.store`` (contract checks, COPY upserts, checksums)
and ``windpower.demo_farm``; these tasks only decide what is new and report it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task

from windpower.datasets.mlflow_datasets import resolve_alias
from windpower.errors import ContractError
from windpower.orchestration.serving.deployments import UNDERWAY, has_run
from windpower.orchestration.serving.events import (
    emit_forecast_issued,
    emit_model_missing,
)
from windpower.store import connect
from windpower.store.ingest import ingest_file, turbines_first
from windpower.store.readers import last_reading_time

logger = logging.getLogger(__name__)

# A one-off historic load: files named in the environment, ingested like inbox
# files, each of the kind its variable declares.
ONE_OFF_VARIABLES = {"TURBINES_PATH": "turbines", "SCADA_PATH": "scada",
                     "FORECAST_PATH": "forecast"}
# Inbox folders that declare their files' kind; files in the inbox itself are
# of the kind their header leaves no doubt about.
INBOX_FOLDERS = {"turbines": "turbines", "scada": "scada", "forecasts": "forecast"}
MODEL_NAME = "windpower"


def new_files(inbox: Path) -> list[tuple[Path, str | None]]:
    """The one-off files named in the environment, then the inbox's files (not
    hidden), each with its declared kind (None: from its header), turbine tables
    first so their turbines are known, then oldest first.

    Files seen before are skipped later, by checksum. A file of any suffix is
    handed to the contract, which refuses it by name: a user who drops
    ``power.xlsx`` learns why it was not used.
    """
    named = [(Path(os.environ[v]), kind) for v, kind in ONE_OFF_VARIABLES.items()
             if os.environ.get(v)]
    folders = [(inbox, None)] + [(inbox / name, kind)
                                 for name, kind in INBOX_FOLDERS.items()]
    dropped = sorted(((p, kind) for folder, kind in folders if folder.is_dir()
                      for p in folder.iterdir()
                      if p.is_file() and not p.name.startswith(".")),
                     key=lambda f: (f[0].stat().st_mtime, f[0].name))
    return sorted(named + dropped, key=lambda f: turbines_first(*f))


def announce(summary: dict[str, Any]) -> None:
    """Emit what the other flows act on: a new forecast to score with the
    champion, or, on a fresh stack, readings and no champion yet."""
    as_of = summary["as_of"]
    if resolve_alias(MODEL_NAME) is not None:
        issued = list(summary["demo_forecasts"]["issued"])
        issued += [f["name"] for f in summary["files"]
                   if f["kind"] == "forecast" and f["rows_written"]]
        if issued:
            emit_forecast_issued(as_of, issued)
        return
    conn = connect()
    try:
        newest = last_reading_time(conn)
    finally:
        conn.close()
    if newest is None:
        return
    if has_run("training-flow", UNDERWAY):
        logger.info("No champion yet; a training run is already underway.")
        return
    # Training then announces its champion, which inference scores.
    logger.info("Readings stored and no champion yet: asking for a first model.")
    emit_model_missing(as_of, newest.isoformat())


@task(task_run_name="ingest_file {path.name}")
def ingest_one_file(path: Path, kind: str | None, as_of: pd.Timestamp,
                    rules: dict[str, Any]) -> dict[str, Any]:
    """Ingest one file (skipped when its bytes were ingested before)."""
    conn = connect()
    try:
        result = ingest_file(conn, path, as_of, params=rules, kind=kind)
        return asdict(result) | {"path": str(path)}
    finally:
        conn.close()


def raise_first_refusal(files: list[dict[str, Any]]) -> None:
    """End the run failed, naming the first refused file's column and rule, once
    every other file is stored: a refused file never blocks the others, but the
    user learns of it (exit 3 from ``run``, a failed run in the UI)."""
    refused = [f for f in files if f["status"] == "refused"]
    if not refused:
        return
    first = refused[0]
    more = f" ({len(refused) - 1} more refused: see the ingest report)" if len(
        refused) > 1 else ""
    raise ContractError(first["path"], first["column"] or "*",
                        (first["rule"] or first["error"]) + more)
