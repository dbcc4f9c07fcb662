"""The forecast page and API: what the platform forecast, how good it was.

A small FastAPI app (``app.create_app``) that reads the windpower database as
the read-only role ``windpower_reader``: an overview of sites and turbines, a
farm and a turbine page (actuals, P10/P50/P90 by issue), a quality page, and a
JSON/CSV API documented at ``/docs``. Nothing imports this package; it imports
only ``windpower.store``'s connection helper (docs/forecast-page.md).
"""
