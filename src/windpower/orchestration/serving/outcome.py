"""How a ``run`` ends: an exit code of its own per kind of failure, and output
that leads to the one line that matters instead of burying it.

A refused input file is the user's to fix, not a bug: its summary names file,
column and rule, and the tracebacks that explain a bug are kept for
``LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any

from windpower.errors import ContractError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 3  # an input file breaks the data contract
EXIT_UNREACHABLE = 4  # a configured server did not answer in time
EXIT_HELP = """\
exit status of run:
  0  the flow run completed
  1  the flow run failed (see the log)
  2  wrong command line
  3  an input file was refused by the data contract (the last line names
     file, column and rule)
  4  a configured server (PREFECT_API_URL, MLFLOW_TRACKING_URI) did not answer
"""
# Loggers of Prefect's engines, which log a failed run with its full traceback.
ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def find_contract_error(error: BaseException | None) -> ContractError | None:
    """The ``ContractError`` behind ``error`` (its causes included), if any."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ContractError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def state_contract_error(state: Any) -> ContractError | None:
    """The ``ContractError`` a failed Prefect flow-run state ended with, if any."""
    if not state.is_failed():
        return None
    try:
        error = state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001, a result that cannot be read is no refusal
        return None
    return find_contract_error(error if isinstance(error, BaseException) else None)


def refusal_line(error: ContractError) -> str:
    """One line for the end of the output: what to fix, and where."""
    return (f"input refused: file '{error.source}', column '{error.column}': "
            f"{error.rule} (exit {EXIT_REFUSED})")


def say_last(line: str) -> None:
    """Write ``line`` to stderr, unformatted, so it is the output's last line."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _DropContractTraceback(logging.Filter):
    """Keep a refusal's message, drop its traceback (it points at no bug)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and find_contract_error(record.exc_info[1]):
            record.exc_info, record.exc_text = None, None
        return True


def quiet_known_noise() -> None:
    """Drop output that hides the line that matters, unless ``LOG_LEVEL=DEBUG``.

    - the tracebacks of a refused input file (Prefect logs each failed run
      with one, 170 lines for a missing column);
    - GitPython's 15-line notice, printed three times by MLflow, that the image
      has no git executable (MLflow then records no commit, as it would anyway);
    - Kedro's own use of an OmegaConf API deprecated in a newer OmegaConf.
    """
    if os.environ.get("LOG_LEVEL", "").upper() == "DEBUG":
        return
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is "
                            "deprecated", category=UserWarning)
    for name in ENGINE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropContractTraceback) for f in logger.filters):
            logger.addFilter(_DropContractTraceback())
