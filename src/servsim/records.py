"""What the model emits: flat, immutable records with a fixed column layout.

The model only records facts (who arrived, who waited where, who was served when, what came of
it); every KPI is computed from these tables by :mod:`servsim.metrics`. Records are named tuples:
immutable, cheap to create in the customer process, and their ``_fields`` are the columns.
Times are seconds since the start of the replication; ``nan`` marks what had not happened yet
when the horizon ended.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

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


class Recorder:
    """Collects the records of one replication; the model appends, nothing else writes."""

    __slots__ = ("contacts", "customers", "staffing", "training", "visits")

    def __init__(self) -> None:
        self.customers: list[CustomerRecord] = []
        self.contacts: list[ContactRecord] = []
        self.visits: list[VisitRecord] = []
        self.staffing: list[StaffingRecord] = []
        self.training: list[TrainingRecord] = []

    def tables(self) -> RecordTables:
        """The records as DataFrames with the fixed column layout."""
        return RecordTables(
            customers=_frame(self.customers, CustomerRecord),
            contacts=_frame(self.contacts, ContactRecord),
            visits=_frame(self.visits, VisitRecord),
            staffing=_frame(self.staffing, StaffingRecord),
            training=_frame(self.training, TrainingRecord),
        )


_DTYPES = {"float": "float64", "int": "int64", "bool": "bool", "str": "object"}


def _frame(rows: Sequence[tuple[object, ...]], layout: type[tuple[object, ...]]) -> pd.DataFrame:
    """The rows as a DataFrame; an empty one still has each field's dtype, so masks work."""
    columns = list(layout._fields)  # type: ignore[attr-defined]
    if rows:
        return pd.DataFrame.from_records(rows, columns=columns)
    hints = typing.get_type_hints(layout)
    return pd.DataFrame(
        {
            c: pd.Series(dtype=_DTYPES.get(getattr(hints.get(c), "__name__", ""), "object"))
            for c in columns
        }
    )


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
