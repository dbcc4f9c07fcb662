"""The Kedro bridge: Kedro pipelines run inside a Prefect flow, as ``kedro run``
would run them, each node a Prefect task that retries a lost connection, and
Kedro's logs in the run's logs."""
