"""A run's time, decided once: its ``as_of`` as a UTC timestamp (null = now).

One edge convention for every window a run reads: ``(end - span, end]``, what
was stamped after the window's start and at or before its end. A run at
``as_of`` sees what existed then, a reading stamped at ``as_of`` included
(training, inference and monitoring alike; ingest rejects SCADA stamped after
``as_of`` plus the clock skew). Features known at an issue time are stricter:
a reading stamped at ``issued_at`` is not yet known (``measured_at_issue``).
"""

from datetime import datetime

import pandas as pd


def run_time(as_of: str | datetime | pd.Timestamp | None) -> pd.Timestamp:
    """A run's ``as_of`` as a UTC timestamp: naive is read as UTC, None is now.

    Every flow, dataset and node that needs the run's time gets it from here, so a
    run and every window it reads agree on one instant.
    """
    stamp = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.now("UTC")
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
