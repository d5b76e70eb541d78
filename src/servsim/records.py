"""What the model emits: flat, immutable records with a fixed column layout.

The model only records facts (who arrived, who waited where, who was served when, what came of
it); every KPI is computed from these tables by :mod:`servsim.metrics`. Records are named tuples:
immutable, cheap to create in the customer process, and their ``_fields`` are the columns.
Times are seconds since the start of the replication; ``nan`` marks what had not happened yet
when the horizon ended.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np
import pandas as pd

CustomerOutcome = Literal["resolved", "unresolved", "abandoned", "in_system"]
"""How a customer's issue ended: ``in_system`` when it had not ended at the horizon."""

ContactOutcome = Literal[CustomerOutcome, "failed", "answered"]
"""How one contact ended; ``answered`` ends a status inquiry, ``failed`` a visit that erred."""

VisitOutcome = Literal[ContactOutcome, "next"]
"""How one visit ended; ``next`` hands the customer on to the next touchpoint of the cycle."""

ContactKind = Literal["first", "recontact", "retry", "status_inquiry"]
"""Why a contact was made: the first one, after an unresolved one, after abandoning, for news."""

# The outcomes by name, for code that compares a record column with one: a misspelt name is an
# error for mypy and ruff, where a misspelt string would silently match nothing. The values are
# the strings written to disk, so saved tables keep their columns.
RESOLVED: Final[CustomerOutcome] = "resolved"
UNRESOLVED: Final[CustomerOutcome] = "unresolved"
ABANDONED: Final[CustomerOutcome] = "abandoned"
IN_SYSTEM: Final[CustomerOutcome] = "in_system"
FAILED: Final[ContactOutcome] = "failed"
ANSWERED: Final[ContactOutcome] = "answered"
NEXT: Final[VisitOutcome] = "next"
STATUS_INQUIRY: Final[ContactKind] = "status_inquiry"
"""The kind of a status-inquiry contact, and the touchpoint name of its visit (step -1)."""


class CustomerRecord(NamedTuple):
    """One customer (one issue) from first arrival to departure."""

    customer: int
    segment: str
    request_type: str
    arrived: float
    left: float
    outcome: CustomerOutcome
    contacts: int


class ContactRecord(NamedTuple):
    """One contact: a first contact, a re-contact, a retry after abandoning, a status inquiry."""

    customer: int
    contact: int  # 0 = the first contact
    kind: ContactKind
    started: float
    ended: float
    outcome: ContactOutcome
    repeats_question: bool  # the customer had already put this question to staff


class VisitRecord(NamedTuple):
    """One visit to a touchpoint: the wait for it, its service, and what came of it."""

    customer: int
    contact: int
    touchpoint: str
    step: int  # position in the service cycle; -1 for a status inquiry
    pool: str  # "" for self-service / physical support
    customer_present: bool
    moment_of_truth: bool
    responds: (
        bool  # starting this visit is a response to the customer (staff, or an automated reply)
    )
    queued: float
    started: float
    ended: float
    outcome: VisitOutcome


class StaffingRecord(NamedTuple):
    """A pool's state from this time on: staff on the floor, in training, on overtime.

    ``overtime`` counts staff serving off the floor: after their shift ended (the customer in
    hand, or those still queuing in person at closing) or into training, finishing a customer.
    """

    pool: str
    time: float
    on_floor: int
    in_training: int
    proficiency: float
    overtime: int = 0


class TrainingRecord(NamedTuple):
    """A group of a pool's staff trained off the floor, and what it cost beyond wages."""

    pool: str
    programme: str
    start: float
    end: float
    trainees: int
    cost: float


RECORD_TYPES: dict[str, type[tuple[object, ...]]] = {
    "customers": CustomerRecord,
    "contacts": ContactRecord,
    "visits": VisitRecord,
    "staffing": StaffingRecord,
    "training": TrainingRecord,
}


COMPACT_EVERY = 16_384
"""Arrivals between two compactions of the recorder (rows to column arrays)."""


class Recorder:
    """Collects the records of one replication; the model appends, nothing else writes.

    The model appends one tuple per event, the cheapest thing it can do in its hot loop, and
    :meth:`compact` (called every :data:`COMPACT_EVERY` arrivals, and at the end) moves the
    rows into typed column arrays: 8 bytes a number instead of a Python object each, so a
    replication's records take a fraction of the memory, and the tables are built from
    columns without pandas converting millions of tuples.
    """

    __slots__ = ("_columns", "contacts", "customers", "staffing", "training", "visits")

    def __init__(self) -> None:
        self.customers: list[CustomerRecord] = []
        self.contacts: list[ContactRecord] = []
        self.visits: list[VisitRecord] = []
        self.staffing: list[StaffingRecord] = []
        self.training: list[TrainingRecord] = []
        self._columns: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in RECORD_TYPES}

    def compact(self) -> None:
        """Move the rows appended so far into column arrays (the row lists are emptied)."""
        for name, layout in RECORD_TYPES.items():
            rows: list[tuple[object, ...]] = getattr(self, name)
            if rows:
                self._columns[name].append(_to_columns(rows, layout))
                rows.clear()

    def tables(self) -> RecordTables:
        """The records as DataFrames with the fixed column layout."""
        self.compact()
        frames = {}
        for name, layout in RECORD_TYPES.items():
            chunks = self._columns[name]
            if len(chunks) > 1:  # merged once, so a second call does not repeat the work
                chunks[:] = [{f: np.concatenate([c[f] for c in chunks]) for f in chunks[0]}]
            frames[name] = _frame(chunks, layout)
        return RecordTables(**frames)


_DTYPES = {"float": "float64", "int": "int64", "bool": "bool", "str": "object"}


@functools.cache
def _dtypes(layout: type[tuple[object, ...]]) -> dict[str, str]:
    """Each field's numpy dtype, from the record's type hints (a Literal is text)."""
    hints = typing.get_type_hints(layout)
    return {
        field: _DTYPES.get(getattr(hints.get(field), "__name__", ""), "object")
        for field in layout._fields  # type: ignore[attr-defined]
    }


def _to_columns(
    rows: Sequence[tuple[object, ...]], layout: type[tuple[object, ...]]
) -> dict[str, np.ndarray]:
    """Rows as one typed array per field."""
    dtypes = _dtypes(layout)
    columns = zip(*rows, strict=True)
    return {
        field: np.array(values, dtype=dtypes[field])
        for field, values in zip(dtypes, columns, strict=True)
    }


def _frame(chunks: list[dict[str, np.ndarray]], layout: type[tuple[object, ...]]) -> pd.DataFrame:
    """The column chunks as one DataFrame; an empty one still has each field's dtype."""
    dtypes = _dtypes(layout)
    if not chunks:
        return pd.DataFrame({c: pd.Series(dtype=dtype) for c, dtype in dtypes.items()})
    (columns,) = chunks
    return pd.DataFrame({field: columns[field] for field in dtypes})


@dataclass(frozen=True)
class RecordTables:
    """The four record tables of one replication (or of many, with a ``replication`` column)."""

    customers: pd.DataFrame
    contacts: pd.DataFrame
    visits: pd.DataFrame
    staffing: pd.DataFrame
    training: pd.DataFrame

    def as_dict(self) -> dict[str, pd.DataFrame]:
        """Table name -> DataFrame, in a fixed order."""
        return {
            "customers": self.customers,
            "contacts": self.contacts,
            "visits": self.visits,
            "staffing": self.staffing,
            "training": self.training,
        }
