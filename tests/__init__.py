"""The windpower test suite: see docs/testing.md."""

import os

# No telemetry prompt or upload from test runs. Set on import, before
# tests/background.py copies the environment its processes get.
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
