"""The ``run`` / ``serve`` command line shared by the flow entrypoints."""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from prefect import Flow

from windpower.orchestration.kedro.retries import limit_mlflow_http_retries
from windpower.orchestration.serving.deployments import ServeConfig, start_first_run
from windpower.orchestration.serving.environment import ENV_HELP, serve_config_from_env
from windpower.orchestration.serving.forkserver import use_forkserver
from windpower.orchestration.serving.outcome import (
    EXIT_FAILED,
    EXIT_HELP,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    quiet_known_noise,
    refusal_line,
    say_last,
    state_contract_error,
)
from windpower.orchestration.serving.servers import (
    ServerUnreachableError,
    configured_mlflow,
    configured_prefect_api,
)

logger = logging.getLogger(__name__)


def run_once(flow: Flow[..., Any], parameters: dict[str, Any]) -> int:
    """Run ``flow`` now in this process; returns the exit code (``EXIT_HELP``).

    Configured servers are waited for, never replaced; with none configured the
    run uses local stores, and the last line of output says where.
    """
    from windpower.orchestration.kedro.session import project_root  # noqa: PLC0415

    limit_mlflow_http_retries()
    fallback_dir = Path(
        os.environ.get("MLFLOW_FALLBACK_DIR") or project_root() / "data" / "mlflow"
    )
    try:
        local_mlflow = configured_mlflow(fallback_dir)
        with configured_prefect_api():
            state = flow(**parameters, return_state=True)
    except ServerUnreachableError as error:
        say_last(f"error: {error}")
        return EXIT_UNREACHABLE
    logger.info("%s finished: %s %s", flow.name, state.type.value, state.message or "")
    if local_mlflow:
        say_last(f"note: MLFLOW_TRACKING_URI is unset, so this run was tracked "
                 f"locally in {local_mlflow}")
    refusal = state_contract_error(state)
    if refusal is not None:
        say_last(refusal_line(refusal))
        return EXIT_REFUSED
    return EXIT_OK if state.is_completed() else EXIT_FAILED


def serve(flow: Flow[..., Any], config: ServeConfig) -> None:
    """Serve ``flow`` on its schedule and triggers (blocks until stopped).

    The work pool, limits, automations and pool deployments already exist: the
    one-shot set-up service created them (``windpower.orchestration.setup``).

    This process only schedules; each run executes in a child process. So the
    flow modules import the pipeline code (Kedro, pandas, MLflow, scipy) inside
    the flow body, and this process, idle most of the time in each flow
    container, holds Prefect alone (docs/performance.md).
    """
    limit_mlflow_http_retries()
    options: dict[str, Any] = {
        "name": config.name,
        "schedules": config.schedules(),
        "triggers": config.triggers(),
        "parameters": config.parameters,
        "tags": config.tags,
        "description": config.description,
    }
    if config.run_on_start:
        # Register first so the run can be created before serve() blocks.
        flow.to_deployment(**options).apply()
        start_first_run(flow.name, config.name)
    use_forkserver()
    # The runner's /health webserver (host and port from PREFECT_RUNNER_SERVER_*).
    # At most SERVE_RUN_LIMIT run processes at a time (Prefect's default is 5):
    # two sites' runs go side by side; the flow's one-slot limit per site holds a
    # second run of a site only once its process has started, so more runs due
    # while slow ones run would pile up as waiting processes, each holding
    # memory; they wait as runs instead.
    flow.serve(**options, pause_on_shutdown=False, webserver=True,
               limit=int(os.environ.get("SERVE_RUN_LIMIT") or 2))


def main(
    flow: Flow[..., Any],
    config: ServeConfig,
    *,
    argv: Sequence[str] | None = None,
    description: str = "",
) -> int:
    """Parse ``run`` / ``serve`` and do it; returns the process exit code.

    ``config`` holds the flow's defaults. The deployment is named after the flow,
    tagged ``windpower`` and the flow's kind, and read from the environment
    variables ``<KIND>_*`` (``training-flow``: ``TRAINING_*``) unless set.
    """
    kind = flow.name.removesuffix("-flow")
    config = replace(config, name=config.name or flow.name,
                     tags=config.tags or ["windpower", kind])
    prefix = kind.upper().replace("-", "_")
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=ENV_HELP.format(
            prefix=prefix,
            interval=config.interval_minutes,
            run_on_start=config.run_on_start,
            events=",".join(config.events) or "none",
        )
        + EXIT_HELP,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser(
        "run",
        help="run the flow once, now, in this process (no Prefect server needed)",
        description="Run the flow once, now. A configured PREFECT_API_URL or "
        "MLFLOW_TRACKING_URI is waited for (WINDPOWER_SERVER_WAIT_SECONDS), then "
        "the run fails (exit 4); unset, a temporary local Prefect server / a local "
        "sqlite MLflow store is used. Exit 3: an input file was refused.",
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_cmd.add_argument(
        "--params", default="{}", help="flow parameters as JSON, e.g. "
        '\'{"kedro_env": "local"}\''
    )
    commands.add_parser(
        "serve",
        help=f"long-running: serve {flow.name}/{config.name} on its schedule",
        description="Serve the flow with its schedule and triggers until stopped "
        "(after the set-up service has run); health on the runner "
        "webserver (PREFECT_RUNNER_SERVER_PORT, default 8080, /health).",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    quiet_known_noise()
    if args.command == "run":
        return run_once(flow, json.loads(args.params))
    served = serve_config_from_env(prefix, config)
    serve(flow, served)
    return 0

