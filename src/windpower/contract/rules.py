"""Required columns per file kind, file-level and row-level rules."""

import logging

import numpy as np
import pandas as pd

from windpower.clock import run_time
from windpower.errors import ContractError
from windpower.keys import sort_order

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = {
    "scada": ["timestamp", "turbine_id", "wind_speed", "wind_direction",
              "ambient_temperature", "power_kw"],
    "turbines": ["turbine_id", "rated_power_kw", "hub_height_m", "rotor_diameter_m"],
    "forecast": ["timestamp", "turbine_id", "wind_speed", "wind_direction",
                 "ambient_temperature"],
}
# The farm total's id in predictions (windpower.farm_total.FARM): no turbine's.
FARM_ID = "*"
OPTIONAL_COLUMNS = {"scada": ["pitch_angle"], "turbines": [], "forecast": []}
NUMERIC_COLUMNS = {
    "scada": ["wind_speed", "wind_direction", "ambient_temperature", "power_kw"],
    "forecast": ["wind_speed", "wind_direction", "ambient_temperature"],
}


def source_of(frame: pd.DataFrame) -> str:
    """The file a frame was loaded from (set by the raw dataset), or '<memory>'."""
    return str(frame.attrs.get("source", "<memory>"))


def check_file(frame: pd.DataFrame, kind: str) -> None:
    """File-level rules: readable, required columns present, non-empty, not all-NaN.

    A read failure is carried in ``frame.attrs["contract_error"]`` by the raw
    dataset, so it surfaces here, from the node, as a ``ContractError``.

    Raises:
        ContractError: naming the file, the column and the rule.
    """
    source = source_of(frame)
    error = frame.attrs.get("contract_error")
    if error:
        raise ContractError(source, error["column"], error["rule"])
    for column in REQUIRED_COLUMNS[kind]:
        if column not in frame.columns:
            raise ContractError(source, column, "required column is missing")
    if frame.empty:
        raise ContractError(source, "*", "file holds no rows (header only)")
    for column in REQUIRED_COLUMNS[kind]:
        if frame[column].isna().all():
            raise ContractError(source, column, "column holds no values (all missing)")


def check_turbines(turbines: pd.DataFrame) -> pd.DataFrame:
    """Validate the turbine table; it is small and curated, so any bad row fails.

    Returns:
        The table with contract columns, typed.
    """
    check_file(turbines, "turbines")
    source = source_of(turbines)
    out = turbines[REQUIRED_COLUMNS["turbines"]].copy()
    out["turbine_id"] = out["turbine_id"].astype(str)
    if out["turbine_id"].duplicated().any():
        raise ContractError(source, "turbine_id", "turbine ids must be unique")
    if out["turbine_id"].eq(FARM_ID).any():
        raise ContractError(source, "turbine_id", f"'{FARM_ID}' names a site's farm "
                            "total, not a turbine")
    for column in REQUIRED_COLUMNS["turbines"][1:]:
        values = pd.to_numeric(out[column], errors="coerce")
        if values.isna().any() or (values <= 0).any():
            raise ContractError(source, column, "must be a positive number")
        out[column] = values.astype(float)
    return out


def parse_timestamps(values: pd.Series) -> pd.Series:
    """UTC timestamps; naive values are taken as UTC, unparsable ones become NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.Series(values)
        if parsed.dt.tz is None:
            return parsed.dt.tz_localize("UTC")
        return parsed.dt.tz_convert("UTC")
    return pd.to_datetime(values.astype("string"), utc=True, errors="coerce",
                          format="ISO8601")


def row_rules(frame: pd.DataFrame, kind: str, turbines: pd.DataFrame,
              ranges: dict, latest: pd.Timestamp | None = None
              ) -> tuple[pd.DataFrame, pd.Series]:
    """Parse and type the rows; name the first rule each bad row breaks.

    Args:
        frame: Raw rows of ``kind`` ("scada" or "forecast").
        turbines: Validated turbine table.
        ranges: ``{column: [low, high]}``; ``power_kw`` high is x rated power.
        latest: Newest timestamp allowed (SCADA cannot come from the future);
            None: no limit.

    Returns:
        Typed frame and a Series of rule names (empty string = row is good).
    """
    columns = REQUIRED_COLUMNS[kind] + [
        c for c in OPTIONAL_COLUMNS[kind] if c in frame.columns]
    typed = frame[columns].copy()
    rule = pd.Series("", index=frame.index, dtype=object)
    # Rows that broke no rule yet, as a numpy mask: comparing the object Series to
    # "" at every rule cost ~3 s per million rows.
    free = np.ones(len(frame), dtype=bool)

    def mark(mask, name) -> None:
        hit = free & np.asarray(mask, dtype=bool)
        if hit.any():
            rule[hit] = name
            free[hit] = False

    typed["timestamp"] = parse_timestamps(typed["timestamp"])
    mark(typed["timestamp"].isna(), "unparsable_timestamp")
    if latest is not None:
        mark(typed["timestamp"] > latest, "future_timestamp")
    typed["turbine_id"] = typed["turbine_id"].astype(str)
    turbine, rated = _fleet_lookup(typed["turbine_id"], turbines)
    mark(turbine < 0, "unknown_turbine")
    for column in columns[2:]:
        numbers = pd.to_numeric(typed[column], errors="coerce")
        if column in REQUIRED_COLUMNS[kind]:
            mark(typed[column].isna(), f"missing_{column}")
        mark(numbers.isna() & typed[column].notna(), f"non_numeric_{column}")
        typed[column] = numbers.astype(float)
    for column, (low, high) in ranges.items():
        if column not in typed.columns:
            continue
        values = typed[column].to_numpy()
        top = high * rated if column == "power_kw" else high
        mark((values < low) | (values > top), f"out_of_range_{column}")
    mark(_repeats(typed["timestamp"], turbine, free), "duplicate_timestamp_turbine")
    return typed, rule


def _fleet_lookup(ids: pd.Series, turbines: pd.DataFrame
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's position in the turbine table (-1: unknown) and rated power
    (NaN: unknown). The fleet's few ids are looked up once, not once a row."""
    codes, uniques = pd.factorize(ids)  # a missing id: code -1
    found = pd.Index(turbines["turbine_id"]).get_indexer(uniques)
    turbine = np.append(found, -1)[codes]  # -1 picks the -1 at the end
    rated = np.append(turbines["rated_power_kw"].to_numpy(dtype=float), np.nan)
    return turbine, rated[turbine]  # and here the NaN


def _repeats(stamps: pd.Series, turbine: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Among ``rows``, those whose (timestamp, turbine) came in an earlier row."""
    where = np.flatnonzero(rows)
    ticks = pd.DatetimeIndex(stamps).asi8[where]
    order = np.lexsort((ticks, turbine[where]))  # stable: first comes first
    ticks, fleet = ticks[order], turbine[where][order]
    again = (ticks[1:] == ticks[:-1]) & (fleet[1:] == fleet[:-1])
    out = np.zeros(len(turbine), dtype=bool)
    out[where[order[1:][again]]] = True
    return out


def rule_column(rule: str) -> str:
    """The column a row rule is about (for messages)."""
    for prefix in ("missing_", "non_numeric_", "out_of_range_"):
        if rule.startswith(prefix):
            return rule.removeprefix(prefix)
    return {"unknown_turbine": "turbine_id",
            "duplicate_timestamp_turbine": "timestamp, turbine_id"}.get(rule,
                                                                       "timestamp")


def check_some_valid(source: str, rule: pd.Series) -> None:
    """Refuse a file in which every row breaks a rule; name the commonest rule.

    Raises:
        ContractError: naming the file, the rule's column and the rule.
    """
    if (rule == "").any():
        return
    counts = rule.value_counts()
    top = str(counts.index[0])
    raise ContractError(source, rule_column(top), f"no valid rows: all {len(rule)} "
                        f"rows rejected, {counts.iloc[0]} by rule '{top}'")


def latest_allowed(params: dict, kind: str) -> pd.Timestamp | None:
    """Newest timestamp a row may carry: SCADA history cannot be in the future.

    The reference time is the run's ``params["as_of"]`` (null: now) plus
    ``max_clock_skew_minutes``. Forecast input has no limit (it is the future,
    and a past batch may be re-scored).
    """
    if kind != "scada":
        return None
    return run_time(params.get("as_of")) + pd.Timedelta(
        minutes=params["max_clock_skew_minutes"])


def validate_rows(raw: pd.DataFrame, turbines: pd.DataFrame, params: dict,
                  kind: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Split rows into valid and rejected (with ``rejection_rule``), and count.

    Args:
        raw: Contract rows as loaded (``scada`` or ``forecast`` kind).
        turbines: Validated turbine table.
        params: ``ranges``, ``as_of`` and ``max_clock_skew_minutes``.
        kind: ``scada`` or ``forecast``.

    Returns:
        Valid typed rows, rejected raw rows with their rule, and a report dict.
    """
    check_file(raw, kind)
    typed, rule = row_rules(raw, kind, turbines, params["ranges"],
                            latest_allowed(params, kind))
    check_some_valid(source_of(raw), rule)
    bad = rule != ""
    rejected = raw.loc[bad].astype("string").assign(rejection_rule=rule[bad])
    # Copies only where something changes: a large fleet's clean, ordered year
    # (as the store returns it) is not held three times.
    valid = typed.loc[~bad] if bad.any() else typed
    order = sort_order(valid, ["turbine_id", "timestamp"])
    if (np.diff(order) != 1).any():
        valid = valid.iloc[order]
    counts = rule[bad].value_counts().to_dict()
    report = {"rows_total": len(raw), "rows_valid": int((~bad).sum()),
              "rows_rejected": int(bad.sum()),
              "rejected": {str(k): int(v) for k, v in counts.items()},
              "ignored_columns": ignored_columns(raw, kind)}
    logger.info("%s: %d rows, %d rejected %s", kind, len(raw), bad.sum(), counts)
    return valid.reset_index(drop=True), rejected.reset_index(drop=True), report


def ignored_columns(raw: pd.DataFrame, kind: str) -> list[str]:
    """Columns outside the contract: not used, only logged and reported."""
    known = REQUIRED_COLUMNS[kind] + OPTIONAL_COLUMNS[kind]
    extra = list(raw.attrs.get("ignored_columns", []))
    extra += [str(c) for c in raw.columns if c not in known]
    if extra:
        logger.warning("%s: ignoring extra columns %s", source_of(raw), extra)
    return extra
