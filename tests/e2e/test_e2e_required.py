"""The end-to-end tests against a stack that is not there: a developer's run skips,
CI's run (WINDPOWER_E2E_REQUIRED=1, set by .ci/run) fails, so a stack that did not
come up never passes CI."""

import pytest

from tests.e2e.stack import require_stack

pytestmark = pytest.mark.unit
NOWHERE = "http://127.0.0.1:9/api"  # the discard port: refused at once


def _outcome() -> BaseException | None:
    """What require_stack raises (caught here, so a skip cannot skip this test)."""
    try:
        require_stack(NOWHERE)
    except BaseException as raised:  # pytest's skip and fail are BaseExceptions
        return raised
    return None


def test_require_stack_unreachable_fails_when_required(monkeypatch):
    monkeypatch.setenv("WINDPOWER_E2E_REQUIRED", "1")
    outcome = _outcome()
    assert isinstance(outcome, pytest.fail.Exception), repr(outcome)
    assert "WINDPOWER_E2E_REQUIRED is set" in str(outcome)


def test_require_stack_unreachable_skips_for_a_developer(monkeypatch):
    monkeypatch.delenv("WINDPOWER_E2E_REQUIRED", raising=False)
    outcome = _outcome()
    assert isinstance(outcome, pytest.skip.Exception), repr(outcome)
    assert "not reachable" in str(outcome)
