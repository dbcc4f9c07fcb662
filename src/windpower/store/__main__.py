"""Store commands, then exit.

  python -m windpower.store migrate              # the schema up to date
  python -m windpower.store add-site north-ridge --name "North Ridge" \
      --time-zone Europe/Berlin --latitude 53.1 --longitude 8.2

Waits about a minute for the database (it may still be starting), then fails with
a short message and exit status 1.
"""

import argparse
import logging
import sys

import psycopg2

from windpower.store.connection import StoreUnavailableError, connect
from windpower.store.migrations import migrate
from windpower.store.sites import Site, register_site

# 1 + 2 + 4 + 8 + 16 + 32 s between 7 attempts: ~63 s, then give up.
RETRIES, BACKOFF_S = 7, 1.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m windpower.store")
    parser.add_argument("--url-env", default="WINDPOWER_DB_URL",
                        help="variable holding the database URL")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the schema up to date")
    site = commands.add_parser("add-site", help="register a wind farm (or update it)")
    site.add_argument("site_id", help="lower-case letters, digits and dashes")
    site.add_argument("--name", help="display name (default: the id)")
    site.add_argument("--time-zone", default="UTC")
    site.add_argument("--latitude", type=float)
    site.add_argument("--longitude", type=float)
    site.add_argument("--capacity-kw", type=float)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a store command; returns the process exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        conn = connect(args.url_env, retries=RETRIES, backoff=BACKOFF_S)
    except StoreUnavailableError as exc:
        sys.exit(f"windpower.store {args.command}: {exc}")
    try:
        if args.command == "migrate":
            applied = migrate(conn)
            logging.info("schema up to date (%s)",
                         ", ".join(applied) or "nothing to apply")
        else:
            register_site(conn, Site(
                args.site_id, args.name or args.site_id, args.time_zone,
                args.latitude, args.longitude, args.capacity_kw))
            logging.info("site %s registered", args.site_id)
    except (psycopg2.Error, ValueError) as exc:
        sys.exit(f"windpower.store {args.command} failed: {str(exc).strip()}")
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
