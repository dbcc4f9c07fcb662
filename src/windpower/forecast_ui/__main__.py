"""``python -m windpower.forecast_ui``: serve the pages and the API on :8050."""

import os

import uvicorn

from windpower.forecast_ui.app import create_app

if __name__ == "__main__":
    # One process: the service reads a few indexed rows a request, and a second
    # worker would double its idle memory.
    uvicorn.run(create_app(), host="0.0.0.0", port=8050,  # noqa: S104 (in a container)
                log_level=os.environ.get("LOG_LEVEL", "info").lower(),
                access_log=False)
