"""The end-to-end tests against a stack that is not there: a developer's run skips,
CI's run (WINDPOWER_E2E_REQUIRED=1, set by .ci/run) fails, so a stack that did not
come up never passes CI."""

import pytest

from tests.e2e.test_stack import require_stack

pytestmark = pytest.mark.unit
NOWHERE = "http://127.0.0.1:9/api"  # the discard port: refused at once


def test_require_stack_unreachable_fails_when_required(monkeypatch):
    monkeypatch.setenv("WINDPOWER_E2E_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="WINDPOWER_E2E_REQUIRED is set"):
        require_stack(NOWHERE)


def test_require_stack_unreachable_skips_for_a_developer(monkeypatch):
    monkeypatch.delenv("WINDPOWER_E2E_REQUIRED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        require_stack(NOWHERE)
