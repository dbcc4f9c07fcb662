"""The flows (``services/prefect/<kind>_flow.py``): each declared once, and what
their bodies call besides Kedro: the one-run slot, ingest and retention tasks,
and the reports a run publishes."""
