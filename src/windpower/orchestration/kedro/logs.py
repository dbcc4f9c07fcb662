"""Show Kedro's and the project's log lines in the Prefect run's logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from prefect.logging.handlers import APILogHandler

# Loggers whose records belong in the Prefect run logs: Kedro's own (session,
# runner, datasets) and the project's (nodes, hooks, this package).
FORWARDED_LOGGERS = ("kedro", "windpower")


@contextmanager
def forward_logs_to_prefect(
    logger_names: Sequence[str] = FORWARDED_LOGGERS,
) -> Iterator[None]:
    """Attach Prefect's API log handler to ``logger_names`` for the duration.

    ``PREFECT_LOGGING_EXTRA_LOGGERS`` does the same at import time, but Kedro's
    logging setup (``configure_project``) replaces the handlers of the ``kedro`` and
    project loggers, so the handler is attached here, after Kedro has configured
    logging, and removed afterwards. Loggers that already have one are left alone.
    """
    attached: list[tuple[logging.Logger, logging.Handler]] = []
    for name in logger_names:
        logger = logging.getLogger(name)
        if any(isinstance(h, APILogHandler) for h in logger.handlers):
            continue
        handler = APILogHandler()
        logger.addHandler(handler)
        attached.append((logger, handler))
    try:
        yield
    finally:
        for logger, handler in attached:
            logger.removeHandler(handler)
