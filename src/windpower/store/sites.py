"""Sites: each wind farm the store holds, the identity every record is keyed by.

A site is registered before its data arrives (a file for an unknown site is
refused by the contract), except ``default``: data that names no site belongs to
it, and it is registered on first use, so a single farm needs no set-up.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from psycopg2.extensions import connection as Connection

from windpower.errors import ContractError

DEFAULT_SITE = "default"
# As the sites table checks it: the id also names a model and a Prefect limit.
SITE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def model_name(site_id: str) -> str:
    """The site's registered model in MLflow (its own versions and aliases)."""
    return f"windpower-{site_id}"


@dataclass(frozen=True)
class Site:
    """One wind farm (``capacity_kw``: None = the sum of its turbines)."""

    site_id: str
    name: str
    time_zone: str = "UTC"
    latitude: float | None = None
    longitude: float | None = None
    capacity_kw: float | None = None


def register_site(conn: Connection, site: Site) -> None:
    """Add ``site`` or update its description (idempotent); commits."""
    if not SITE_ID.match(site.site_id):
        raise ValueError(f"site id '{site.site_id}': lower-case letters, digits and "
                         "dashes, at most 40, starting with a letter or digit")
    columns = list(asdict(site))
    with conn, conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO sites ({', '.join(columns)}) VALUES "
            f"({', '.join(['%s'] * len(columns))}) ON CONFLICT (site_id) DO UPDATE "
            f"SET {', '.join(f'{c} = EXCLUDED.{c}' for c in columns[1:])}",
            list(asdict(site).values()))


def site_ids(conn: Connection) -> list[str]:
    """Every registered site, by id."""
    with conn.cursor() as cur:
        cur.execute("SELECT site_id FROM sites ORDER BY site_id")
        return [row[0] for row in cur.fetchall()]


def require_site(conn: Connection, site_id: str, source: str) -> None:
    """Refuse ``source`` unless ``site_id`` is registered (``default`` is
    registered on first use)."""
    if site_id == DEFAULT_SITE:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO sites (site_id, name) VALUES (%s, %s) "
                        "ON CONFLICT DO NOTHING", (DEFAULT_SITE, "Default site"))
        return
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM sites WHERE site_id = %s", (site_id,))
        if cur.fetchone() is None:
            raise ContractError(source, "site_id", f"unknown site '{site_id}': "
                                "register it first (python -m windpower.store "
                                "add-site)")
