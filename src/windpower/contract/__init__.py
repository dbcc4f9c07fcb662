"""The data contract, on the ground floor: every way data comes in (files, the
inbox, the demo farm, a Kedro run on files) passes these rules, so the store and
the pipelines apply the same ones.

- ``header``: a file refused from its first bytes and header; its kind, declared
  or unambiguous.
- ``files``: a contract file read (only its contract columns).
- ``rules``: required columns, file-level and row-level rules, ``validate_rows``.
- ``split``: rows to keep and rows rejected, forecasts by issue
  (``split_rows``), and the issue time of a forecast that has none.
"""

from windpower.contract.rules import (
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    check_file,
    check_some_valid,
    check_turbines,
    ignored_columns,
    latest_allowed,
    parse_timestamps,
    row_rules,
    rule_column,
    source_of,
    validate_rows,
)

__all__ = ["NUMERIC_COLUMNS", "OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "check_file",
           "check_some_valid", "check_turbines", "ignored_columns", "latest_allowed",
           "parse_timestamps", "row_rules", "rule_column", "source_of",
           "validate_rows"]
