"""What the model emits: flat, immutable records with a fixed column layout.

The model only records facts (who arrived, who waited where, who was served when, what came of
it); every KPI is computed from these tables by :mod:`servsim.metrics`. Records are tuples whose
fields are in the order of the named tuples below (``_fields`` are the columns): the model
appends plain tuples, the cheapest thing to build in its hot loop, and anything else may append
the named tuples themselves.
Times are seconds since the start of the replication; ``nan`` marks what had not happened yet
when the horizon ended.
"""

from __future__ import annotations

import functools
import struct
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


CustomerRow = tuple[int, str, str, float, float, str, int]
"""A :class:`CustomerRecord` as a plain tuple (what the model appends)."""
ContactRow = tuple[int, int, str, float, float, str, bool]
"""A :class:`ContactRecord` as a plain tuple."""
VisitRow = tuple[int, int, str, int, str, bool, bool, bool, float, float, float, str]
"""A :class:`VisitRecord` as a plain tuple."""


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


OUTCOMES: tuple[str, ...] = typing.get_args(VisitOutcome)
"""Every outcome by code, in the model's coded rows (:class:`Codebook`)."""
OUTCOME_CODES: dict[str, int] = {name: code for code, name in enumerate(OUTCOMES)}
KINDS: tuple[str, ...] = typing.get_args(ContactKind)
"""Every kind of contact by code."""
KIND_CODES: dict[str, int] = {name: code for code, name in enumerate(KINDS)}


class CodedCustomer(NamedTuple):
    """A :class:`CustomerRecord` as the model appends it: names as codes (:class:`Codebook`)."""

    customer: int
    segment: int
    request_type: int
    arrived: float
    left: float
    outcome: int
    contacts: int


class CodedContact(NamedTuple):
    """A :class:`ContactRecord` as the model appends it."""

    customer: int
    contact: int
    kind: int
    started: float
    ended: float
    outcome: int
    repeats_question: bool


class CodedVisit(NamedTuple):
    """A :class:`VisitRecord` as the model appends it (a touchpoint code: name, step, flags)."""

    customer: int
    contact: int
    touchpoint: int
    pool: int
    queued: float
    started: float
    ended: float
    outcome: int


CodedCustomerRow = tuple[int, int, int, float, float, int, int]
CodedContactRow = tuple[int, int, int, float, float, int, bool]
CodedVisitRow = tuple[int, int, int, int, float, float, float, int]

CODED_TYPES: dict[str, type[tuple[object, ...]]] = {
    "customers": CodedCustomer,
    "contacts": CodedContact,
    "visits": CodedVisit,
}

CODED_ROWS: dict[str, struct.Struct] = {
    "customers": struct.Struct("<qiiddiq"),
    "contacts": struct.Struct("<qqiddi?"),
    "visits": struct.Struct("<qqiidddi"),
}
"""How the model packs each coded row into bytes (the fields of :data:`CODED_TYPES`, in
order): appending the bytes costs about what appending a tuple does, and they are read into
typed columns at once, with no Python object per value."""

_STRUCT_TYPES = {"q": "<i8", "i": "<i4", "d": "<f8", "?": "?"}


@functools.cache
def _packed_dtype(name: str) -> np.dtype:
    """The numpy dtype of a packed coded row (the same bytes, field by field)."""
    layout = CODED_TYPES[name]
    formats = CODED_ROWS[name].format.lstrip("<")
    fields = layout._fields  # type: ignore[attr-defined]
    return np.dtype([(f, _STRUCT_TYPES[c]) for f, c in zip(fields, formats, strict=True)])


@dataclass(frozen=True)
class Codebook:
    """The names behind the codes of the model's rows, and how to turn them into records.

    The model appends numbers only (a code is cheaper to store and to read into columns
    than a string, and a touchpoint's code stands for five fields); the record tables get
    their text when they are built, in Arrow, without a Python string per row.

    Attributes:
        touchpoints: per code, the touchpoint's name, step, customer_present,
            moment_of_truth and responds.
        pools: pool names by code; code 0 is ``""`` (no staff).
        segments: segment names by code.
        request_types: request-type names by code.
    """

    touchpoints: tuple[tuple[str, int, bool, bool, bool], ...]
    pools: tuple[str, ...]
    segments: tuple[str, ...]
    request_types: tuple[str, ...]

    def decode(self, name: str, columns: dict[str, np.ndarray]) -> dict[str, object]:
        """Coded columns of a per-customer table as the record table's columns."""
        if name == "customers":
            return {
                "customer": columns["customer"],
                "segment": text_column(columns["segment"], self.segments),
                "request_type": text_column(columns["request_type"], self.request_types),
                "arrived": columns["arrived"],
                "left": columns["left"],
                "outcome": text_column(columns["outcome"], OUTCOMES),
                "contacts": columns["contacts"],
            }
        if name == "contacts":
            return {
                "customer": columns["customer"],
                "contact": columns["contact"],
                "kind": text_column(columns["kind"], KINDS),
                "started": columns["started"],
                "ended": columns["ended"],
                "outcome": text_column(columns["outcome"], OUTCOMES),
                "repeats_question": columns["repeats_question"],
            }
        tp = columns["touchpoint"]
        names, steps, present, moment, responds = zip(*self.touchpoints, strict=True)
        return {
            "customer": columns["customer"],
            "contact": columns["contact"],
            "touchpoint": text_column(tp, names),
            "step": np.asarray(steps, dtype=np.int64)[tp],
            "pool": text_column(columns["pool"], self.pools),
            "customer_present": np.asarray(present, dtype=bool)[tp],
            "moment_of_truth": np.asarray(moment, dtype=bool)[tp],
            "responds": np.asarray(responds, dtype=bool)[tp],
            "queued": columns["queued"],
            "started": columns["started"],
            "ended": columns["ended"],
            "outcome": text_column(columns["outcome"], OUTCOMES),
        }


RECORD_TYPES: dict[str, type[tuple[object, ...]]] = {
    "customers": CustomerRecord,
    "contacts": ContactRecord,
    "visits": VisitRecord,
    "staffing": StaffingRecord,
    "training": TrainingRecord,
}


COMPACT_EVERY = 65_536
"""Arrivals between two compactions of the recorder (rows to column arrays, or a batch).

Each batch has a fixed cost in pandas of some 25 ms, so fewer, larger batches are faster
(16,384 cost a run of 200,000 customers 7-10% more time); larger ones hold more customers'
records at once (about 60 MB more peak than 16,384 on M/M/10 with ``records: summary``).
Batches are summed in turn, so changing this changes a long run's sums in the last bits.
"""

_PER_CUSTOMER = ("customers", "contacts", "visits")
"""The tables whose rows belong to one customer and leave the recorder with them."""


@dataclass(frozen=True)
class RecordBatch:
    """The records of customers who are done, handed on while the run goes on.

    A customer is done once they left and nothing of theirs is under way (no status inquiry
    in progress), so every record they will ever have is in the batch. Measures built per
    customer (a first response, a resolution) are then whole within one batch.

    Attributes:
        tables: every record of the batch's customers, and the staffing and training
            records so far (they are few and a measure may need their whole history).
        busy: ``pool``, ``started`` and ``ended`` of visits that ended but whose customer is
            not done: busy time of a pool, which a moment's trailing occupancy counts.
        open_since: no moment still to come (of a customer not in a batch yet) is earlier
            than this, and every service that started before it has ended (and is in a
            batch or in ``busy``).
        final: the last batch, at the horizon: every customer left over, done or not.
    """

    tables: RecordTables
    busy: pd.DataFrame
    open_since: float
    final: bool = False


BatchConsumer = typing.Callable[[RecordBatch], None]


class Recorder:
    """Collects the records of one replication; the model appends, nothing else writes.

    The model appends one tuple per event, the cheapest thing it can do in its hot loop. Every
    :data:`COMPACT_EVERY` arrivals (and at the end) the rows move on:

    * without a consumer, :meth:`compact` moves them into typed column arrays (8 bytes a
      number instead of a Python object each), and :meth:`tables` returns every record;
    * with a consumer (``on_batch``), :meth:`settle` hands the records of customers who are
      done to it as a :class:`RecordBatch`, and keeps them only when ``keep`` is set, so a
      replication need not hold what its measures have already counted.

    The row lists are only ever emptied in place, never replaced, so the model may hold on to
    them. With a :attr:`codebook` (the model sets one), customers, contacts and visits come
    as coded rows packed into bytes instead (``coded_customers``, ``coded_contacts``,
    ``coded_visits``, each row by :data:`CODED_ROWS`), kept as coded columns until a table
    is built.
    """

    __slots__ = (
        "_columns",
        "_history",
        "_pending",
        "codebook",
        "coded_contacts",
        "coded_customers",
        "coded_visits",
        "contacts",
        "customers",
        "keep",
        "on_batch",
        "staffing",
        "training",
        "visits",
    )

    def __init__(self, on_batch: BatchConsumer | None = None, keep: bool = True) -> None:
        self.codebook: Codebook | None = None
        self.customers: list[CustomerRow] = []
        self.contacts: list[ContactRow] = []
        self.visits: list[VisitRow] = []
        self.coded_customers = bytearray()
        self.coded_contacts = bytearray()
        self.coded_visits = bytearray()
        self.staffing: list[StaffingRecord] = []
        self.training: list[TrainingRecord] = []
        self.on_batch = on_batch
        self.keep = keep
        self._columns: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in RECORD_TYPES}
        self._history: dict[str, list[dict[str, np.ndarray]]] = {"staffing": [], "training": []}
        # rows of customers not done yet at the last settle, as columns, in row order
        self._pending: dict[str, dict[str, np.ndarray]] = {}

    def _coded(self, name: str) -> bool:
        """Whether a table's rows come coded and packed (see :data:`CODED_ROWS`)."""
        return self.codebook is not None and name in CODED_TYPES

    def _empty(self, name: str) -> dict[str, np.ndarray]:
        """No rows of a table, as columns of the dtypes its rows get."""
        if self._coded(name):
            dtype = _packed_dtype(name)
            return {f: np.zeros(0, dtype=dtype[f]) for f in dtype.names or ()}
        return _to_columns([], RECORD_TYPES[name])

    def _fresh(self, name: str) -> dict[str, np.ndarray] | None:
        """The rows appended since the last call, as columns (None: none); the rows go."""
        if self._coded(name):
            packed: bytearray = getattr(self, f"coded_{name}")
            if not packed:
                return None
            table = np.frombuffer(packed, dtype=_packed_dtype(name))
            columns = {field: table[field].copy() for field in table.dtype.names or ()}
            del table  # lets go of the bytes, which may then be emptied
            del packed[:]
            return columns
        rows: list[tuple[object, ...]] = getattr(self, name)
        if not rows:
            return None
        columns = _to_columns(rows, RECORD_TYPES[name])
        rows.clear()
        return columns

    def _frame(self, name: str, chunks: list[dict[str, np.ndarray]]) -> pd.DataFrame:
        """A table from its column chunks (at most one), decoded when coded."""
        if chunks and self.codebook is not None and name in CODED_TYPES:
            (columns,) = chunks
            return pd.DataFrame(self.codebook.decode(name, columns))
        return _frame(chunks, RECORD_TYPES[name])

    def compact(self) -> None:
        """Move the rows appended so far into column arrays (the row lists are emptied)."""
        for name in RECORD_TYPES:
            fresh = self._fresh(name)
            if fresh is not None:
                self._columns[name].append(fresh)

    def _taken(self, name: str) -> dict[str, np.ndarray]:
        """The rows kept back at the last settle and those appended since, as columns."""
        fresh = self._fresh(name)
        pending = self._pending.pop(name, None)
        if pending is None:
            return fresh if fresh is not None else self._empty(name)
        return pending if fresh is None else _concatenate([pending, fresh])

    def settle(self, open_since: float, under_way: typing.Collection[int], final: bool) -> None:
        """Hand the records of customers who are done to the consumer (compact without one).

        Args:
            open_since: the earliest service start still under way (or now): customers who
                left by then, with nothing under way, are done.
            under_way: customers with something under way (a status inquiry after leaving).
            final: the horizon: every customer left is in this batch.
        """
        if self.on_batch is None:
            self.compact()
            return
        taken = {name: self._taken(name) for name in _PER_CUSTOMER}
        if final:
            done_ids = None
        else:
            customers = taken["customers"]
            ids = customers["customer"]
            busy_ids = np.fromiter(under_way, dtype=np.int64, count=len(under_way))
            done = (customers["left"] <= open_since) & ~np.isin(ids, busy_ids)
            if not done.any():
                self._pending.update(taken)
                return
            done_ids = ids[done]
        batch: dict[str, dict[str, np.ndarray]] = {}
        for name in _PER_CUSTOMER:
            columns = taken[name]
            if done_ids is None:
                batch[name] = columns if len(columns["customer"]) else {}
                continue
            mask = np.isin(columns["customer"], done_ids)
            batch[name] = {f: c[mask] for f, c in columns.items()} if mask.any() else {}
            if not mask.all():
                self._pending[name] = {f: c[~mask] for f, c in columns.items()}
        for name in ("staffing", "training"):
            rows: list[tuple[object, ...]] = getattr(self, name)
            history = self._history[name]
            if rows:
                history.append(_to_columns(rows, RECORD_TYPES[name]))
                rows.clear()
            if len(history) > 1:
                history[:] = [_concatenate(history)]
            batch[name] = history[0] if history else {}
        pending = self._pending.get("visits")
        if pending is None:
            pending = self._empty("visits")
        elif len(pending["queued"]):
            open_since = min(open_since, float(pending["queued"].min()))
        pools = pending["pool"]
        if self.codebook is not None:
            pools = np.asarray(self.codebook.pools, dtype=object)[pools]
        busy = pd.DataFrame(
            {
                "pool": pools.tolist(),
                "started": pending["started"],
                "ended": pending["ended"],
            }
        )
        tables = RecordTables(
            **{
                name: self._frame(name, [columns] if columns else [])
                for name, columns in batch.items()
            }
        )
        if self.keep:
            for name in _PER_CUSTOMER:
                if batch[name]:
                    self._columns[name].append(batch[name])
            if final:
                for name in ("staffing", "training"):
                    if batch[name]:
                        self._columns[name].append(batch[name])
        self.on_batch(RecordBatch(tables, busy, open_since, final))

    def tables(self) -> RecordTables:
        """The records as DataFrames with the fixed column layout."""
        if self.on_batch is None:
            self.compact()
        frames = {}
        for name in RECORD_TYPES:
            chunks = self._columns[name]
            if len(chunks) > 1:  # merged once, so a second call does not repeat the work
                chunks[:] = [_concatenate(chunks)]
            frames[name] = self._frame(name, chunks)
        return RecordTables(**frames)


def _concatenate(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {f: np.concatenate([c[f] for c in chunks]) for f in chunks[0]}


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
    if not rows:
        return {field: np.array([], dtype=dtype) for field, dtype in _dtypes(layout).items()}
    table = np.array(rows, dtype=_row_dtype(layout))  # one pass in C over every row
    return {field: table[field].copy() for field in table.dtype.names or ()}


@functools.cache
def _row_dtype(layout: type[tuple[object, ...]]) -> np.dtype:
    """A structured dtype with one field per record field, to read a list of rows at once."""
    return np.dtype([(field, np.dtype(dtype)) for field, dtype in _dtypes(layout).items()])


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


# --------------------------------------------------------------------------- text columns
# Pools, touchpoints, outcomes and segments are a handful of names repeated over every row.
# pandas keeps text in Arrow arrays; going through a Python string per row (``to_numpy`` of an
# object array, building a column from one) costs far more than the work done with it, so
# these helpers match names and build columns in Arrow, by position in a list of names.


@functools.cache
def _text_type() -> tuple[object, pa.DataType | None]:
    """The dtype pandas gives a column of strings, and its Arrow type (None: not Arrow)."""
    dtype = pd.Series(["x"]).dtype
    arrow = getattr(pd.Series(["x"]).array, "__arrow_array__", None)
    return dtype, arrow().type if arrow is not None else None


def text_codes(values: pd.Series, names: Sequence[str]) -> npt.NDArray[np.int64]:
    """Each value's position in ``names`` (-1 where it is none of them, or missing)."""
    arrow = getattr(values.array, "__arrow_array__", None)
    if arrow is None or not names:
        index = pd.Index(list(names), dtype=object)
        found = index.get_indexer(pd.Index(values.to_numpy(dtype=object), dtype=object))
        return np.asarray(found, dtype=np.int64)
    data = arrow()
    position = pc.index_in(data, value_set=pa.array(list(names), type=data.type))
    return np.asarray(position.fill_null(-1).to_numpy(), dtype=np.int64)


TextColumn = npt.NDArray[np.object_] | pd.api.extensions.ExtensionArray
"""A column of text as pandas holds it: Arrow-backed, or an object array."""


def text_column(codes: npt.NDArray[np.integer], names: Sequence[str]) -> TextColumn:
    """``names[codes]`` as pandas would store that text (missing where a code is -1)."""
    dtype, arrow_type = _text_type()
    codes = np.asarray(codes, dtype=np.int64)
    if arrow_type is None:
        table: npt.NDArray[np.object_] = np.asarray([*names, None], dtype=object)[codes]
        return table
    taken = pa.array(list(names), type=arrow_type).take(pa.array(codes, mask=codes < 0))
    return typing.cast(TextColumn, pd.array(taken, dtype=dtype))


def take_text(values: pd.Series, positions: npt.NDArray[np.integer]) -> TextColumn:
    """The text at ``positions`` of a column (missing where a position is -1)."""
    positions = np.asarray(positions, dtype=np.int64)
    if getattr(values.array, "__arrow_array__", None) is not None:
        return typing.cast(TextColumn, values.array.take(positions, allow_fill=True))
    picked: npt.NDArray[np.object_] = values.to_numpy(dtype=object)[np.maximum(positions, 0)]
    picked[positions < 0] = None
    return picked
