"""``python -m windpower.orchestration.setup``: the set-up, or exit 1 with one
clear line naming the step that failed."""

import logging
import subprocess
import sys

import psycopg2

from windpower.orchestration.setup.steps import set_up

logger = logging.getLogger("windpower.setup")


def main() -> int:
    """Run the set-up; exit 1 with one clear line when a step fails."""
    # Prefect's import configured logging (root at WARNING): say what we do.
    logging.getLogger("windpower").setLevel(logging.INFO)
    try:
        set_up()
    except (subprocess.CalledProcessError, OSError, RuntimeError,
            psycopg2.Error) as error:
        logger.error("set-up failed: %s", error)
        return 1
    logger.info("set-up complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
