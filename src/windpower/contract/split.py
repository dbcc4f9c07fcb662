"""Split an input frame by the data contract into rows to keep and rows rejected."""

import pandas as pd

from windpower.contract.rules import (
    check_file,
    check_turbines,
    parse_timestamps,
    rule_column,
    validate_rows,
)
from windpower.errors import ContractError

# A forecast without an issue time was issued this long before its first hour.
DEFAULT_LEAD = pd.Timedelta(minutes=10)


def default_issue_time(stamps: pd.Series) -> pd.Timestamp:
    """When a forecast without ``issued_at`` counts as issued: one step before its
    first time."""
    return stamps.min() - DEFAULT_LEAD


def split_rows(kind: str, raw: pd.DataFrame, turbines: pd.DataFrame,
               params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows to keep (typed; forecasts with ``issued_at``) and rejected raw rows.

    Args:
        kind: ``scada``, ``forecast`` or ``turbines``.
        raw: Rows as read, ``attrs["source"]`` naming where they came from.
        turbines: Known turbines (validated), for the row rules.
        params: The run's data_processing parameters as Kedro loads them
            (``ranges``, ``max_clock_skew_minutes``, ``as_of``), so an
            environment or a ``params`` override rules ingest as it rules training.

    Returns:
        Accepted rows, and rejected rows (strings) with ``rejection_rule``.

    Raises:
        ContractError: the whole input breaks the contract.
    """
    if kind == "turbines":
        return check_turbines(raw), pd.DataFrame()
    if kind == "scada":
        valid, rejected, _ = validate_rows(raw, turbines, params, kind)
        return valid, rejected
    check_file(raw, kind)
    if "issued_at" not in raw.columns:
        issued = default_issue_time(parse_timestamps(raw["timestamp"]))
        valid, rejected, _ = validate_rows(raw, turbines, params, kind)
        return valid.assign(issued_at=issued), rejected
    return _split_issues(raw, turbines, params)


def _split_issues(raw: pd.DataFrame, turbines: pd.DataFrame, params: dict
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate each forecast issue on its own: hours repeat across issues."""
    issued = parse_timestamps(raw["issued_at"])
    bad = issued.isna()
    kept, rejected = [], [raw.loc[bad].astype("string").assign(
        rejection_rule="unparsable_issued_at")]
    for when, rows in raw.loc[~bad].groupby(issued[~bad]):
        # Without issued_at, which the contract would report as an extra column.
        group = rows.drop(columns="issued_at")
        group.attrs = dict(raw.attrs)
        valid, wrong, _ = validate_rows(group, turbines, params, "forecast")
        kept.append(valid.assign(issued_at=when))
        rejected.append(wrong.assign(issued_at=when.isoformat()))
    if not kept:
        raise ContractError(str(raw.attrs.get("source", "<memory>")), "issued_at",
                            f"no valid rows: all {len(raw)} rows rejected by rule "
                            "'unparsable_issued_at'")
    return pd.concat(kept, ignore_index=True), pd.concat(rejected, ignore_index=True)


def rejected_table(rejected: pd.DataFrame, kind: str, source: str) -> pd.DataFrame:
    """Rejected rows as rows of table ``rejected_rows`` (the raw row as JSON)."""
    rules = rejected["rejection_rule"].astype(str)
    data = rejected.drop(columns="rejection_rule")
    json = data.to_json(orient="records", lines=True).splitlines()
    stamps = (parse_timestamps(data["timestamp"]) if "timestamp" in data
              else pd.Series(pd.NaT, index=data.index, dtype="datetime64[us, UTC]"))
    turbine = data["turbine_id"] if "turbine_id" in data else None
    return pd.DataFrame({
        "source": source, "kind": kind, "turbine_id": turbine, "timestamp": stamps,
        "column_name": rules.map(rule_column), "rule": rules,
        "row_data": pd.Series(json, index=data.index, dtype=object),
    })
