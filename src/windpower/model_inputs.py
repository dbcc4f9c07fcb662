"""What the served model is given, built the same way for training and serving:
the contract columns as it takes them and what was measured at issue time."""

import pandas as pd

from windpower.contract import parse_timestamps
from windpower.forecast_model import AT_ISSUE_COLUMNS, INPUT_COLUMNS


def model_input(table: pd.DataFrame) -> pd.DataFrame:
    """Contract columns as the served model takes them (naive UTC timestamps), with
    ``issued_at`` and the at-issue measurements when ``table`` is a forecast."""
    extra = [c for c in ["issued_at", *AT_ISSUE_COLUMNS] if c in table.columns]
    frame = table[INPUT_COLUMNS + extra].copy()
    for column in {"timestamp", "issued_at"} & set(frame.columns):
        stamps = pd.to_datetime(frame[column], utc=True)
        frame[column] = stamps.dt.tz_localize(None)
    return frame


def measured_at_issue(forecast: pd.DataFrame, readings: pd.DataFrame,
                      max_age_minutes: float) -> pd.DataFrame:
    """Forecast rows with what was measured before their issue time.

    The newest reading strictly before ``issued_at`` (a reading stamped at the
    issue time is not known yet), at most ``max_age_minutes`` old, with both wind
    and power measured; NaN where there is none. Training and inference both call
    this, so the model is served the features it learnt from.

    Args:
        forecast: Rows with ``turbine_id`` and ``issued_at``.
        readings: Valid readings (``turbine_id``, ``timestamp``, ``wind_speed``,
            ``power_kw``), any order.
        max_age_minutes: Oldest reading that still counts as "at issue".

    Returns:
        ``forecast`` plus ``power_at_issue_kw`` and ``wind_speed_at_issue``.
    """
    needed = ["turbine_id", "timestamp", "wind_speed", "power_kw"]
    if not set(needed) <= set(readings.columns):  # none measured: NaN, still forecast
        readings = pd.DataFrame({c: pd.Series(dtype=float) for c in needed})
    measured = pd.DataFrame({
        "turbine_id": readings["turbine_id"].astype(str),
        "timestamp": utc_ns(readings["timestamp"]),
        **{c: pd.to_numeric(readings[c], errors="coerce")
           for c in ("wind_speed", "power_kw")}}).dropna()
    out = forecast.assign(turbine_id=forecast["turbine_id"].astype(str),
                          issued_at=utc_ns(forecast["issued_at"]))
    keys = out[["turbine_id", "issued_at"]].drop_duplicates()
    at_issue = pd.merge_asof(
        keys.sort_values("issued_at"), measured.sort_values("timestamp"),
        left_on="issued_at", right_on="timestamp", by="turbine_id",
        direction="backward", allow_exact_matches=False,
        tolerance=pd.Timedelta(minutes=max_age_minutes))
    at_issue = at_issue.rename(columns={"power_kw": "power_at_issue_kw",
                                        "wind_speed": "wind_speed_at_issue"})
    columns = ["turbine_id", "issued_at", "power_at_issue_kw", "wind_speed_at_issue"]
    out = out.merge(at_issue[columns], on=["turbine_id", "issued_at"], how="left")
    out.index = forecast.index
    return out


def utc_ns(values: pd.Series) -> pd.Series:
    """UTC timestamps at one resolution: merge_asof refuses us against ns keys."""
    return parse_timestamps(values).astype("datetime64[ns, UTC]")

