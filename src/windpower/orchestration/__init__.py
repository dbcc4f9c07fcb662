"""Prefect orchestration of the Kedro pipelines, by purpose.

- ``kedro``: the Kedro bridge: pipelines run inside a flow, each node a task.
- ``flows``: each flow declared once, and what the flow bodies call besides Kedro.
- ``serving``: a flow served on its schedule and events, or run once (``run``).
- ``setup``: the one-time platform set-up (``python -m windpower.orchestration.setup``).
- ``internals``: the private framework internals still used, one function each.
"""
