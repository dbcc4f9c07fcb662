"""Key order on numpy arrays: the same order and verdicts as pandas."""

import numpy as np
import pandas as pd
import pytest

from windpower.keys import sort_order, strictly_sorted

pytestmark = pytest.mark.unit
KEY = ["turbine_id", "timestamp"]


def frame(ids: list, minutes: list) -> pd.DataFrame:
    stamps = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(minutes, "min")
    return pd.DataFrame({"turbine_id": ids, "timestamp": stamps, "x": range(len(ids))})


@pytest.mark.parametrize("ids", [
    ["T2", "T10", "T1", "Tä", "T2", "T1", "", "T10"],
    pd.array(["T2", "T10", "T1", "Tä", "T2", "T1", "", "T10"], dtype="object"),
])
def test_sort_order_matches_sort_values(ids):
    rows = frame(ids, [5, 1, -3, 0, 2, 7, 1, 1])
    expected = rows.sort_values(KEY)
    pd.testing.assert_frame_equal(rows.iloc[sort_order(rows, KEY)], expected)


def test_sort_order_with_missing_keys_falls_back_to_pandas():
    rows = frame(["T2", None, "T1"], [0, 1, 2])
    assert sort_order(rows, KEY).tolist() == [2, 0, 1]  # as sort_values: NaN last


def test_strictly_sorted():
    assert strictly_sorted(frame(["T1", "T1", "T2"], [0, 1, 0]), KEY)
    assert not strictly_sorted(frame(["T1", "T1", "T2"], [1, 0, 0]), KEY)
    assert not strictly_sorted(frame(["T1", "T1", "T2"], [1, 1, 0]), KEY)  # repeat
    assert not strictly_sorted(frame(["T2", "T1"], [0, 1]), KEY)
    assert not strictly_sorted(frame(["T1", None], [0, 1]), KEY)  # cannot tell
    assert strictly_sorted(frame(["T1"], [0]), KEY)
    ints = pd.DataFrame({"a": np.array([1, 2, 2]), "b": np.array([5, 1, 2])})
    assert strictly_sorted(ints, ["a", "b"])
    assert not strictly_sorted(ints, ["b"])
