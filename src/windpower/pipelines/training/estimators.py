"""The gradient-boosted deviation models and their split-conformal residuals,
shared by the power curve (measured wind) and the forecaster (forecasts)."""

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits


def fit_estimator(matrix: np.ndarray, target: np.ndarray, estimator: dict,
                  threads: int | None) -> HistGradientBoostingRegressor:
    """Fit on a plain matrix, as the model scores one (no feature-name checks)."""
    model = HistGradientBoostingRegressor(**estimator)
    with threadpool_limits(threads):
        model.fit(matrix, target)
    return model


def held_out_residuals(  # noqa: PLR0917 (arrays of one table, named)
        matrix: np.ndarray, deviation: np.ndarray, base: np.ndarray,
        fit_at: np.ndarray, held_at: np.ndarray, cut_out: np.ndarray,
        floor: float, params: dict, blank: tuple = ()) -> np.ndarray:
    """Measured minus P50 (fractions of rated) of rows ``held_at``, scored by a
    fit on rows ``fit_at`` only: the residuals split-conformal bands come from.

    Args:
        matrix: Feature matrix of all rows.
        deviation: Target of each row: measured power / rated minus ``base``.
        base: The binned curve's power / rated of each row.
        fit_at, held_at: Positions of the rows fitted on and scored.
        cut_out: Rows served 0 kW (storm), as the model serves them.
        floor: Lowest power (fraction of rated) the model serves.
        params: ``estimator`` and ``threads``.
        blank: ``(positions, feature columns)``: these rows are scored once more
            with those features blank, as the model sees rows lacking an optional
            input; their residuals follow ``held_at``'s.
    """
    model = fit_estimator(matrix[fit_at], deviation[fit_at], params["estimator"],
                          params["threads"])
    parts = [(held_at, matrix[held_at])]
    if blank:
        at, columns = blank
        blanked = matrix[at]  # a copy: the matrix itself is left as it is
        blanked[:, columns] = np.nan
        parts.append((at, blanked))
    out = []
    for at, rows in parts:
        with threadpool_limits(params["threads"]):
            p50 = np.clip(base[at] + model.predict(rows), floor, 1.0)
        p50[cut_out[at]] = 0.0
        # Measured as the quantiles are clipped.
        out.append(np.clip(deviation[at] + base[at], floor, 1.0) - p50)
    return np.concatenate(out)
