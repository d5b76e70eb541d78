"""Simulated satisfaction: records -> moments of truth -> customers (docs/model.md §5).

The model only records what happened; this module turns the records of one replication into
what customers felt, in three steps:

1. :func:`moment_table`: every *visible* moment (a visit to a moment-of-truth touchpoint that
   ended, status inquiries included) gets a performance per SERVQUAL dimension, the
   normalised disconfirmation ``x_d`` of each against the segment's zone of tolerance, an
   asymmetric moment utility ``v`` and a level 1-5 (bitter ... stellar).
2. :func:`customer_satisfaction`: the moments of each customer's cycle are combined peak-end
   style into the overall satisfaction ``S``, and a noisy survey answer (CSAT 1-5, would
   recommend 0-10) is drawn from it.
3. :func:`satisfaction_metrics`: per-replication KPIs (CSAT, top-2-box, NPS, level shares,
   stellar and bitter moments per touchpoint, empathy and assurance, on-time resolution).

Work the customer never sees (the back office, the "technical core") enters only through
visible moments: a back-office delay becomes a longer wait where the customer waits present,
a back-office error becomes a failed or repeated contact, a late resolution becomes status
inquiries. Nothing here reads an invisible visit's outcome directly.

Shapes and anchors are from the literature [LIT]: zone of tolerance and disconfirmation
(Oliver 1980; Zeithaml, Berry & Parasuraman 1993), loss aversion and diminishing sensitivity
(Kahneman & Tversky 1979), perceived waits (Maister 1985; Larson 1987), peak-end (Kahneman
1993; Verhoef 2004). Every number is a default of :class:`~servsim.SatisfactionModel` that a
scenario may override [ASM]; choices of ours not fixed by docs/model.md are marked [ASM] below.

Everything is vectorised with numpy: no Python loop runs per visit or per customer, so the
cost of a replication's satisfaction stays far below the cost of simulating it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import get_args, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from servsim.catalogue import column
from servsim.records import (
    ABANDONED,
    FAILED,
    IN_SYSTEM,
    RESOLVED,
    STATUS_INQUIRY,
    UNRESOLVED,
    RecordTables,
    TextColumn,
    VisitOutcome,
    take_text,
    text_codes,
    text_column,
)
from servsim.satisfaction_schema import (
    DIMENSIONS,
    Channel,
    CycleWeights,
    Delight,
    SatisfactionModel,
)
from servsim.scenario import ResolvedScenario, Scenario, Touchpoint, default_channel
from servsim.streams import CounterNoise
from servsim.tally import Tally

__all__ = [
    "MOMENT_COLUMNS",
    "PERFORMANCE_DIMENSIONS",
    "SATISFACTION_COLUMNS",
    "STATUS_INQUIRY",
    "customer_satisfaction",
    "cycle_satisfaction",
    "delighted",
    "disconfirmation",
    "moment_level",
    "moment_table",
    "moment_touchpoints",
    "moment_utility",
    "satisfaction_metrics",
    "wait_disconfirmation",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_VISIT_OUTCOMES: list[str] = list(get_args(VisitOutcome))
"""Every outcome a visit can have, by code."""
ObjectArray = npt.NDArray[np.object_]

STELLAR_LEVEL = 5
BITTER_LEVEL = 1
NO_STAFF = ""

PERFORMANCE_DIMENSIONS = ("tangibles", "reliability", "assurance", "empathy")
"""Dimensions with a 0-1 performance ``p_<dim>``; responsiveness is judged on the wait itself."""

PERCEIVED_DIMENSIONS = ("tangibles", "assurance", "empathy")
"""Dimensions perceived with moment-to-moment noise; reliability and waits are facts."""

MOMENT_COLUMNS = (
    "customer",
    "contact",
    "touchpoint",
    "step",
    "pool",
    "segment",
    "customer_present",
    "outcome",
    "time",
    "wait",
    "perceived_wait",
    "occupancy",
    *(f"p_{d}" for d in PERFORMANCE_DIMENSIONS),
    *(f"x_{d}" for d in DIMENSIONS),
    "x",
    "v",
    "level",
    "stellar",
    "bitter",
    "delight",
    "failure",
    "importance",
)
"""Columns of :func:`moment_table` (plus ``replication`` first when the records are stacked)."""

SATISFACTION_COLUMNS = (
    "customer",
    "segment",
    "arrived",
    "outcome",
    "n_moments",
    "mean_v",
    "worst_v",
    "best_v",
    "last_v",
    "satisfaction",
    "latent",
    "csat",
    "recommend",
)
"""Columns of :func:`customer_satisfaction` (plus ``replication`` first when stacked)."""


# --------------------------------------------------------------------------- pure functions


@overload
def disconfirmation(p: float, adequate: float, desired: float) -> float: ...
@overload
def disconfirmation(
    p: FloatArray, adequate: float | FloatArray, desired: float | FloatArray
) -> FloatArray: ...
def disconfirmation(
    p: float | FloatArray, adequate: float | FloatArray, desired: float | FloatArray
) -> float | FloatArray:
    """Normalised disconfirmation of a performance against a zone of tolerance (docs/model.md §5).

    ``x = (p - A) / (D - A)``: 0 at the adequate level A (the lowest the customer accepts),
    1 at the desired level D; ``x < 0`` is a shortfall, ``x > 1`` delight [LIT: Oliver 1980;
    zone of tolerance, Zeithaml, Berry & Parasuraman 1993].

    Args:
        p: performance on a 0-1 scale (scalar or array; NaN stays NaN).
        adequate: A, scalar or array broadcastable with ``p``.
        desired: D > A.
    """
    result = (np.asarray(p, dtype=np.float64) - adequate) / (
        np.asarray(desired, dtype=np.float64) - adequate
    )
    return _like(result, p, adequate, desired)


@overload
def wait_disconfirmation(
    wait: float, adequate: float, desired: float, factor: float = 1.0
) -> float: ...
@overload
def wait_disconfirmation(
    wait: FloatArray,
    adequate: float | FloatArray,
    desired: float | FloatArray,
    factor: float | FloatArray = 1.0,
) -> FloatArray: ...
def wait_disconfirmation(
    wait: float | FloatArray,
    adequate: float | FloatArray,
    desired: float | FloatArray,
    factor: float | FloatArray = 1.0,
) -> float | FloatArray:
    """Disconfirmation of a wait against a wait zone (docs/model.md §5).

    The perceived wait is ``W_p = W * m`` (m = 1.36 for an idle wait [LIT: Maister 1985;
    Larson 1987], lower when the customer is informed or occupied), and
    ``x = (A_w - W_p) / (A_w - D_w)``: 0 at the longest acceptable wait A_w, 1 at the desired
    wait D_w, above 1 for a wait shorter than hoped (a zero wait gives ``A_w / (A_w - D_w)``).
    A longer wait never raises ``x``.

    Args:
        wait: the wait in seconds (scalar or array).
        adequate: A_w, the longest acceptable wait in seconds.
        desired: D_w < A_w.
        factor: m, the perception factor.
    """
    perceived = np.asarray(wait, dtype=np.float64) * factor
    result = (adequate - perceived) / (adequate - np.asarray(desired, dtype=np.float64))
    return _like(result, wait, adequate, desired, factor)


@overload
def moment_utility(
    x: float, alpha: float = 0.88, loss_aversion: float = 2.25, kappa: float = 0.3
) -> float: ...
@overload
def moment_utility(
    x: FloatArray, alpha: float = 0.88, loss_aversion: float = 2.25, kappa: float = 0.3
) -> FloatArray: ...
def moment_utility(
    x: float | FloatArray, alpha: float = 0.88, loss_aversion: float = 2.25, kappa: float = 0.3
) -> float | FloatArray:
    """Utility of a disconfirmation: asymmetric, flat inside the tolerance zone (docs/model.md §5).

    ``v = -λ(-x)^α`` for ``x < 0`` (a shortfall, weighed λ times), ``v = κx`` inside the zone
    (``0 <= x <= 1``: customers barely notice variation they tolerate), ``v = κ + (x - 1)^α``
    above it (delight). The function is continuous and increasing; its slope is κ inside the
    zone and larger outside it for every |x| below thousands [LIT shape: Kahneman & Tversky
    1979; zone of tolerance; numbers ASM: α = 0.88, λ = 2.25, κ = 0.3]. NaN stays NaN.

    Args:
        x: normalised disconfirmation (scalar or array).
        alpha: curvature of losses and gains (0 < α <= 1).
        loss_aversion: λ >= 1.
        kappa: utility gained across the whole zone of tolerance.
    """
    array = np.asarray(x, dtype=np.float64)
    values = np.atleast_1d(array)
    # the powers only where they apply (they cost far more than the rest); NaN stays NaN
    result = kappa * values
    loss = values < 0
    if loss.any():
        result[loss] = -loss_aversion * np.power(-values[loss], alpha)
    gain = values > 1.0
    if gain.any():
        result[gain] = kappa + np.power(values[gain] - 1.0, alpha)
    return _like(result.reshape(array.shape), x)


@overload
def moment_level(x: float, thresholds: Sequence[float] = ...) -> int: ...
@overload
def moment_level(x: FloatArray, thresholds: Sequence[float] = ...) -> IntArray: ...
def moment_level(
    x: float | FloatArray, thresholds: Sequence[float] = (-0.5, 0.5, 1.0, 1.5)
) -> int | IntArray:
    """Level 1-5 of a moment (criminal, basic, expected, desired, amazing) from its ``x``.

    A moment moves up to level 2, 3, 4, 5 when ``x`` reaches each threshold (``x = -0.5`` is
    level 2). Level 1 is a **bitter** moment, level 5 a **stellar** one (docs/model.md §5).
    A failure is level 1 whatever its ``x``; :func:`moment_table` enforces that.

    Raises:
        ValueError: ``x`` holds NaN (a moment always has a responsiveness, so ``x`` exists).
    """
    array = np.asarray(x, dtype=np.float64)
    if np.isnan(array).any():
        raise ValueError("moment_level needs finite disconfirmations, got NaN")
    levels = 1 + np.searchsorted(np.asarray(thresholds, dtype=np.float64), array, side="right")
    result = np.asarray(levels, dtype=np.int64)
    return int(result) if result.ndim == 0 else result


def delighted(
    x_dim: dict[str, FloatArray],
    channel: ObjectArray,
    delight: Delight | None = None,
    failure: BoolArray | None = None,
) -> BoolArray:
    """Which moments exceptional personal treatment lifts to stellar (docs/model.md §5).

    Satisfiers and dissatisfiers are asymmetric [LIT: Johnston 1995; Kano et al. 1984]:
    care and friendliness delight, failures of reliability and responsiveness dissatisfy. A
    moment is a delight when staff served the customer (it has an empathy score) at a
    touchpoint whose channel is not self-service, its ``x_empathy`` reaches
    ``delight.empathy``, its ``x_assurance`` reaches ``delight.assurance``, both
    ``x_reliability`` and ``x_responsiveness`` reach ``delight.dissatisfier_floor`` and it is no
    failure. NaN (a dimension the moment does not have) never qualifies.

    Args:
        x_dim: the disconfirmation of each of the five dimensions, one entry per moment.
        channel: each moment's channel (``face_to_face``, ``remote``, ``self_service``).
        delight: the rule's settings; the defaults when omitted. Disabled: nothing qualifies.
        failure: moments that failed (abandoned, error); none when omitted.
    """
    rule = delight or Delight()
    empathy = np.asarray(x_dim["empathy"], dtype=np.float64)
    if not rule.enabled:
        return np.zeros(empathy.shape, dtype=bool)
    floor = rule.dissatisfier_floor
    with np.errstate(invalid="ignore"):
        result = (
            (np.asarray(channel, dtype=object) != "self_service")
            & (empathy >= rule.empathy)
            & (np.asarray(x_dim["assurance"], dtype=np.float64) >= rule.assurance)
            & (np.asarray(x_dim["reliability"], dtype=np.float64) >= floor)
            & (np.asarray(x_dim["responsiveness"], dtype=np.float64) >= floor)
        )
    if failure is not None:
        result &= ~np.asarray(failure, dtype=bool)
    return np.asarray(result, dtype=bool)


def cycle_satisfaction(
    v: Sequence[float] | FloatArray,
    importance: Sequence[float] | FloatArray | None = None,
    weights: CycleWeights | None = None,
) -> float:
    """Overall satisfaction S of a customer's moments in the order lived (docs/model.md §5).

    ``S = w_mean · (importance-weighted mean v) + w_worst · min v + w_best · max v +
    w_last · v_last`` with defaults 0.4, 0.3, 0.15, 0.15: the peak, the trough and the end
    weigh beyond their share of the cycle [LIT: peak-end, Kahneman 1993; Verhoef 2004;
    weights ASM]. The weights are used as given (they need not sum to 1).

    Args:
        v: moment utilities in the order lived (at least one).
        importance: weight of each moment (touchpoint importance); equal when omitted, and
            the plain mean is used when they are all zero.
        weights: the cycle weights; the defaults when omitted.

    Raises:
        ValueError: ``v`` is empty or ``importance`` has another length.
    """
    values = np.asarray(v, dtype=np.float64)
    if values.size == 0:
        raise ValueError("a cycle needs at least one moment")
    w = weights or CycleWeights()
    if importance is None:
        mean = float(values.mean())
    else:
        weight = np.asarray(importance, dtype=np.float64)
        if weight.shape != values.shape:
            raise ValueError(f"{values.size} moments but {weight.size} importance weights")
        total = float(weight.sum())
        mean = float((weight * values).sum() / total) if total > 0 else float(values.mean())
    return (
        w.mean * mean
        + w.worst * float(values.min())
        + w.best * float(values.max())
        + w.last * float(values[-1])
    )


def _like(result: npt.ArrayLike, *inputs: object) -> float | FloatArray:
    """A float when every input was a scalar, else the array."""
    array = np.asarray(result, dtype=np.float64)
    if array.ndim == 0 and all(np.ndim(i) == 0 for i in inputs):  # type: ignore[arg-type]
        return float(array)
    return array


# --------------------------------------------------------------------------- moments


def moment_touchpoints(scenario: ResolvedScenario) -> list[str]:
    """Names of the touchpoints customers judge: moments of truth in cycle order, then inquiries."""
    names = [tp.name for tp in scenario.service_cycle if tp.moment_of_truth]
    if scenario.status_inquiry.enabled:
        names.append(STATUS_INQUIRY)
    return names


def moment_table(
    tables: RecordTables,
    scenario: Scenario,
    perception: CounterNoise | None = None,
    busy: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per visible moment of truth, with its dimension scores, utility and level.

    A visible moment is a visit with ``moment_of_truth`` that ended (``outcome != in_system``),
    status inquiries included (touchpoint ``status_inquiry``, step -1). Rows are sorted by
    customer and ``time`` (service start; for an abandonment, when the customer gave up), so
    each customer's moments are in the order lived.

    Performances per dimension, on a 0-1 scale (``p_<dim>``):

    * **tangibles**: the touchpoint's ``tangibles``; a status inquiry has the default of
      :class:`~servsim.scenario.Touchpoint` (0.7) [ASM].
    * **reliability**: 0 for a failed visit; ``unresolved_reliability`` when it left the issue
      open; ``repeat_reliability`` in any repeat contact (``contact > 0``: re-contacts, retries,
      status inquiries: being made to come back is itself a reliability shortfall); else 1
      [ASM]. The first rule that applies wins.
    * **responsiveness** (no ``p``: judged on the wait): ``x`` from
      :func:`wait_disconfirmation` against the segment's wait zone. The wait is start - queued
      (an abandoner: left - queued); the perception factor is ``informed_wait_factor`` where the
      touchpoint has ``informed_wait``, else ``idle_wait_factor`` for a customer waiting present,
      and 1 for a customer not present, who does not live the wait idly [ASM].
    * **assurance**: the serving pool's proficiency at service start (an as-of join on the
      staffing table); self-service: ``self_service_assurance`` [ASM]. NaN for an abandoned
      visit: the customer never met the staff [ASM].
    * **empathy** (staffed, served visits only; NaN otherwise):
      ``clip(e0 + empathy_per_proficiency · k - empathy_occupancy_slope · max(0, occ -
      empathy_occupancy_threshold), 0, 1)`` (docs/model.md §6), with ``occ`` the pool's occupancy
      over the ``occupancy_window`` before service start: busy staff-time / on-floor staff-time
      in that window, clipped to [0, 1] (servers finishing past their shift can push it over).
      It is computed exactly, not binned: both integrals are piecewise linear in time, built
      once per pool from the visits and the staffing steps and read at ``t`` and
      ``t - window`` with a binary search. The ``occupancy`` column holds ``occ``.
    * **perception**: tangibles, assurance and empathy are what the customer perceives of the
      pool's level in this one encounter: each gets ``perception_noise`` times a standard
      normal draw from ``perception``, clipped to [0, 1] (who served, their mood, the
      customer's own reading) [ASM]. Without ``perception`` every moment is perceived at the
      level itself.
    * **timeliness**: the moment that resolves the issue (visit outcome ``resolved``) is also
      where a late resolution is lived: when the time since the customer arrived exceeds the
      segment's ``resolution_time`` R, its responsiveness is the lower of the wait's ``x`` and
      ``-(elapsed - R) / R``. That is how a slow back office reaches a customer who never
      waits for it in person [ASM].

    Each dimension's ``x_<dim>`` uses the segment's zone for that dimension. The moment's
    ``x`` is the dimension-weighted mean of the available ``x_d`` (weights renormalised over
    the dimensions that apply). Its utility ``v`` is the same weighted mean of
    ``moment_utility(x_d)``, not the utility of the mean: loss aversion acts per dimension, so
    a shortfall on one dimension is not cancelled by an equal surplus on another [ASM].
    A failure (outcome ``abandoned`` or ``failed``) sets ``x`` to ``failure_disconfirmation``,
    ``v`` to its utility and the level to 1 (bitter), whatever the dimensions say.

    Args:
        tables: the records of one replication, or stacked ones with a ``replication`` column
            (each replication is then handled on its own and the rows keep the column).
        scenario: the resolved scenario that produced the records.
        perception: the perception noise (``RandomStreams.counter("perception")``); each
            draw is addressed by its encounter (customer, contact, step, dimension), so the
            same records give the same moments, and the same encounter is perceived alike in
            every scenario compared under one seed.
        busy: more visits (``pool``, ``started``, ``ended``) whose service keeps a pool busy,
            for the occupancy of moments judged from a batch of records (one replication's
            tables only): visits of customers in other batches that overlap the window.

    Returns:
        A DataFrame with :data:`MOMENT_COLUMNS` (``replication`` first when stacked).

    Raises:
        ValueError: a visit names a touchpoint, segment or customer the scenario or the
            customers table does not know.
    """
    if "replication" in tables.visits.columns:
        frames = [
            _moments_of_one(part, scenario, perception).assign(replication=replication)
            for replication, part in _by_replication(tables)
        ]
        if not frames:
            return _empty(["replication", *MOMENT_COLUMNS])
        stacked = pd.concat(frames, ignore_index=True)
        return stacked[["replication", *MOMENT_COLUMNS]]
    return _moments_of_one(tables, scenario, perception, busy)


def _by_replication(tables: RecordTables) -> Iterable[tuple[int, RecordTables]]:
    visits = tables.visits
    for replication in sorted({int(r) for r in visits["replication"].to_numpy()}):
        parts = {
            name: table[table["replication"].to_numpy() == replication]
            if "replication" in table.columns
            else table
            for name, table in tables.as_dict().items()
        }
        yield replication, RecordTables(**parts)


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in columns})


@dataclass(frozen=True, slots=True)
class _Judged:
    """The visible moments of one replication, one array entry per moment, in visits order.

    Occupancy counts every visit to a pool, visible or not (the back office is busy whether or
    not the customer sees it), so the pool codes, starts and ends of *all* visits come along.
    """

    customer: IntArray
    contact: IntArray
    step: IntArray
    touchpoint: IntArray  # code in the touchpoint names given to _judged_visits
    outcome: ObjectArray
    outcome_code: IntArray  # code in _VISIT_OUTCOMES
    present: BoolArray
    time: FloatArray  # service start; for an abandonment, when the customer gave up
    wait: FloatArray
    pool_code: IntArray
    pool_names: list[str]
    failed: BoolArray
    failure: BoolArray  # failed or abandoned: a bitter moment whatever the dimensions say
    staffed: BoolArray
    served: BoolArray  # staffed and not abandoned: the customer met the staff
    all_pool_codes: IntArray
    all_started: FloatArray
    all_ended: FloatArray


def _judged_visits(
    visits: pd.DataFrame,
    touchpoints: list[str],
    pools: list[str],
    busy: pd.DataFrame | None = None,
) -> _Judged | None:
    """The visits customers judge: moments of truth that ended (``None`` when there are none).

    A visit still under way at the horizon has no outcome yet, so nobody has judged it.
    ``busy`` adds other visits' service to the pools' busy time (see :func:`moment_table`).
    Touchpoints are coded by their position in ``touchpoints``; pools by their position in
    ``pools`` (the scenario's, with ``""`` for no staff) when every visit names one of them.

    Raises:
        ValueError: a visit names a touchpoint not in ``touchpoints``.
    """
    if visits.empty:
        return None
    outcome_code_all = text_codes(visits["outcome"], _VISIT_OUTCOMES)
    if (outcome_code_all < 0).any():  # not an outcome the model writes: compare the text
        outcome_all = visits["outcome"].to_numpy(dtype=object)
    else:
        outcome_all = np.asarray(_VISIT_OUTCOMES, dtype=object)[outcome_code_all]
    judged = visits["moment_of_truth"].to_numpy(dtype=bool) & (outcome_all != IN_SYSTEM)
    if not judged.any():
        return None
    touchpoint = text_codes(visits["touchpoint"], touchpoints)[judged]
    if (touchpoint < 0).any():
        names = visits["touchpoint"].to_numpy(dtype=object)[judged][touchpoint < 0]
        unknown = sorted({str(v) for v in names})
        raise ValueError(f"unknown touchpoint(s) in the records: {', '.join(unknown)}")
    started_all = visits["started"].to_numpy(dtype=np.float64)
    ended_all = visits["ended"].to_numpy(dtype=np.float64)
    outcome = outcome_all[judged]
    started = started_all[judged]
    time = np.where(np.isnan(started), ended_all[judged], started)
    pool_frames = [visits["pool"]]
    if busy is not None and len(busy):
        pool_frames.append(busy["pool"])
        started_all = np.concatenate([started_all, busy["started"].to_numpy(dtype=np.float64)])
        ended_all = np.concatenate([ended_all, busy["ended"].to_numpy(dtype=np.float64)])
    coded = [text_codes(frame, pools) for frame in pool_frames]
    if all((c >= 0).all() for c in coded):
        all_pool_codes = np.concatenate(coded)
        pool_names = list(pools)
    else:  # a pool the scenario does not know: named as found (looking it up will fail)
        found = np.concatenate([frame.to_numpy(dtype=object) for frame in pool_frames])
        all_pool_codes, pool_uniques = pd.factorize(found)
        pool_names = [str(name) for name in pool_uniques]
    pool_code = np.asarray(all_pool_codes[: len(visits)][judged], dtype=np.int64)
    staffed = np.array([name != NO_STAFF for name in pool_names], dtype=bool)[pool_code]
    abandoned = outcome == ABANDONED
    failed = outcome == FAILED
    return _Judged(
        customer=visits["customer"].to_numpy(dtype=np.int64)[judged],
        contact=visits["contact"].to_numpy(dtype=np.int64)[judged],
        step=visits["step"].to_numpy(dtype=np.int64)[judged],
        touchpoint=touchpoint,
        outcome=outcome,
        outcome_code=outcome_code_all[judged],
        present=visits["customer_present"].to_numpy(dtype=bool)[judged],
        time=time,
        wait=time - visits["queued"].to_numpy(dtype=np.float64)[judged],
        pool_code=pool_code,
        pool_names=pool_names,
        failed=failed,
        failure=abandoned | failed,
        staffed=staffed,
        served=staffed & ~abandoned,
        all_pool_codes=np.asarray(all_pool_codes, dtype=np.int64),
        all_started=started_all,
        all_ended=ended_all,
    )


@dataclass(frozen=True, slots=True)
class _TouchpointValues:
    """Per moment, the settings of the touchpoint it happened at."""

    tangibles: FloatArray
    importance: FloatArray
    informed: BoolArray
    channel: ObjectArray


def _touchpoint_specs(scenario: Scenario) -> dict[str, Touchpoint | None]:
    """The touchpoints a visit can name, in code order: the cycle's, then status inquiries."""
    specs: dict[str, Touchpoint | None] = {tp.name: tp for tp in scenario.service_cycle}
    specs.setdefault(STATUS_INQUIRY, None)
    return specs


def _touchpoint_values(scenario: Scenario, code: IntArray) -> _TouchpointValues:
    """Look each moment's touchpoint up once by code, not per moment by name.

    A status inquiry is no touchpoint of the cycle, so it has :class:`Touchpoint`'s defaults.
    """
    specs = _touchpoint_specs(scenario)
    fields = Touchpoint.model_fields
    default_tangibles = float(fields["tangibles"].default)
    default_importance = float(fields["importance"].default)
    tangibles = np.array([s.tangibles if s else default_tangibles for s in specs.values()])
    importance = np.array([s.importance if s else default_importance for s in specs.values()])
    informed = np.array([bool(s and s.informed_wait) for s in specs.values()])
    channel = np.array([_channel_of(scenario, s) for s in specs.values()], dtype=object)
    return _TouchpointValues(tangibles[code], importance[code], informed[code], channel[code])


def _channel_of(scenario: Scenario, touchpoint: Touchpoint | None) -> Channel:
    """A touchpoint's channel as resolved; a status inquiry's from how customers ask."""
    if touchpoint is not None and touchpoint.channel is not None:
        return touchpoint.channel
    if touchpoint is None:  # a status inquiry: the customer asks staff
        return default_channel(scenario.contact_level, True, True)
    present = bool(touchpoint.customer_present)
    return default_channel(scenario.contact_level, present, touchpoint.served_by is not None)


def _social_presence(scenario: Scenario, names: list[str]) -> FloatArray:
    """Per judged touchpoint, the share of personal treatment its channel carries (0-1).

    In person the customer meets the staff whole; by voice most of it comes across, in
    writing half; self-service carries none (``satisfaction.social_presence``).
    """
    specs = _touchpoint_specs(scenario)
    table = scenario.satisfaction.social_presence
    return np.array([table[_channel_of(scenario, specs.get(name))] for name in names])


def _reliability(moments: _Judged, model: SatisfactionModel) -> FloatArray:
    """Reliability of each moment: a failure, an issue left open, or being made to come back."""
    return np.select(
        [moments.failed, moments.outcome == UNRESOLVED, moments.contact > 0],
        [0.0, model.unresolved_reliability, model.repeat_reliability],
        default=1.0,
    ).astype(np.float64)


def _staff_at_service(
    moments: _Judged, staffing: pd.DataFrame, scenario: Scenario
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per served moment: the pool's proficiency, its recent occupancy and its base empathy.

    These are what the customer meets at service start, so each pool's staffing steps and busy
    time are joined as of that time (NaN where nobody served the customer).
    """
    model = scenario.satisfaction
    size = len(moments.customer)
    proficiency = np.full(size, np.nan)
    occupancy = np.full(size, np.nan)
    base_empathy = np.full(len(moments.pool_names), np.nan)
    staffing_pool = staffing["pool"].to_numpy(dtype=object)
    staffing_time = staffing["time"].to_numpy(dtype=np.float64)
    for code, name in enumerate(moments.pool_names):
        rows = np.flatnonzero(moments.served & (moments.pool_code == code))
        if name == NO_STAFF or rows.size == 0:
            continue
        spec = scenario.pool(name)
        base_empathy[code] = spec.empathy
        mine = np.flatnonzero(staffing_pool == name)
        mine = mine[np.argsort(staffing_time[mine], kind="stable")]
        in_pool = moments.all_pool_codes == code
        proficiency[rows], occupancy[rows] = _pool_state(
            moments.time[rows],
            steps=staffing_time[mine],
            on_floor=staffing["on_floor"].to_numpy(dtype=np.float64)[mine],
            levels=staffing["proficiency"].to_numpy(dtype=np.float64)[mine],
            starts=moments.all_started[in_pool],
            ends=moments.all_ended[in_pool],
            known=spec.proficiency,
            horizon=scenario.horizon.length,
            window=model.occupancy_window,
        )
    return proficiency, occupancy, base_empathy[moments.pool_code]


def _performances(
    moments: _Judged,
    tangibles: FloatArray,
    staff: tuple[FloatArray, FloatArray, FloatArray],
    model: SatisfactionModel,
) -> dict[str, FloatArray]:
    """The 0-1 performance of each moment per dimension, at the level the touchpoint offers.

    Assurance is the serving pool's proficiency (self-service has a fixed one); empathy grows
    with proficiency and wanes once the pool is too busy; neither exists if the customer gave
    up before meeting the staff.
    """
    proficiency, occupancy, base_empathy = staff
    served = moments.served
    empathy = (
        base_empathy
        + model.empathy_per_proficiency * proficiency
        - model.empathy_occupancy_slope
        * np.maximum(0.0, np.nan_to_num(occupancy, nan=0.0) - model.empathy_occupancy_threshold)
    )
    return {
        "tangibles": tangibles,
        "reliability": _reliability(moments, model),
        "assurance": np.where(
            moments.staffed, np.where(served, proficiency, np.nan), model.self_service_assurance
        ),
        "empathy": np.where(served, np.clip(empathy, 0.0, 1.0), np.nan),
    }


def _perceived(
    performance: dict[str, FloatArray],
    moments: _Judged,
    noise: CounterNoise | None,
    model: SatisfactionModel,
    contact: float = 0.0,
) -> dict[str, FloatArray]:
    """What the customer perceives of the offered level in this one encounter.

    Each perceived dimension gets its own normal draw addressed by the encounter (customer,
    contact, step, dimension), not by its position among the moments, so two scenarios
    compared under one seed perceive the same encounter alike (common random numbers).
    """
    if noise is None or model.perception_noise <= 0:
        return performance
    perceived = dict(performance)
    for dimension_index, dim in enumerate(PERCEIVED_DIMENSIONS):
        which = np.full_like(moments.step, dimension_index)
        draw = noise.normals(moments.customer, moments.contact, moments.step + 1, which)
        spread = (
            model.empathy_spread + model.empathy_spread_per_contact * contact
            if dim == "empathy"
            else model.perception_noise
        )
        value = performance[dim] + spread * draw
        perceived[dim] = np.clip(value, 0.0, 1.0)  # NaN stays NaN
    return perceived


def _wait_factor(moments: _Judged, informed: BoolArray, model: SatisfactionModel) -> FloatArray:
    """How long a wait feels per second: less when informed, more when idle and present."""
    return np.where(
        informed,
        model.informed_wait_factor,
        np.where(moments.present, model.idle_wait_factor, 1.0),
    )


def _disconfirmations(
    moments: _Judged,
    performance: dict[str, FloatArray],
    factor: FloatArray,
    segment: IntArray,
    arrived: FloatArray,
    scenario: Scenario,
) -> dict[str, FloatArray]:
    """Each dimension's disconfirmation against the zone of the moment's segment.

    Responsiveness is judged on the perceived wait, and the resolving moment also carries a
    late resolution: that is where a slow back office reaches a customer who never saw it.
    """
    expectations = [s.expectations for s in scenario.segments]

    def zone(dim: str, bound: str) -> FloatArray:
        return np.array([getattr(getattr(e, dim), bound) for e in expectations])[segment]

    x_dim = {
        dim: disconfirmation(performance[dim], zone(dim, "adequate"), zone(dim, "desired"))
        for dim in PERFORMANCE_DIMENSIONS
    }
    responsiveness = wait_disconfirmation(
        moments.wait, zone("wait", "adequate"), zone("wait", "desired"), factor
    )
    resolving = moments.outcome == RESOLVED
    if resolving.any():
        expected = np.array([e.resolution_time for e in expectations])[segment]
        lateness = (moments.time - arrived - expected) / expected
        late = resolving & (lateness > 0)
        responsiveness = np.where(late, np.minimum(responsiveness, -lateness), responsiveness)
    x_dim["responsiveness"] = responsiveness
    return x_dim


def _moment_value(
    x_dim: dict[str, FloatArray],
    failure: BoolArray,
    model: SatisfactionModel,
    channel: ObjectArray | None = None,
) -> tuple[FloatArray, FloatArray, IntArray, BoolArray]:
    """The moment's ``x``, utility ``v``, level and delight from its dimensions.

    Both are weighted over the dimensions that apply; ``v`` averages the utilities, not the
    utility of the mean, so a shortfall on one dimension is not cancelled by a surplus on
    another (loss aversion acts per dimension). A dimension's weight is multiplied by its
    channel's factor (``channel_weights``: face to face the person counts more, at
    self-service the interface and reliability) before the renormalising. A failure is bitter
    whatever the rest says. A delight (:func:`delighted`) has its ``x`` and ``v`` raised to at
    least those of the stellar threshold, so it is level 5: warmth is a satisfier that lifts
    a moment beyond the weighted mean, while the dissatisfiers' floors keep it from covering a
    slow or failed one.
    """
    size = len(failure)
    weighted_x = np.zeros(size)
    weighted_v = np.zeros(size)
    weight_sum = np.zeros(size)
    codes, channels = pd.factorize(channel if channel is not None else np.zeros(0, object))
    for dim in DIMENSIONS:
        w: float | FloatArray = float(model.dimension_weights.get(dim, 0.0))
        if channel is not None:
            factors = [model.channel_weights.get(c, {}).get(dim, 1.0) for c in channels]
            w = w * np.asarray(factors, dtype=np.float64)[codes]
        xs = x_dim[dim]
        available = ~np.isnan(xs)
        utility = moment_utility(xs, model.alpha, model.loss_aversion, model.zone_slope)
        weighted_x += np.where(available, w * xs, 0.0)
        weighted_v += np.where(available, w * utility, 0.0)
        weight_sum += np.where(available, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = weighted_x / weight_sum
        v = weighted_v / weight_sum
    failure_x = model.failure_disconfirmation
    x = np.where(failure, failure_x, x)
    v = np.where(
        failure,
        moment_utility(failure_x, model.alpha, model.loss_aversion, model.zone_slope),
        v,
    )
    delight = (
        delighted(x_dim, channel, model.delight, failure)
        if channel is not None
        else np.zeros(size, dtype=bool)
    )
    stellar_x = model.level_thresholds[STELLAR_LEVEL - 2]
    stellar_v = moment_utility(stellar_x, model.alpha, model.loss_aversion, model.zone_slope)
    x = np.where(delight, np.maximum(x, stellar_x), x)
    v = np.where(delight, np.maximum(v, stellar_v), v)
    level = np.where(failure, BITTER_LEVEL, moment_level(x, model.level_thresholds))
    return x, v, level.astype(np.int64), delight


def _moments_of_one(
    tables: RecordTables,
    scenario: Scenario,
    noise: CounterNoise | None,
    busy: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The moment table of one replication's records (see :func:`moment_table`)."""
    touchpoint_names = list(_touchpoint_specs(scenario))
    pool_names = [NO_STAFF, *(pool.name for _, pool in scenario.staff.pools())]
    moments = _judged_visits(tables.visits, touchpoint_names, pool_names, busy)
    if moments is None:
        return _empty(MOMENT_COLUMNS)
    model = scenario.satisfaction
    segment_names = [s.name for s in scenario.segments]
    seg = _segment_of(tables.customers, moments.customer, segment_names)
    position = _customer_rows(tables.customers, [moments.customer], ["customer"])
    arrived = tables.customers["arrived"].to_numpy(dtype=np.float64)[np.maximum(position, 0)]
    touchpoints = _touchpoint_values(scenario, moments.touchpoint)
    staff = _staff_at_service(moments, tables.staffing, scenario)
    offered = _performances(moments, touchpoints.tangibles, staff, model)
    variability = getattr(scenario, "variability", None)
    contact = float(getattr(variability, "contact_ratio", None) or 0.0)
    performance = _perceived(offered, moments, noise, model, contact)
    factor = _wait_factor(moments, touchpoints.informed, model)
    x_dim = _disconfirmations(moments, performance, factor, seg, arrived, scenario)
    x, v, level, delight = _moment_value(x_dim, moments.failure, model, touchpoints.channel)

    order = np.lexsort((np.arange(len(moments.customer)), moments.time, moments.customer))
    text = {  # built in Arrow from codes, never a Python string per row
        "touchpoint": text_column(moments.touchpoint[order], touchpoint_names),
        "pool": text_column(moments.pool_code[order], moments.pool_names),
        "segment": text_column(seg[order], segment_names),
        "outcome": (
            text_column(moments.outcome_code[order], _VISIT_OUTCOMES)
            if (moments.outcome_code >= 0).all()
            else moments.outcome[order]
        ),
    }
    columns: dict[str, npt.NDArray[np.generic]] = {
        "customer": moments.customer,
        "contact": moments.contact,
        "step": moments.step,
        "customer_present": moments.present,
        "time": moments.time,
        "wait": moments.wait,
        "perceived_wait": moments.wait * factor,
        "occupancy": staff[1],
        **{f"p_{d}": performance[d] for d in PERFORMANCE_DIMENSIONS},
        **{f"x_{d}": x_dim[d] for d in DIMENSIONS},
        "x": x,
        "v": v,
        "level": level,
        "stellar": level == STELLAR_LEVEL,
        "bitter": level == BITTER_LEVEL,
        "delight": delight,
        "failure": moments.failure,
        "importance": touchpoints.importance,
    }
    return pd.DataFrame(
        {name: text[name] if name in text else columns[name][order] for name in MOMENT_COLUMNS}
    )


def _segment_of(
    customers: pd.DataFrame, customer: npt.NDArray[np.int64], names: list[str]
) -> IntArray:
    """Each customer's segment, by its position in ``names``."""
    position = _customer_rows(customers, [customer], ["customer"])
    if (position < 0).any():
        missing = sorted(set(customer[position < 0].tolist()))[:5]
        raise ValueError(f"visits of customers missing from the customers table: {missing}")
    codes = text_codes(customers["segment"], names)[position]
    if (codes < 0).any():
        found = customers["segment"].to_numpy(dtype=object)[position][codes < 0]
        unknown = sorted({str(v) for v in found})
        raise ValueError(f"unknown segment(s) in the records: {', '.join(unknown)}")
    return codes


def _pool_state(
    t: FloatArray,
    *,
    steps: FloatArray,
    on_floor: FloatArray,
    levels: FloatArray,
    starts: FloatArray,
    ends: FloatArray,
    known: float,
    horizon: float,
    window: float,
) -> tuple[FloatArray, FloatArray]:
    """One pool's proficiency and trailing-window occupancy at each service start ``t``.

    Args:
        t: service starts.
        steps: times of the pool's staffing records, sorted; ``on_floor`` and ``levels``
            (proficiency) hold from each on.
        on_floor: staff on the floor from each step on.
        levels: proficiency from each step on.
        starts: service starts of every visit to the pool (NaN: never served).
        ends: their ends (NaN: still in service at the horizon).
        known: the pool's proficiency before its first staffing record.
        horizon: end of the replication.
        window: length of the trailing window.
    """
    # as-of join: the staffing state in force at service start (the last change at or before)
    at = np.searchsorted(steps, t, side="right") - 1
    proficiency = (
        np.where(at >= 0, levels[np.maximum(at, 0)], known)
        if steps.size
        else np.full(t.shape, known)
    )
    floor = _StepIntegral(steps, on_floor)
    began = ~np.isnan(starts)
    starts, ends = starts[began], np.nan_to_num(ends[began], nan=horizon)
    events = np.concatenate([starts, ends])
    deltas = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    sort = np.argsort(events, kind="stable")
    busy = _StepIntegral(events[sort], np.cumsum(deltas[sort]))
    staff_time = floor.between(t - window, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = busy.between(t - window, t) / staff_time
    occupancy = np.where(staff_time > 0, np.clip(share, 0.0, 1.0), np.nan)
    return proficiency, occupancy


class _StepIntegral:
    """Integral over time of a step function: ``levels[k]`` holds from ``times[k]`` on."""

    __slots__ = ("cumulative", "levels", "times")

    def __init__(self, times: FloatArray, levels: FloatArray) -> None:
        self.times = times
        self.levels = levels
        spans = np.diff(times) * levels[:-1] if times.size else np.zeros(0)
        self.cumulative = np.concatenate([[0.0], np.cumsum(spans)])

    def at(self, t: FloatArray) -> FloatArray:
        """Integral from the start of time up to each ``t`` (0 before the first step)."""
        if self.times.size == 0:
            return np.zeros(len(t))
        k = np.searchsorted(self.times, t, side="right") - 1
        kc = np.maximum(k, 0)
        return np.where(k >= 0, self.cumulative[kc] + self.levels[kc] * (t - self.times[kc]), 0.0)

    def between(self, start: FloatArray, end: FloatArray) -> FloatArray:
        """Integral over each [start, end]."""
        return self.at(end) - self.at(start)


# --------------------------------------------------------------------------- customers


def customer_satisfaction(
    moments: pd.DataFrame,
    tables: RecordTables,
    scenario: Scenario,
    noise: CounterNoise | np.random.Generator,
) -> pd.DataFrame:
    """One row per customer with at least one moment: the cycle's satisfaction and survey answers.

    ``satisfaction`` is S of :func:`cycle_satisfaction` over the customer's moments in the
    order lived, with each moment weighted by its touchpoint's importance in the mean
    (``mean_v`` is that importance-weighted mean; ``worst_v``, ``best_v``, ``last_v`` the
    other three terms). Invisible work reaches S only through the visible moments it causes
    (longer waits, failures, repeat contacts, status inquiries), since S reads moments only.

    The survey answer is drawn from a latent ``y = S + ε`` with ε logistic of scale
    ``csat_noise`` (an ordered-logit response [ASM]), one draw per customer: addressed by the
    customer (replication first when stacked) with a :class:`~servsim.streams.CounterNoise`,
    so a customer answers alike whatever batch they are judged in and in every scenario
    compared under one seed; or drawn in customer order from a generator. ``csat`` is 1-5 by
    ``csat_cut_points`` (reaching a cut point moves up a level); ``recommend`` is 0-10,
    ``clip(round(7 + recommend_scale · y), 0, 10)`` with halves rounded up [ASM].

    Args:
        moments: what :func:`moment_table` returned.
        tables: the same records (for each customer's segment, arrival and outcome).
        scenario: the resolved scenario.
        noise: the survey noise (``RandomStreams.counter("satisfaction")``, or a generator).

    Returns:
        A DataFrame with :data:`SATISFACTION_COLUMNS`, sorted by customer.
    """
    model = scenario.satisfaction
    stacked = "replication" in moments.columns
    keys = ["replication", "customer"] if stacked else ["customer"]
    columns = [*keys, *SATISFACTION_COLUMNS[1:]]
    if moments.empty:
        return _empty(columns)
    key_values = [moments[k].to_numpy(dtype=np.int64) for k in keys]
    time = moments["time"].to_numpy(dtype=np.float64)
    order = np.lexsort((np.arange(time.size), time, *reversed(key_values)))
    key_values = [values[order] for values in key_values]
    changed = np.zeros(time.size, dtype=bool)
    changed[0] = True
    for values in key_values:
        changed[1:] |= values[1:] != values[:-1]
    starts = np.flatnonzero(changed)
    stops = np.append(starts[1:], time.size)
    v = moments["v"].to_numpy(dtype=np.float64)[order]
    importance = moments["importance"].to_numpy(dtype=np.float64)[order]
    count = stops - starts
    weight = np.add.reduceat(importance, starts)
    plain_mean = np.add.reduceat(v, starts) / count
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted_mean = np.add.reduceat(importance * v, starts) / weight
    mean_v = np.where(weight > 0, weighted_mean, plain_mean)
    worst = np.minimum.reduceat(v, starts)
    best = np.maximum.reduceat(v, starts)
    last = v[stops - 1]
    w = model.cycle
    satisfaction = w.mean * mean_v + w.worst * worst + w.best * best + w.last * last
    if model.csat_noise <= 0:
        survey = np.zeros(starts.size)
    elif isinstance(noise, CounterNoise):
        u = noise.uniforms(*(values[starts] for values in key_values))
        survey = model.csat_noise * np.log(u / (1.0 - u))  # the logistic's inverse CDF
    else:
        survey = noise.logistic(0.0, model.csat_noise, size=starts.size)
    latent = satisfaction + survey
    csat = 1 + np.searchsorted(np.asarray(model.csat_cut_points), latent, side="right")
    recommend = np.clip(np.floor(7.0 + model.recommend_scale * latent + 0.5), 0, 10)

    out: dict[str, npt.NDArray[np.generic] | TextColumn] = {
        k: vals[starts] for k, vals in zip(keys, key_values, strict=True)
    }
    position = _customer_rows(
        tables.customers, [key_values[i][starts] for i in range(len(keys))], keys
    )
    found = position >= 0
    safe = np.maximum(position, 0)
    for name in ("segment", "outcome"):
        out[name] = take_text(tables.customers[name], np.where(found, safe, -1))
    arrived = tables.customers["arrived"].to_numpy(dtype=np.float64)[safe]
    out["arrived"] = np.where(found, arrived, np.nan)
    out["n_moments"] = count.astype(np.int64)
    out["mean_v"] = mean_v
    out["worst_v"] = worst
    out["best_v"] = best
    out["last_v"] = last
    out["satisfaction"] = satisfaction
    out["latent"] = latent
    out["csat"] = csat.astype(np.int64)
    out["recommend"] = recommend.astype(np.int64)
    return pd.DataFrame({name: out[name] for name in columns})


def _customer_rows(
    customers: pd.DataFrame, wanted: list[npt.NDArray[np.generic]], keys: list[str]
) -> IntArray:
    """Row of each wanted customer in the customers table (-1 when missing)."""
    keys = [k for k in keys if k in customers.columns]
    wanted = wanted[-len(keys) :]
    if keys == ["customer"]:
        ids = customers["customer"].to_numpy(dtype=np.int64)
        customer = np.asarray(wanted[0], dtype=np.int64)
        if ids.size and (ids == np.arange(ids.size)).all():  # the model numbers them 0..n-1
            return np.where((customer >= 0) & (customer < ids.size), customer, -1)
        return np.asarray(pd.Index(ids).get_indexer(pd.Index(customer)), dtype=np.int64)
    index = pd.MultiIndex.from_arrays([customers[k].to_numpy() for k in keys])
    return np.asarray(index.get_indexer(pd.MultiIndex.from_arrays(wanted)), dtype=np.int64)


# --------------------------------------------------------------------------- metrics


def satisfaction_metrics(
    moments: pd.DataFrame,
    satisfaction: pd.DataFrame,
    tables: RecordTables,
    scenario: ResolvedScenario,
) -> dict[str, float]:
    """Satisfaction KPIs of one replication, over customers who arrived after the warm-up.

    * ``csat_mean``, ``csat_top2_share`` (CSAT 4 or 5), ``nps`` (share of promoters, 9-10,
      minus share of detractors, 0-6; in [-1, 1]) and ``satisfaction_mean`` (S) are survey
      measures: over customers who **left** (the survey follows the service); customers still
      in the system at the horizon are not surveyed [ASM], as ``surveyed`` counts.
    * ``level_share_1`` ... ``level_share_5``: shares of the window customers' moments.
    * ``stellar_moments``, ``bitter_moments``: per window customer with at least one moment.
    * per judged touchpoint: ``stellar[tp]`` and ``bitter[tp]`` counts and ``moment_utility[tp]``
      the mean utility of its moments.
    * ``empathy_mean``, ``assurance_mean``: mean performance (0-1) over staffed moments where
      the customer was served.
    * ``on_time_resolution``: customers resolved within their segment's expected resolution
      time, among those whose fate is known: they left, or their elapsed time at the horizon
      already exceeds it.

    A run adds batch after batch with :func:`add_satisfaction` and finishes with
    :func:`finish_satisfaction`; this is both on one batch.
    """
    tally = Tally()
    add_satisfaction(tally, moments, satisfaction, tables, scenario)
    return finish_satisfaction(tally, scenario)


def add_satisfaction(
    tally: Tally,
    moments: pd.DataFrame,
    satisfaction: pd.DataFrame,
    tables: RecordTables,
    scenario: ResolvedScenario,
) -> None:
    """Add a batch's moments and answers to the sums of :func:`satisfaction_metrics`."""
    start = scenario.horizon.warm_up
    end = scenario.horizon.length
    customers = tables.customers[tables.customers["arrived"].to_numpy(dtype=np.float64) >= start]

    if satisfaction.empty:
        answers = satisfaction
    else:
        answers = satisfaction[satisfaction["arrived"].to_numpy(dtype=np.float64) >= start]
    left = text_codes(answers["outcome"], [IN_SYSTEM]) != 0 if len(answers) else []
    csat = answers["csat"].to_numpy(dtype=np.float64)[left] if len(answers) else np.zeros(0)
    recommend = answers["recommend"].to_numpy(dtype=np.float64)[left] if len(answers) else csat
    tally.total("surveyed", float(csat.size))
    tally.mean("csat_mean", csat)
    tally.mean("csat_squared", csat * csat)
    tally.share("csat_top2_share", csat >= 4)
    tally.share("promoters", recommend >= 9)
    tally.share("detractors", recommend <= 6)
    satisfied = (
        answers["satisfaction"].to_numpy(dtype=np.float64)[left] if len(answers) else np.zeros(0)
    )
    tally.mean("satisfaction_mean", satisfied)

    if moments.empty:
        mine = moments
    else:
        customer = moments["customer"].to_numpy(dtype=np.int64)
        position = _customer_rows(tables.customers, [customer], ["customer"])
        arrived = tables.customers["arrived"].to_numpy(dtype=np.float64)[np.maximum(position, 0)]
        mine = moments[(position >= 0) & (arrived >= start)]
    levels = mine["level"].to_numpy(dtype=np.int64) if len(mine) else np.zeros(0, np.int64)
    for level in range(1, 6):
        tally.share(f"level_share_{level}", levels == level)
    for name, flag in (("stellar", STELLAR_LEVEL), ("bitter", BITTER_LEVEL)):
        tally.ratio(f"{name}_moments", float((levels == flag).sum()), float(len(answers)))
    names = moment_touchpoints(scenario)
    codes = text_codes(mine["touchpoint"], names) if len(mine) else np.zeros(0, np.int64)
    known = codes >= 0
    codes = codes[known]
    size = len(names)
    stellar = np.bincount(codes, weights=(levels == STELLAR_LEVEL)[known], minlength=size)
    bitter = np.bincount(codes, weights=(levels == BITTER_LEVEL)[known], minlength=size)
    count = np.bincount(codes, minlength=size)
    v = mine["v"].to_numpy(dtype=np.float64)[known] if len(mine) else np.zeros(0)
    utility = np.bincount(codes, weights=v, minlength=size)
    for i, tp in enumerate(names):
        tally.total(column("stellar", tp), float(stellar[i]))
        tally.total(column("bitter", tp), float(bitter[i]))
        tally.ratio(column("moment_utility", tp), float(utility[i]), float(count[i]))

    staffed = text_codes(mine["pool"], [NO_STAFF]) != 0 if len(mine) else np.zeros(0, bool)
    # staff meet the customer there by design, as fully as the channel carries a person
    every_code = text_codes(mine["touchpoint"], names) if len(mine) else np.zeros(0, np.int64)
    presence = _social_presence(scenario, names)[np.maximum(every_code, 0)]
    tally.mean("personal_reach", np.where(staffed, presence, 0.0))
    for name in ("empathy", "assurance"):
        values: FloatArray = mine[f"p_{name}"].to_numpy(dtype=np.float64)[staffed]
        tally.mean(f"{name}_mean", values[~np.isnan(values)])

    tally.share("on_time_resolution", _on_time_resolution(customers, scenario, end))


def finish_satisfaction(tally: Tally, scenario: ResolvedScenario) -> dict[str, float]:
    """The satisfaction KPIs from the sums of every batch (see :func:`satisfaction_metrics`)."""
    out = {"surveyed": tally.sum_of("surveyed")}
    for name in ("csat_mean", "csat_top2_share"):
        out[name] = tally.value(name)
    variance = tally.value("csat_squared") - out["csat_mean"] ** 2
    out["csat_sd"] = math.sqrt(max(variance, 0.0)) if not math.isnan(variance) else math.nan
    out["nps"] = tally.value("promoters") - tally.value("detractors")
    out["satisfaction_mean"] = tally.value("satisfaction_mean")
    for level in range(1, 6):
        out[f"level_share_{level}"] = tally.value(f"level_share_{level}")
    for name in ("stellar", "bitter"):
        out[f"{name}_moments"] = tally.value(f"{name}_moments")
    for tp in moment_touchpoints(scenario):
        out[column("stellar", tp)] = tally.sum_of(column("stellar", tp))
        out[column("bitter", tp)] = tally.sum_of(column("bitter", tp))
        out[column("moment_utility", tp)] = tally.value(column("moment_utility", tp))
    for name in ("empathy", "assurance"):
        out[f"{name}_mean"] = tally.value(f"{name}_mean")
    out["personal_reach"] = tally.value("personal_reach")
    out["on_time_resolution"] = tally.value("on_time_resolution")
    return out


def _on_time_resolution(customers: pd.DataFrame, scenario: Scenario, end: float) -> BoolArray:
    """Per customer whose fate is known: resolved within their segment's expectation."""
    segments = [s.name for s in scenario.segments]
    by_code = np.array([*(s.expectations.resolution_time for s in scenario.segments), np.nan])
    expected = by_code[text_codes(customers["segment"], segments)]  # -1: unknown, NaN
    arrived = customers["arrived"].to_numpy(dtype=np.float64)
    left = customers["left"].to_numpy(dtype=np.float64)
    outcome = text_codes(customers["outcome"], [IN_SYSTEM, RESOLVED])
    gone = outcome != 0
    known = gone | ((end - arrived) > expected)
    on_time = (outcome == 1) & ((left - arrived) <= expected)
    return np.asarray(on_time[known], dtype=bool)
