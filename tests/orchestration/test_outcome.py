"""How a run ends: a refusal is found behind the errors that wrap it, and its
traceback is kept for LOG_LEVEL=DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from windpower.errors import ContractError
from windpower.orchestration.serving.outcome import (
    ENGINE_LOGGERS,
    find_contract_error,
    quiet_known_noise,
)

pytestmark = pytest.mark.unit


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def engine_logger() -> Iterator[tuple[logging.Logger, _Records]]:
    """Prefect's flow-run logger and what it logs; its filters restored after."""
    logger = logging.getLogger(ENGINE_LOGGERS[0])
    saved = list(logger.filters)
    records = _Records()
    logger.addHandler(records)
    yield logger, records
    logger.removeHandler(records)
    logger.filters[:] = saved


def _wrapped_refusal() -> RuntimeError:
    try:
        try:
            raise ContractError("scada.csv", "wind_speed", "required column is missing")
        except ContractError as error:
            raise RuntimeError("Kedro node 'validate_readings_node' failed") from error
    except RuntimeError as wrapper:
        return wrapper


def test_find_contract_error_behind_a_wrapper() -> None:
    found = find_contract_error(_wrapped_refusal())
    assert found is not None and found.column == "wind_speed"
    assert find_contract_error(RuntimeError("a bug")) is None


@pytest.mark.parametrize(("level", "traceback_kept"), [("INFO", False),
                                                       ("DEBUG", True)])
def test_refusal_traceback_only_at_debug(
    engine_logger: tuple[logging.Logger, _Records],
    monkeypatch: pytest.MonkeyPatch, level: str, traceback_kept: bool,
) -> None:
    logger, handler = engine_logger
    monkeypatch.setenv("LOG_LEVEL", level)
    quiet_known_noise()
    logger.error("run failed", exc_info=_wrapped_refusal())
    logger.error("a bug", exc_info=ZeroDivisionError("x"))
    refusal, bug = handler.records
    assert (refusal.exc_info is not None) is traceback_kept
    assert bug.exc_info is not None, "a bug keeps its traceback"
