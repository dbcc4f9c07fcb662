"""The FastAPI application: pages, API, plotly.js and a health check."""

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from windpower.forecast_ui import api, pages
from windpower.forecast_ui.auth import basic_auth
from windpower.forecast_ui.db import reading

# plotly.js from the installed Python package: the page works offline, and its
# version is the one requirements.lock pins. Found, not imported: the Python
# package's figures are not needed here, and importing them costs memory.
PLOTLY_JS = (Path(find_spec("plotly").submodule_search_locations[0])
             / "package_data" / "plotly.min.js")
STATIC = Path(__file__).parent / "static"


def create_app() -> FastAPI:
    """The app; reads $FORECAST_UI_DB_URL and the auth settings per request."""
    app = FastAPI(title="windpower forecast",
                  description="Forecasts as issued (P10/P50/P90, kW, UTC) and "
                              "their measured quality.")
    app.middleware("http")(basic_auth)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # Cached for a day: 4.6 MB that only changes with the lock.
        return FileResponse(PLOTLY_JS, media_type="text/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    @app.get("/health", include_in_schema=False)
    def health() -> dict:
        """Healthy when the database answers as the reader role."""
        with reading() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
        return {"status": "ok"}

    return app
