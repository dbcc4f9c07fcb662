"""Encode a frame in PostgreSQL's binary COPY format with numpy, no row loop.

Text COPY spends most of its time printing and parsing floats and timestamps;
binary COPY sends them as they are in memory (big-endian). A binary row is a
fixed record when every field has a fixed width, so rows are grouped by the byte
lengths of their text fields (usually one group: ids of one length) and each group
is one numpy structured array. Float NaN is sent as NaN (a NULL would change the
row's width): the caller turns it into NULL (``NULLIF(x, 'NaN')``).
"""

import numpy as np
import pandas as pd
import pyarrow as pa

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
TRAILER = b"\xff\xff"
_EPOCH_2000_US = 946_684_800_000_000
FIXED = {"double precision": ">f8", "integer": ">i4", "bigint": ">i8",
         "timestamp with time zone": ">i8"}
SUPPORTED = {*FIXED, "text"}


def encodable(frame: pd.DataFrame, types: list[str]) -> bool:
    """True when binary encoding applies: known types, NULLs only as float NaN."""
    if not set(types) <= SUPPORTED:
        return False
    return not any(frame[c].isna().any() for c, t in zip(frame.columns, types,
                   strict=True) if t != "double precision")


def _values(values: pd.Series, pg_type: str) -> np.ndarray:
    """A fixed-width column as an array of its big-endian wire type."""
    if pg_type == "timestamp with time zone":
        stamps = pd.to_datetime(values, utc=True).dt.tz_convert(None)
        micro = stamps.to_numpy("datetime64[us]").view("i8")
        return (micro - _EPOCH_2000_US).astype(FIXED[pg_type])
    return values.to_numpy(dtype="f8" if pg_type == "double precision" else "i8"
                           ).astype(FIXED[pg_type])


def _text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of a text column (one buffer) and each value's start offset."""
    array = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[
        array.offset:array.offset + len(array) + 1]
    return np.frombuffer(array.buffers()[2], dtype=np.uint8), offsets


def encode(frame: pd.DataFrame, types: list[str]) -> bytes:
    """The frame as one binary COPY stream; see ``encodable`` for what it takes."""
    fixed = {c: _values(frame[c], t) for c, t in zip(frame.columns, types,
                                                     strict=True) if t != "text"}
    texts = {c: _text(frame[c]) for c, t in zip(frame.columns, types, strict=True)
             if t == "text"}
    lengths = np.stack([np.diff(off) for _, off in texts.values()], axis=1) \
        if texts else np.zeros((len(frame), 0), dtype=np.int64)
    parts = [HEADER]
    for rows in _groups(lengths):
        layout = dict(zip(texts, lengths[rows[0]].tolist(), strict=True))
        parts.append(_records(frame.columns, fixed, texts, layout, rows).tobytes())
    parts.append(TRAILER)
    return b"".join(parts)


def _groups(lengths: np.ndarray) -> list[np.ndarray]:
    """Row numbers grouped by equal text lengths (one group in the common case)."""
    n = len(lengths)
    if n == 0 or (lengths == lengths[0]).all():
        return [np.arange(n)] if n else []
    key = np.zeros(n, dtype=np.int64)
    for column in lengths.T:  # one integer per layout (ids are short)
        key = key * (int(column.max()) + 1) + column
    _, group = np.unique(key, return_inverse=True)
    return [np.flatnonzero(group == g) for g in range(int(group.max()) + 1)]


def _records(columns, fixed: dict, texts: dict, widths: dict[str, int],
             rows: np.ndarray) -> np.ndarray:
    """Rows ``rows`` as binary COPY records, all of one layout."""
    dtype = [("count", ">i2")]
    for c in columns:
        value = fixed[c].dtype.str if c in fixed else f"S{max(widths[c], 1)}"
        dtype += [(f"len_{c}", ">i4"), (f"val_{c}", value)]
    if any(widths[c] == 0 for c in widths):  # an empty string has no value bytes
        dtype = [(n, t) for n, t in dtype if not (
            n.startswith("val_") and widths.get(n[4:], 1) == 0)]
    out = np.zeros(len(rows), dtype=np.dtype(dtype))
    out["count"] = len(columns)
    for c in columns:
        if c in fixed:
            out[f"len_{c}"] = fixed[c].dtype.itemsize
            out[f"val_{c}"] = fixed[c][rows]
        else:
            out[f"len_{c}"] = widths[c]
            if widths[c]:
                data, offsets = texts[c]
                gather = offsets[rows][:, None] + np.arange(widths[c])
                out[f"val_{c}"] = data[gather].view(f"S{widths[c]}").ravel()
    return out
