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
from windpower.store.sites import DEFAULT_SITE, model_name

logger = logging.getLogger(__name__)

# A one-off historic load: files named in the environment, ingested like inbox
# files, each of the kind its variable declares.
ONE_OFF_VARIABLES = {"TURBINES_PATH": "turbines", "SCADA_PATH": "scada",
                     "FORECAST_PATH": "forecast"}
# Inbox folders that declare their files' kind; files in the inbox itself are
# of the kind their header leaves no doubt about.
INBOX_FOLDERS = {"turbines": "turbines", "scada": "scada", "forecasts": "forecast"}


def new_files(inbox: Path, site: str = DEFAULT_SITE
              ) -> list[tuple[Path, str | None, str]]:
    """The one-off files named in the environment (for ``site``), then the
    inbox's files (not hidden), each with its declared kind (None: from its
    header) and its site, turbine tables first so their turbines are known, then
    oldest first.

    ``inbox/<site>/`` (and its kind folders) holds a site's files; the inbox
    itself and its kind folders hold ``site``'s. Files seen before are skipped
    later, by checksum. A file of any suffix is handed to the contract, which
    refuses it by name: a user who drops ``power.xlsx`` learns why it was not used.
    """
    named = [(Path(os.environ[v]), kind, site)
             for v, kind in ONE_OFF_VARIABLES.items() if os.environ.get(v)]
    roots = [(inbox, site)] + ([(d, d.name) for d in sorted(inbox.iterdir())
                                if d.is_dir() and d.name not in INBOX_FOLDERS
                                and not d.name.startswith(".")]
                               if inbox.is_dir() else [])
    dropped = sorted(_dropped(roots), key=lambda f: (f[0].stat().st_mtime, f[0].name))
    return sorted(named + dropped, key=lambda f: turbines_first(f[0], f[1]))


def _dropped(roots: list[tuple[Path, str]]) -> list[tuple[Path, str | None, str]]:
    """The files of each (folder, site) and of its kind folders."""
    folders = [(root / name, kind, site) for root, site in roots
               for name, kind in [("", None), *INBOX_FOLDERS.items()]]
    return [(p, kind, site) for folder, kind, site in folders if folder.is_dir()
            for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]


def announce(site: str, as_of: str, issued: list[str]) -> None:
    """Emit what the other flows act on for ``site``, as soon as its data is
    stored: a new forecast (``issued``) to score with the site's champion, or, on
    a new site, readings and no champion yet."""
    if resolve_alias(model_name(site)) is None:
        _ask_for_first_model(site, as_of)
    elif issued:
        emit_forecast_issued(site, as_of, issued)


def announce_files(files: list[dict[str, Any]], as_of: str) -> None:
    """``announce`` each site that files were ingested for."""
    for site in sorted({f["site"] for f in files if f["status"] == "ingested"}):
        announce(site, as_of, [f["name"] for f in files if f["site"] == site
                               and f["kind"] == "forecast" and f["rows_written"]])


def _ask_for_first_model(site: str, as_of: str) -> None:
    """Emit ``windpower.model.missing`` for a site with readings, unless its
    training is already underway."""
    conn = connect()
    try:
        newest = last_reading_time(conn, site)
    finally:
        conn.close()
    if newest is None:
        return
    if has_run("training-flow", UNDERWAY, site=site):
        logger.info("%s: no champion yet; a training run is already underway.", site)
        return
    # Training then announces its champion, which inference scores.
    logger.info("%s: readings stored and no champion yet: asking for a first model.",
                site)
    emit_model_missing(site, as_of, newest.isoformat())


@task(task_run_name="ingest_file {site}/{path.name}")
def ingest_one_file(path: Path, kind: str | None, site: str, as_of: pd.Timestamp,
                    rules: dict[str, Any]) -> dict[str, Any]:
    """Ingest one file for ``site`` (skipped when its bytes were ingested before)."""
    conn = connect()
    try:
        result = ingest_file(conn, path, as_of, params=rules, kind=kind, site=site)
        return asdict(result) | {"path": str(path), "site": site}
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
