"""A flow that writes its run id to stdout, then sleeps until it is killed."""

import sys
import time

from prefect import flow
from prefect.runtime import flow_run


@flow(name="sleeps-until-killed")
def sleep_until_killed() -> None:
    """Report the run id, then hold the run open (the test kills the process)."""
    sys.stdout.write(f"{flow_run.id}\n")
    sys.stdout.flush()
    time.sleep(3600)


if __name__ == "__main__":
    sleep_until_killed()
