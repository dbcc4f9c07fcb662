"""Versioned schema migrations: numbered ``.sql`` files applied once, in order.

Why not alembic (installed, as MLflow needs it): our revisions are raw SQL with no
ORM models to autogenerate from, we never downgrade a record of inputs, and alembic
takes no lock of its own, so two containers starting at once could both apply a
revision. This runner is the part of alembic we use: a ``schema_migrations`` table,
one transaction per file, and a session-level ``pg_advisory_lock`` so concurrent
starters queue and the later ones find nothing left to do. A DBA can read (and
``psql -f``) every revision as it is.
"""

import hashlib
import logging
from importlib import resources

from psycopg2.extensions import connection as Connection

logger = logging.getLogger(__name__)
# Any constant shared by every starter; "wndpower" in ASCII.
LOCK_ID = 0x776E64706F776572
_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())"""


def available() -> list[tuple[str, str, str]]:
    """The packaged migrations, in order: (version, file name, SQL)."""
    files = resources.files("windpower.store").joinpath("migrations").iterdir()
    found = sorted(f for f in files if f.name.endswith(".sql"))
    return [(f.name.split("_", 1)[0], f.name, f.read_text()) for f in found]


def migrate(conn: Connection) -> list[str]:
    """Apply the migrations this database has not had yet (idempotent).

    Args:
        conn: A connection as the tables' owner (role ``windpower``); left open,
            in autocommit off.

    Returns:
        File names of the migrations applied now (empty when up to date).
    """
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
    try:
        conn.autocommit = False
        with conn, conn.cursor() as cur:
            cur.execute(_TABLE)
            cur.execute("SELECT version, sha256 FROM schema_migrations")
            applied = dict(cur.fetchall())
        return [name for version, name, text in available()
                if _apply(conn, version, name, text, applied)]
    finally:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
        conn.autocommit = False


def _apply(conn: Connection, version: str, name: str, text: str,
           applied: dict[str, str]) -> bool:
    """Run one migration file in its own transaction, unless it ran before."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    if version in applied:
        if applied[version] != digest:
            logger.warning("migration %s changed after it was applied; "
                           "add a new file instead of editing it", name)
        return False
    with conn, conn.cursor() as cur:
        cur.execute(text)
        cur.execute("INSERT INTO schema_migrations (version, name, sha256) "
                    "VALUES (%s, %s, %s)", (version, name, digest))
    logger.info("applied migration %s", name)
    return True
