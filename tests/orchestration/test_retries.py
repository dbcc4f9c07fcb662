"""is_transient_error: only lost connections are retried."""

from __future__ import annotations

import pytest
import requests
from kedro.io import DatasetError
from mlflow.exceptions import MlflowException

from windpower.orchestration.kedro.retries import is_transient_error

pytestmark = pytest.mark.unit


def _raised_from(outer: type[Exception], inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception as exc:
            raise outer("wrapped") from exc
    except Exception as wrapped:
        return wrapped


def test_is_transient_error_connection_refused() -> None:
    assert is_transient_error(ConnectionRefusedError("refused"))


def test_is_transient_error_wrapped_requests_error() -> None:
    wrapped = _raised_from(DatasetError, requests.exceptions.ConnectionError("x"))
    assert is_transient_error(wrapped)


def test_is_transient_error_mlflow_unreachable_message() -> None:
    error = MlflowException(
        "API request to http://mlflow:5001/api failed with exception "
        "HTTPConnectionPool: Max retries exceeded (Connection refused)"
    )
    assert is_transient_error(error)


@pytest.mark.parametrize(
    "error",
    [ValueError("bad data"), MlflowException("RESOURCE_DOES_NOT_EXIST"), None],
)
def test_is_transient_error_other_errors(error: Exception | None) -> None:
    assert not is_transient_error(error)
