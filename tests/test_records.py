"""The recorder's column arrays hold exactly the rows the model appended, however compacted."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from servsim.records import Recorder, VisitRecord

visits = st.builds(
    VisitRecord,
    customer=st.integers(0, 10**9),
    contact=st.integers(0, 50),
    touchpoint=st.sampled_from(["call", "review", "status_inquiry"]),
    step=st.integers(-1, 5),
    pool=st.sampled_from(["", "agents", "back"]),
    customer_present=st.booleans(),
    moment_of_truth=st.booleans(),
    responds=st.booleans(),
    queued=st.floats(0, 1e7),
    started=st.one_of(st.just(math.nan), st.floats(0, 1e7)),
    ended=st.one_of(st.just(math.nan), st.floats(0, 1e7)),
    outcome=st.sampled_from(["resolved", "abandoned", "next", "in_system"]),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(visits, max_size=20), max_size=5))
def test_compacted_columns_equal_the_rows(batches: list[list[VisitRecord]]) -> None:
    recorder = Recorder()
    for batch in batches:
        recorder.visits.extend(batch)
        recorder.compact()
    rows = [row for batch in batches for row in batch]
    table = recorder.tables().visits
    expected = pd.DataFrame(rows, columns=list(VisitRecord._fields))
    assert len(table) == len(rows)
    if rows:
        pd.testing.assert_frame_equal(table, expected, check_dtype=False)
        assert table["queued"].dtype == "float64" and table["customer_present"].dtype == bool
    pd.testing.assert_frame_equal(recorder.tables().visits, table)  # asked twice: the same
