"""One run per site: a flow given no site covers every site, by Prefect's means.

Inside a deployment run (scheduled, triggered or started from the UI), a flow given
no site starts one run of its own deployment per site (``run_deployment``, each
linked as a subflow of the first and tagged ``site:<id>``, as a run given its
site tags itself) and returns: the runs
then go side by side, each holding its own site's slot. Outside a deployment
(``python services/prefect/<kind>_flow.py run``, tests) the sites run one after
another in this process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.runtime import deployment, flow_run

from windpower.orchestration.flows.specs import FlowSpec
from windpower.store import connect
from windpower.store.sites import site_ids


def every_site() -> list[str]:
    """The registered sites, by id."""
    conn = connect()
    try:
        return site_ids(conn)
    finally:
        conn.close()


def site_tag(site: str) -> str:
    """The tag that finds a site's runs in the Prefect UI."""
    return f"site:{site}"


def tag_run_with_site(site: str) -> None:
    """Tag the current flow run with its site: a fanned-out run is tagged when it
    is started, a scheduled or event-triggered run for one site only now."""
    run_id = flow_run.id
    if not run_id or site_tag(site) in (flow_run.tags or []):
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(run_id, tags=[*flow_run.tags, site_tag(site)])


def fan_out(spec: FlowSpec, as_of: datetime | None, parameters: dict[str, Any],
            run_site: Callable[[str, datetime], Any]) -> dict[str, Any]:
    """Cover every site at ``as_of`` (decided here once, so every site's run sees
    the same time): a deployment run per site, or, outside a deployment,
    ``run_site(site, as_of)`` for each in turn.

    Returns:
        Per site, the started run's id (deployment) or ``run_site``'s result.
    """
    # Imported here: the flow modules import this one, and a flow container's
    # serving process stays without pandas (serving.cli.serve).
    from windpower.clock import run_time  # noqa: PLC0415

    stamp = run_time(as_of)
    sites = every_site()
    name = deployment.name
    if not name:
        return {site: run_site(site, stamp) for site in sites}
    started = {}
    for site in sites:
        run = run_deployment(
            f"{spec.name}/{name}", timeout=0, tags=[site_tag(site)],
            flow_run_name=f"{site}-{stamp:%Y%m%d-%H%M}",
            parameters={**parameters, "site": site, "as_of": stamp.isoformat()})
        started[site] = str(run.id)
    return started


def for_each_site(spec: FlowSpec, site: str | None, as_of: datetime | None,
                  kedro_env: str | None, params: dict[str, Any] | None, *,
                  body: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A flow's body for ``site``: ``body(site, as_of, kedro_env, params)``; no
    site: every site (``fan_out``)."""
    if site:
        tag_run_with_site(site)
        return body(site, as_of, kedro_env, params)
    return fan_out(spec, as_of, {"kedro_env": kedro_env, "params": params},
                   lambda one, at: body(one, at, kedro_env, params))
