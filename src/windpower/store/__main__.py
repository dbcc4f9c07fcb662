"""``python -m windpower.store migrate``: bring the schema up to date, then exit.

Waits about a minute for the database (it may still be starting), then fails with
a short message and exit status 1.
"""

import argparse
import logging
import sys

import psycopg2

from windpower.store.connection import StoreUnavailableError, connect
from windpower.store.migrations import migrate

# 1 + 2 + 4 + 8 + 16 + 32 s between 7 attempts: ~63 s, then give up.
RETRIES, BACKOFF_S = 7, 1.0


def main(argv: list[str] | None = None) -> int:
    """Run a store command; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m windpower.store")
    parser.add_argument("command", choices=["migrate"])
    parser.add_argument("--url-env", default="WINDPOWER_DB_URL",
                        help="variable holding the database URL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        conn = connect(args.url_env, retries=RETRIES, backoff=BACKOFF_S)
    except StoreUnavailableError as exc:
        sys.exit(f"windpower.store migrate: {exc}")
    try:
        applied = migrate(conn)
    except psycopg2.Error as exc:
        sys.exit(f"windpower.store migrate failed: {str(exc).strip()}")
    finally:
        conn.close()
    logging.info("schema up to date (%s)", ", ".join(applied) or "nothing to apply")
    return 0


if __name__ == "__main__":
    sys.exit(main())
