"""Ingest contract files (and in-memory frames) into the store, exactly once.

A file is identified by its SHA-256: the same bytes under any name are ingested
once. Its rows, its rejected rows and its ``ingested_files`` record are written in
one transaction, so a crash leaves either all of them or none. The file itself is
only read.
"""

import hashlib
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from windpower.contract.files import read_rows
from windpower.contract.header import detect_kind
from windpower.contract.split import rejected_table, split_rows
from windpower.errors import ContractError
from windpower.store.load import copy_frame, upsert_frame
from windpower.store.readers import read_turbines
from windpower.store.sites import DEFAULT_SITE, require_site

logger = logging.getLogger(__name__)
# A write this large refreshes the table's planner statistics at once: queries
# planned without them (a fresh back-fill, before autovacuum's next pass) chose
# far slower plans (docs/performance.md).
ANALYZE_AFTER_ROWS = 50_000
# Each kind's table and key; every key starts with the site.
TABLES = {"scada": ("readings", ["site_id", "turbine_id", "timestamp"]),
          "forecast": ("weather_forecasts",
                       ["site_id", "issued_at", "timestamp", "turbine_id"]),
          "turbines": ("turbines", ["site_id", "turbine_id"])}


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did. ``status``: ingested, refused or skipped (seen before).

    ``rows_written`` counts rows inserted or changed; re-sent rows count 0. A
    refusal names the contract's ``column`` and ``rule`` too.
    """

    name: str
    sha256: str | None
    kind: str | None
    rows_accepted: int
    rows_rejected: int
    status: str
    error: str | None = None
    rows_written: int = 0
    column: str | None = None
    rule: str | None = None


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest(), path.stat().st_size


def ingest_file(conn: Connection, path: Path, as_of: pd.Timestamp, *,
                params: dict, kind: str | None = None,
                site: str = DEFAULT_SITE) -> IngestResult:
    """Ingest one contract file, or skip it if its bytes were ingested before.

    Args:
        conn: Open connection; this commits.
        path: CSV, CSV.gz or Parquet file (never modified or moved).
        as_of: The run's time: SCADA rows after it (plus skew) are rejected.
        params: The row rules: the run's data_processing parameters.
        kind: What the user declared the file to be (``scada``, ``forecast``,
            ``turbines``); None: its header must leave no doubt.
        site: The site the file was given for (its inbox folder); a
            ``site_id`` column in the file names it instead.

    Returns:
        The result; a refused file has status ``refused`` and the contract error.
    """
    path = Path(path)
    digest, size = file_digest(path)
    with conn, conn.cursor() as cur:
        # Two runs given the same file at once: the second waits, then skips it.
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (digest,))
        cur.execute("SELECT 1 FROM ingested_files WHERE sha256 = %s", (digest,))
        if cur.fetchone():
            logger.info("%s: already ingested (sha256 %s), skipped", path.name, digest)
            return IngestResult(path.name, digest, None, 0, 0, "skipped")
        cur.execute("SAVEPOINT ingest_file")
        try:
            kind = detect_kind(path, kind)
            raw = read_rows(path, kind)
            site, raw = site_of(raw, site, path.name)
            result = _store(conn, kind, raw, path.name, as_of=as_of, params=params,
                            site=site)
        except ContractError as exc:
            cur.execute("ROLLBACK TO SAVEPOINT ingest_file")
            logger.warning("%s refused: %s", path.name, exc)
            result = IngestResult(path.name, digest, kind, 0, 0, "refused", str(exc),
                                  column=exc.column, rule=exc.rule)
        result = replace(result, sha256=digest)
        cur.execute(
            "INSERT INTO ingested_files (sha256, name, size_bytes, kind, rows_accepted,"
            " rows_rejected, status, error, site_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (digest, path.name, size, result.kind, result.rows_accepted,
             result.rows_rejected, result.status, result.error,
             site if result.status == "ingested" else None))
    return result


def site_of(raw: pd.DataFrame, site: str, source: str) -> tuple[str, pd.DataFrame]:
    """The file's site and its rows without the ``site_id`` column: the column,
    when the file has one, names one site for every row.

    Raises:
        ContractError: rows naming more than one site, or a site other than the
            folder's.
    """
    if "site_id" not in raw.columns:
        return site, raw
    named = raw["site_id"].astype(str).str.strip().unique()
    if len(named) != 1:
        raise ContractError(source, "site_id", "one site per file: the rows name "
                            f"{sorted(named)[:5]}")
    if site != DEFAULT_SITE and named[0] != site:
        raise ContractError(source, "site_id", f"rows name site '{named[0]}' but "
                            f"the file was given for site '{site}'")
    return str(named[0]), raw.drop(columns="site_id")


def turbines_first(path: Path, kind: str | None = None) -> int:
    """Sort key: 0 for a turbine table (other files' rows are checked against it)."""
    try:
        return 0 if detect_kind(Path(path), kind) == "turbines" else 1
    except (ContractError, OSError):
        return 1  # refused (and recorded) in its turn


def ingest_files(conn: Connection, paths: list[Path], as_of: pd.Timestamp, *,
                 params: dict, site: str = DEFAULT_SITE) -> list[IngestResult]:
    """Ingest several files, turbine tables first (rows are checked against them).

    Returns:
        One result per file, in the order they were ingested.
    """
    ordered = sorted(paths, key=lambda p: (turbines_first(p), str(p)))
    return [ingest_file(conn, path, as_of, params=params, site=site)
            for path in ordered]


def ingest_frame(conn: Connection, kind: str, frame: pd.DataFrame, source: str,
                 as_of: pd.Timestamp, *, params: dict,
                 site: str = DEFAULT_SITE) -> IngestResult:
    """Ingest in-memory rows of ``kind`` (no ``ingested_files`` record); commits.

    Returns:
        The result; rows breaking the contract as a whole give status ``refused``.
    """
    raw = frame.copy(deep=False)
    raw.attrs = {"source": source}
    with conn:
        try:
            return _store(conn, kind, raw, source, as_of=as_of, params=params,
                          site=site)
        except ContractError as exc:
            logger.warning("%s refused: %s", source, exc)
            return IngestResult(source, None, kind, 0, 0, "refused", str(exc))


def _store(conn: Connection, kind: str, raw: pd.DataFrame, source: str, *,
           as_of: pd.Timestamp, params: dict, site: str) -> IngestResult:
    """Validate against the site's turbines, upsert the accepted rows and record
    the rejected ones, all under ``site``."""
    require_site(conn, site, source)
    rules = {**params, "as_of": as_of}
    turbines = read_turbines(conn, site) if kind != "turbines" else pd.DataFrame()
    accepted, rejected = split_rows(kind, raw, turbines, rules)
    table, key = TABLES[kind]
    written = upsert_frame(conn, table, accepted.assign(site_id=site), key)
    with conn.cursor() as cur:
        if len(rejected):
            copy_frame(cur, "rejected_rows",
                       rejected_table(rejected, kind, source).assign(site_id=site))
        if written >= ANALYZE_AFTER_ROWS:
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    logger.info("%s: %s, %d rows accepted (%d written), %d rejected", source, kind,
                len(accepted), written, len(rejected))
    return IngestResult(source, None, kind, len(accepted), len(rejected),
                        "ingested", rows_written=written)
