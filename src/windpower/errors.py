"""Errors a run can end with, meant to be read by people (and caught by flows)."""

NO_CHAMPION_MESSAGE = "no champion model registered yet; run the training flow"


class ContractError(ValueError):
    """A file breaks the data contract; the message names file, column and rule."""

    def __init__(self, source: str, column: str, rule: str):
        self.source, self.column, self.rule = source, column, rule
        super().__init__(
            f"data contract broken in file '{source}': column '{column}': {rule}")


class NoChampionError(RuntimeError):
    """Inference was asked for but no model version carries the champion alias."""

    def __init__(self) -> None:
        super().__init__(NO_CHAMPION_MESSAGE)


class NoForecastError(RuntimeError):
    """Inference was asked for but no weather forecast was issued before as_of."""

    def __init__(self) -> None:
        super().__init__("no weather forecast issued at or before as_of; the "
                         "ingest flow stores them (demo farm or inbox)")
