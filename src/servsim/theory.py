"""Analytic queueing baselines for customer-service systems.

The simulator in :mod:`servsim` is only trustworthy if, in the cases where
queueing theory has an exact answer, it reproduces that answer. This module
provides those answers (Erlang B, Erlang C / M/M/c, Erlang A / M/M/n+M and
Little's law) so that tests can check simulation output against them, and so
that planners get quick staffing estimates without running a simulation. The
inverse functions answer the planner's question directly: the fewest agents
meeting targets written as the industry writes them (80/20, ASA, abandonment,
occupancy; :func:`parse_target`), grossed up for shrinkage
(:func:`servers_for_targets`).

Units:
    Every function is unit-agnostic: times (``mean_service_time``,
    ``mean_patience``, ``target``, the returned waits) and rates
    (``arrival_rate``) only have to use the *same* time unit. For example,
    100 calls per hour with a 3 minute mean handling time can be passed as
    ``arrival_rate=100 / 3600`` and ``mean_service_time=180`` (seconds), and
    every returned time is then in seconds. Offered load is dimensionless
    (Erlangs) and probabilities are in ``[0, 1]``.

Numerical approach:
    Nothing here evaluates ``a**c / c!`` directly, because that overflows for
    the hundreds of servers and hundreds of Erlangs that real contact centres
    have. Erlang B uses the classic stable recursion, Erlang C is derived from
    Erlang B, and Erlang A works with the logarithms of the birth-death
    weights, truncating the infinite chain only where its remaining tail is
    negligible (relative size below ``1e-20``).

All functions are pure: there is no module-level mutable state or caching.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "TARGET_HELP",
    "ErlangA",
    "ErlangC",
    "StaffingTarget",
    "TargetKind",
    "agents_to_schedule",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_wait_probability",
    "littles_law_length",
    "littles_law_time",
    "offered_load",
    "parse_target",
    "servers_for_abandonment",
    "servers_for_asa",
    "servers_for_occupancy",
    "servers_for_service_level",
    "servers_for_targets",
    "servers_for_varying_load",
]

# Stop extending the Erlang A chain once a bound on the (length-weighted)
# remaining tail is below exp(_LOG_TAIL_TOLERANCE) times the largest
# queue-state weight, i.e. about 1e-20 relative.
_LOG_TAIL_TOLERANCE = math.log(1e-20)

# Hard cap on the number of queue states kept for Erlang A. It is only reached
# when the system is overloaded and customers are almost infinitely patient
# (or the load is within ~1e-5 of capacity with near-infinite patience); the
# queue then is effectively unstable and an analytic steady state is
# meaningless in practice. The cap bounds memory (a few arrays of 8-byte
# floats) and run time.
_MAX_QUEUE_STATES = 4_000_000

# Queue states whose probability is below this fraction of the largest queue
# state cannot influence the service level at double precision.
_NEGLIGIBLE_QUEUE_STATE = 1e-22


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------


def _positive(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise if it is not finite and > 0."""
    v = float(value)
    if not (v > 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def _non_negative(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise if it is not finite and >= 0."""
    v = float(value)
    if not (v >= 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _servers(servers: int) -> int:
    """Return ``servers`` as an int, or raise if it is not an integer >= 1."""
    if isinstance(servers, bool):
        raise ValueError(f"servers must be an integer >= 1, got {servers!r}")
    try:
        c = operator.index(servers)
    except TypeError:
        raise ValueError(f"servers must be an integer >= 1, got {servers!r}") from None
    if c < 1:
        raise ValueError(f"servers must be an integer >= 1, got {servers!r}")
    return c


def _patience(mean_patience: float) -> float:
    """Return ``mean_patience`` as a float; ``math.inf`` is allowed."""
    v = float(mean_patience)
    if not v > 0.0:  # also rejects NaN
        raise ValueError(
            "mean_patience must be a positive number (math.inf for no "
            f"abandonment), got {mean_patience!r}"
        )
    return v


def _target(target: float) -> float:
    """Return a waiting-time target as a float (``math.inf`` is allowed)."""
    v = float(target)
    if not v >= 0.0:  # also rejects NaN
        raise ValueError(f"target must be a waiting time >= 0, got {target!r}")
    return v


def _unstable_message(offered: float, servers: int) -> str:
    """Explain why Erlang C has no steady state for this load."""
    return (
        f"offered_load ({offered:.6g} Erlangs) must be less than servers "
        f"({servers}) for Erlang C: with no abandonment the queue grows without "
        "bound and there is no steady state. Add servers, or use erlang_a() "
        "with a finite mean_patience to model abandonment."
    )


# --------------------------------------------------------------------------
# Offered load, Erlang B, Erlang C
# --------------------------------------------------------------------------


def offered_load(arrival_rate: float, mean_service_time: float) -> float:
    """Offered load ``a = lambda * E[S]`` in Erlangs.

    The offered load is the mean number of servers that would be busy if
    nobody were blocked or abandoned; it is the single parameter Erlang B
    depends on and the natural yardstick for staffing (``servers > a`` is
    needed for a stable M/M/c queue).

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), > 0.
        mean_service_time: Mean service time ``E[S]`` in the same time unit,
            > 0.

    Returns:
        The offered load in Erlangs (dimensionless).

    Raises:
        ValueError: If an argument is not a positive finite number.
    """
    lam = _positive("arrival_rate", arrival_rate)
    es = _positive("mean_service_time", mean_service_time)
    return lam * es


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability of an M/M/c/c (loss) system.

    Uses the recursion ``1/B(k) = 1 + (k / a) / B(k-1)`` with ``B(0) = 1``.
    Every step only adds and multiplies positive numbers, so it is stable for
    any number of servers and never forms ``a**c / c!``. It is preferred over
    the Poisson ratio ``pmf(c; a) / cdf(c; a)`` because that ratio underflows
    to ``0/0`` when ``c`` is far below ``a``. Cost is O(servers).
    By insensitivity the result also holds for M/G/c/c.

    Args:
        servers: Number of servers ``c`` (integer >= 1).
        offered_load: Offered load ``a`` in Erlangs (finite, >= 0).

    Returns:
        The probability that an arrival finds all servers busy and is lost.

    Raises:
        ValueError: If ``servers`` is not an integer >= 1 or ``offered_load``
            is negative or not finite.
    """
    c = _servers(servers)
    a = _non_negative("offered_load", offered_load)
    if a == 0.0:
        return 0.0
    inv_b = 1.0
    for k in range(1, c + 1):
        # May overflow to inf for tiny loads; B then correctly becomes 0.0.
        inv_b = 1.0 + inv_b * (k / a)
    return 1.0 / inv_b


def erlang_c_wait_probability(servers: int, offered_load: float) -> float:
    """Erlang C probability that an arrival has to wait (M/M/c, P(Wq > 0)).

    Computed from Erlang B as ``C = c B / (c - a (1 - B))``, which inherits
    the stability of the Erlang B recursion.

    Args:
        servers: Number of servers ``c`` (integer >= 1).
        offered_load: Offered load ``a`` in Erlangs (finite, >= 0, < c).

    Returns:
        The probability that an arrival finds all servers busy.

    Raises:
        ValueError: If ``servers`` is not an integer >= 1, ``offered_load`` is
            invalid, or ``offered_load >= servers`` (no steady state).
    """
    c = _servers(servers)
    a = _non_negative("offered_load", offered_load)
    if a >= c:
        raise ValueError(_unstable_message(a, c))
    b = erlang_b(c, a)
    return min(1.0, c * b / (c - a * (1.0 - b)))


@dataclass(frozen=True)
class ErlangC:
    """M/M/c (Erlang C) steady-state results.

    Poisson arrivals, exponential service, ``servers`` identical agents, FCFS,
    infinite patience and infinite waiting room. Build it with
    :func:`erlang_c`; the inputs are kept on the instance so the distribution
    methods can be evaluated for any target. All times are in the time unit of
    ``mean_service_time`` (see the module docstring).

    Attributes:
        arrival_rate: Mean arrivals per unit time (``lambda``).
        mean_service_time: Mean service time (``1 / mu``).
        servers: Number of agents ``c``.
        wait_probability: ``P(Wq > 0)``, the Erlang C formula.
        mean_wait: ``E[Wq]`` over all arrivals (including those not waiting).
        mean_queue_length: ``E[Lq]``, mean number waiting
            (``= arrival_rate * mean_wait`` by Little's law).
        occupancy: Server utilisation ``a / c``.
    """

    arrival_rate: float
    mean_service_time: float
    servers: int
    wait_probability: float
    mean_wait: float
    mean_queue_length: float
    occupancy: float

    @property
    def _decay_rate(self) -> float:
        """Rate ``c*mu - lambda`` of the exponential tail of the wait."""
        return self.servers / self.mean_service_time - self.arrival_rate

    def service_level(self, target: float) -> float:
        """Share of arrivals whose queueing delay is at most ``target``.

        In M/M/c the wait is 0 with probability ``1 - C`` and otherwise
        exponential with rate ``c*mu - lambda``, so
        ``P(Wq <= t) = 1 - C exp(-(c mu - lambda) t)``.

        Args:
            target: Waiting-time threshold (>= 0, may be ``math.inf``).

        Returns:
            ``P(Wq <= target)``.

        Raises:
            ValueError: If ``target`` is negative or NaN.
        """
        t = _target(target)
        return 1.0 - self.wait_probability * math.exp(-self._decay_rate * t)

    def wait_quantile(self, q: float) -> float:
        """Quantile of the queueing delay ``Wq``.

        Useful to state targets as "95 % of callers wait at most x". Because
        ``Wq`` has an atom of mass ``1 - C`` at zero, every ``q <= 1 - C``
        maps to 0; above that the exponential tail is inverted.

        Args:
            q: Probability level in ``[0, 1]``.

        Returns:
            The smallest ``t >= 0`` with ``P(Wq <= t) >= q`` (``math.inf`` for
            ``q == 1`` when waiting is possible).

        Raises:
            ValueError: If ``q`` is not in ``[0, 1]``.
        """
        qq = float(q)
        if not 0.0 <= qq <= 1.0:
            raise ValueError(f"q must be a probability in [0, 1], got {q!r}")
        p_wait = self.wait_probability
        if qq <= 1.0 - p_wait or p_wait <= 0.0:
            return 0.0
        if qq == 1.0:
            return math.inf
        return (math.log(p_wait) - math.log1p(-qq)) / self._decay_rate


def erlang_c(arrival_rate: float, mean_service_time: float, servers: int) -> ErlangC:
    """Solve the M/M/c (Erlang C) queue.

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), > 0.
        mean_service_time: Mean service time ``1/mu`` in the same unit, > 0.
        servers: Number of agents ``c`` (integer >= 1).

    Returns:
        The steady-state results; see :class:`ErlangC`.

    Raises:
        ValueError: On invalid inputs, or if the offered load is not below
            ``servers`` (the queue would be unstable).
    """
    lam = _positive("arrival_rate", arrival_rate)
    es = _positive("mean_service_time", mean_service_time)
    c = _servers(servers)
    a = lam * es
    p_wait = erlang_c_wait_probability(c, a)
    # E[Wq] = C / (c mu - lambda) = C * E[S] / (c - a)
    mean_wait = p_wait * es / (c - a)
    return ErlangC(
        arrival_rate=lam,
        mean_service_time=es,
        servers=c,
        wait_probability=p_wait,
        mean_wait=mean_wait,
        mean_queue_length=lam * mean_wait,
        occupancy=a / c,
    )


# --------------------------------------------------------------------------
# Erlang A (M/M/n+M)
# --------------------------------------------------------------------------


def _erlang_a_chain(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandon_rate: float,
) -> tuple[float, npt.NDArray[np.float64]]:
    """Stationary distribution of the M/M/n+M birth-death chain.

    State ``k`` is the number of customers present. Births occur at rate
    ``lambda``; deaths at ``k mu`` for ``k <= n`` and ``n mu + (k - n) theta``
    above. Weights are handled as logarithms (``log w_k = k log a - log k!``
    for ``k <= n``, then cumulative sums of ``log(lambda / (n mu + j theta))``)
    so nothing overflows. The log weights are concave in the queue length, and
    beyond the mode the ratio of successive weights ``r`` is decreasing, so the
    tail after the last kept state ``J`` is bounded by a geometric series; the
    chain is lengthened (doubling) until that bound, weighted by queue length,
    is below ``1e-20`` of the largest queue-state weight.

    Args:
        arrival_rate: ``lambda`` > 0.
        service_rate: ``mu`` > 0.
        servers: ``n`` >= 1.
        abandon_rate: ``theta`` > 0 (finite).

    Returns:
        ``(p_free, queue_probs)`` where ``p_free = P(K < n)`` and
        ``queue_probs[j] = P(K = n + j)`` for ``j = 0 .. J``.

    Raises:
        ValueError: If more than ``_MAX_QUEUE_STATES`` queue states would be
            needed (overload with near-infinite patience).
    """
    n = servers
    a = arrival_rate / service_rate
    k = np.arange(n + 1, dtype=np.float64)
    log_low = k * math.log(a) - special.gammaln(k + 1.0)  # k = 0 .. n
    n_mu = n * service_rate
    log_lam = math.log(arrival_rate)

    # The queue-length mode sits where lambda == n mu + j theta.
    j_mode = max(0.0, (arrival_rate - n_mu) / abandon_rate)
    size = int(min(_MAX_QUEUE_STATES, 2.0 * j_mode + 256.0))
    while True:
        j = np.arange(1, size, dtype=np.float64)
        steps = log_lam - np.log(n_mu + j * abandon_rate)
        log_queue = np.empty(size, dtype=np.float64)
        log_queue[0] = 0.0  # relative to w_n
        np.cumsum(steps, out=log_queue[1:])
        ratio = arrival_rate / (n_mu + size * abandon_rate)  # w_size / w_{size-1}
        if ratio < 1.0:
            # sum_{m>=1} (J+m) w_J r^m <= w_J r (J+1) / (1-r)^2
            log_tail = (
                float(log_queue[-1]) + math.log(ratio) + math.log(size) - 2.0 * math.log1p(-ratio)
            )
            if log_tail - float(log_queue.max()) < _LOG_TAIL_TOLERANCE:
                break
        if size >= _MAX_QUEUE_STATES:
            raise ValueError(
                "erlang_a needs more than "
                f"{_MAX_QUEUE_STATES} queue states for these inputs: "
                "arrivals exceed service capacity and mean_patience is so long "
                "that the queue is practically unstable. Use a shorter "
                "mean_patience or more servers."
            )
        size = min(_MAX_QUEUE_STATES, 2 * size)

    log_queue += float(log_low[-1])
    log_free = log_low[:-1]
    shift = max(float(log_queue.max()), float(log_free.max()))
    w_free = np.exp(log_free - shift)
    w_queue = np.exp(log_queue - shift)
    total = float(w_free.sum()) + float(w_queue.sum())
    return float(w_free.sum()) / total, w_queue / total


@dataclass(frozen=True)
class ErlangA:
    """M/M/n+M (Palm / Erlang A) steady-state results, exact birth-death solution.

    Poisson arrivals, exponential service, ``servers`` agents, FCFS, and every
    waiting customer abandons after an exponential patience with mean
    ``mean_patience``. Unlike Erlang C it is stable at any load, which is why
    it is the realistic baseline for overloaded contact centres. Build it with
    :func:`erlang_a`. All times are in the unit of ``mean_service_time``.

    The exact identity ``abandon_probability == mean_wait / mean_patience``
    holds (abandonment rate ``theta * E[Lq]`` divided by ``lambda``, together
    with Little's law ``E[Lq] = lambda * E[W]``).

    Attributes:
        arrival_rate: Mean arrivals per unit time (``lambda``).
        mean_service_time: Mean service time (``1 / mu``).
        servers: Number of agents ``n``.
        mean_patience: Mean patience (``1 / theta``); ``math.inf`` means no
            abandonment (the Erlang C case).
        wait_probability: Probability that an arrival finds all agents busy
            (by PASTA, the stationary probability of ``>= n`` customers).
        abandon_probability: Probability that an arrival abandons.
        mean_wait: Mean time in queue over all arrivals; abandoning customers
            count the time until they leave, non-waiting ones count 0.
        mean_wait_served: Mean time in queue of the customers who are served
            (including those served immediately).
        mean_queue_length: Mean number of customers waiting.
        occupancy: Mean share of busy agents, ``(1 - P(ab)) * a / n``.
    """

    arrival_rate: float
    mean_service_time: float
    servers: int
    mean_patience: float
    wait_probability: float
    abandon_probability: float
    mean_wait: float
    mean_wait_served: float
    mean_queue_length: float
    occupancy: float

    def service_level(self, target: float) -> float:
        """Share of all arrivals that are answered within ``target``.

        Defined as ``P(served and Wq <= target)``: abandoning customers count
        as failures whatever their wait, and customers who find a free agent
        count as answered at wait 0. Hence ``service_level(0) ==
        1 - wait_probability`` and ``service_level(inf) == 1 -
        abandon_probability``.

        Method (exact up to the ~1e-20 chain truncation): an arrival that
        finds ``j`` customers waiting (state ``n + j``, probability by PASTA)
        is at queue position ``j + 1``. With ``i`` customers ahead, the queue
        in front of it shrinks at rate ``n mu + i theta`` (a service
        completion takes the head; the ``i`` ahead may abandon), while it
        abandons itself at rate ``theta``. So it is served with probability
        ``prod_{i=0..j} (n mu + i theta) / (n mu + (i + 1) theta) =
        n mu / (n mu + (j + 1) theta)``, and, given that, its wait is a sum of
        independent exponentials with rates ``theta (x + 1 + i)``,
        ``i = 0..j``, ``x = n mu / theta``. Comparing Laplace transforms
        shows ``exp(-theta W)`` is then ``Beta(x + 1, j + 1)`` distributed,
        hence ``P(W <= t | served, j) = I_{1 - exp(-theta t)}(j + 1, x + 1)``
        (regularised incomplete beta, :func:`scipy.special.betainc`). Summing
        over ``j`` gives the service level.

        The birth-death chain is recomputed on each call (the dataclass keeps
        only plain numbers); this costs O(n + queue states), milliseconds even
        for 1000 agents.

        Args:
            target: Waiting-time threshold (>= 0, may be ``math.inf``).

        Returns:
            ``P(served and Wq <= target)`` over all arrivals.

        Raises:
            ValueError: If ``target`` is negative or NaN.
        """
        t = _target(target)
        mu = 1.0 / self.mean_service_time
        n_mu = self.servers * mu
        if math.isinf(self.mean_patience):
            decay = n_mu - self.arrival_rate
            return 1.0 - self.wait_probability * math.exp(-decay * t)
        theta = 1.0 / self.mean_patience
        p_free, queue = _erlang_a_chain(self.arrival_rate, mu, self.servers, theta)
        if t == 0.0:
            return p_free
        j = np.arange(queue.size, dtype=np.float64)
        keep = queue > _NEGLIGIBLE_QUEUE_STATE * float(queue.max())
        j = j[keep]
        p_served = n_mu / (n_mu + (j + 1.0) * theta)
        z = -math.expm1(-theta * t)  # 1 - exp(-theta t), accurate for small t
        within = special.betainc(j + 1.0, n_mu / theta + 1.0, z)
        level = p_free + float(np.sum(queue[keep] * p_served * within))
        return min(1.0, max(0.0, level))


def erlang_a(
    arrival_rate: float,
    mean_service_time: float,
    servers: int,
    mean_patience: float,
) -> ErlangA:
    """Solve the M/M/n+M (Erlang A) queue exactly.

    The infinite birth-death chain is solved in log space and truncated where
    the remaining tail is below ``1e-20`` relative (see the module
    docstring), which handles 1000 agents at twice their capacity. From the
    stationary distribution ``p`` (``J`` = number waiting):

    * ``wait_probability = P(K >= n)`` (PASTA),
    * ``mean_queue_length = E[J]``, ``mean_wait = E[J] / lambda`` (Little),
    * ``abandon_probability = theta E[J] / lambda = mean_wait / mean_patience``,
    * ``mean_wait_served`` from the tagged-customer argument described in
      :meth:`ErlangA.service_level`: with ``j`` ahead the served customer
      waits ``sum_{i=0..j} 1 / (n mu + (i + 1) theta)`` on average.

    With ``mean_patience = math.inf`` the model is Erlang C and the Erlang C
    results are returned (abandonment 0).

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), > 0.
        mean_service_time: Mean service time ``1/mu`` in the same unit, > 0.
        servers: Number of agents ``n`` (integer >= 1).
        mean_patience: Mean patience ``1/theta`` in the same unit, > 0, or
            ``math.inf`` for no abandonment.

    Returns:
        The steady-state results; see :class:`ErlangA`.

    Raises:
        ValueError: On invalid inputs; if ``mean_patience`` is infinite and
            the offered load is not below ``servers``; or if overload combined
            with extremely long patience would need an impractically long
            chain.
    """
    lam = _positive("arrival_rate", arrival_rate)
    es = _positive("mean_service_time", mean_service_time)
    n = _servers(servers)
    patience = _patience(mean_patience)

    if math.isinf(patience):
        ec = erlang_c(lam, es, n)
        return ErlangA(
            arrival_rate=lam,
            mean_service_time=es,
            servers=n,
            mean_patience=patience,
            wait_probability=ec.wait_probability,
            abandon_probability=0.0,
            mean_wait=ec.mean_wait,
            mean_wait_served=ec.mean_wait,
            mean_queue_length=ec.mean_queue_length,
            occupancy=ec.occupancy,
        )

    mu = 1.0 / es
    theta = 1.0 / patience
    n_mu = n * mu
    p_free, queue = _erlang_a_chain(lam, mu, n, theta)
    j = np.arange(queue.size, dtype=np.float64)

    wait_probability = min(1.0, float(queue.sum()))
    mean_queue_length = float(np.dot(j, queue))
    mean_wait = mean_queue_length / lam
    abandon_probability = mean_wait / patience

    exit_rates = n_mu + (j + 1.0) * theta  # total exit rate with j ahead
    p_served_given_j = n_mu / exit_rates
    mean_wait_given_served_j = np.cumsum(1.0 / exit_rates)
    served_mass = queue * p_served_given_j
    p_served = p_free + float(served_mass.sum())
    mean_wait_served = float(np.dot(served_mass, mean_wait_given_served_j)) / p_served

    return ErlangA(
        arrival_rate=lam,
        mean_service_time=es,
        servers=n,
        mean_patience=patience,
        wait_probability=wait_probability,
        abandon_probability=abandon_probability,
        mean_wait=mean_wait,
        mean_wait_served=mean_wait_served,
        mean_queue_length=mean_queue_length,
        # Busy agents cannot exceed n; clamp the last-ulp rounding in overload.
        occupancy=min(1.0, (1.0 - abandon_probability) * lam * es / n),
    )


# --------------------------------------------------------------------------
# Staffing targets as planners write them
# --------------------------------------------------------------------------

TargetKind = Literal["service_level", "asa", "abandonment", "occupancy"]
"""What a staffing target bounds: service level from below, the other three from above."""

_DIRECTION: dict[TargetKind, str] = {
    "service_level": ">=",
    "asa": "<=",
    "abandonment": "<=",
    "occupancy": "<=",
}

_TIME_UNITS: dict[str, float] = {"s": 1.0, "min": 60.0, "h": 3600.0}

TARGET_HELP = (
    "write a staffing target as service_level>=80%@20s (share answered within a time), "
    "asa<=30s (average speed of answer), abandonment<=5% (share of callers who give up) "
    "or occupancy<=85% (share of agent time busy); a share is 0.8 or 80%, a time takes "
    "s, min or h"
)
"""What :func:`parse_target` accepts, in the words its error messages use."""

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_TARGET_PATTERN = re.compile(
    rf"\s*(?P<kind>[A-Za-z_]+)\s*(?P<op>[<>=!≤≥]+)\s*(?P<bound>{_NUMBER})\s*"
    rf"(?P<unit>%|[A-Za-z]+)?\s*(?:@\s*(?P<time>{_NUMBER})\s*(?P<time_unit>[A-Za-z]+)?\s*)?"
)


@dataclass(frozen=True)
class StaffingTarget:
    """One staffing target in the industry's terms, such as 80/20 or "ASA at most 30 s".

    Planners state goals as a bound on one measure; this keeps the measure, the bound and,
    for a service level, the answer time together so that a list of them can be checked and
    inverted (:func:`servers_for_targets`). ``str()`` gives the canonical text that
    :func:`parse_target` reads back to an equal target. Times are in the unit of the rates
    and service times they are used with (seconds when parsed).

    Attributes:
        kind: ``"service_level"`` (share of all arrivals answered within ``answer_time``, at
            least ``bound``), ``"asa"`` (mean wait of answered calls, at most ``bound``),
            ``"abandonment"`` (share of arrivals who give up, at most ``bound``) or
            ``"occupancy"`` (share of agent time busy, at most ``bound``).
        bound: The goal: a share in (0, 1) for a service level, a time > 0 for ASA, a share
            in (0, 1] for abandonment and occupancy.
        answer_time: The answer-time target of a service level (finite, >= 0); ``None`` for
            the other kinds.
    """

    kind: TargetKind
    bound: float
    answer_time: float | None = None

    def __post_init__(self) -> None:
        """Check the bound against the kind, so an impossible target fails where it is made."""
        if self.kind not in _DIRECTION:
            raise ValueError(f"kind must be one of {', '.join(_DIRECTION)}, got {self.kind!r}")
        bound = float(self.bound)
        object.__setattr__(self, "bound", bound)
        if self.kind == "service_level":
            if self.answer_time is None:
                raise ValueError("a service_level target needs an answer_time (80% within 20s)")
            answer_time = float(self.answer_time)
            if not (answer_time >= 0.0 and math.isfinite(answer_time)):
                raise ValueError(
                    f"answer_time must be a finite time >= 0, got {self.answer_time!r}"
                )
            object.__setattr__(self, "answer_time", answer_time)
            if not 0.0 < bound < 1.0:
                raise ValueError(
                    "a service level goal must be a share strictly between 0 and 1 (0 "
                    "asks nothing and 100% cannot be promised), got "
                    f"{self.bound!r}"
                )
            return
        if self.answer_time is not None:
            raise ValueError(f"only a service_level target has an answer_time, not {self.kind}")
        if self.kind == "asa":
            if not (bound > 0.0 and math.isfinite(bound)):
                raise ValueError(
                    "an ASA bound must be a finite time > 0 (an ASA of 0 would need "
                    f"infinitely many agents), got {self.bound!r}"
                )
        elif not 0.0 < bound <= 1.0:
            reason = (
                "impatient callers always give up with some probability"
                if self.kind == "abandonment"
                else "with calls to answer agents are always busy some of the time"
            )
            raise ValueError(
                f"an {self.kind} bound must be a share above 0 and at most 1 ({reason}), "
                f"got {self.bound!r}"
            )

    def __str__(self) -> str:
        """The canonical planner's text, e.g. ``service_level>=0.8@20s``."""
        text = f"{self.kind}{_DIRECTION[self.kind]}{_number_text(self.bound)}"
        if self.kind == "asa":
            return f"{text}s"
        if self.answer_time is not None:
            return f"{text}@{_number_text(self.answer_time)}s"
        return text

    def achieved(self, queue: ErlangA | ErlangC) -> float:
        """The measure this target bounds, as the forward model ``queue`` reports it.

        Args:
            queue: A solved queue from :func:`erlang_a` or :func:`erlang_c`.

        Returns:
            The service level within ``answer_time``, the ASA of answered calls, the
            abandonment probability (0 for Erlang C) or the occupancy.
        """
        if self.kind == "service_level":
            assert self.answer_time is not None  # checked in __post_init__
            return queue.service_level(self.answer_time)
        if self.kind == "asa":
            return queue.mean_wait_served if isinstance(queue, ErlangA) else queue.mean_wait
        if self.kind == "abandonment":
            return queue.abandon_probability if isinstance(queue, ErlangA) else 0.0
        return queue.occupancy

    def is_met(self, queue: ErlangA | ErlangC) -> bool:
        """Whether ``queue`` meets this target (bounds are inclusive).

        Args:
            queue: A solved queue from :func:`erlang_a` or :func:`erlang_c`.

        Returns:
            ``True`` if the measure is on the right side of the bound.
        """
        value = self.achieved(queue)
        return value >= self.bound if self.kind == "service_level" else value <= self.bound


def _number_text(value: float) -> str:
    """Shortest text that reads back to ``value``: ``20`` for 20.0, else ``repr``."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def parse_target(text: str) -> StaffingTarget:
    """Read a staffing target as a planner writes it.

    Accepted forms (spaces around the parts are ignored, the measure's name is not case
    sensitive)::

        service_level>=0.8@20s   service_level>=80%@20s   (80/20)
        asa<=30s                 asa<=0.5min
        abandonment<=0.05        abandonment<=5%
        occupancy<=0.85          occupancy<=85%

    Shares are a decimal or a percentage; times need a unit, ``s``, ``min`` or ``h``, and come
    back in seconds, so use the result with rates per second and service times in seconds. A
    bare number for a time is refused rather than guessed (30 could be seconds or minutes),
    and so is the wrong direction (``asa>=30s``): a bound pointing the wrong way asks for
    worse service and would silently staff too few.

    Args:
        text: The target, e.g. ``"service_level>=80%@20s"``.

    Returns:
        The parsed target.

    Raises:
        ValueError: If ``text`` is not one of the forms above; the message says what is
            allowed, since it reaches command-line users as is.
        TypeError: If ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"a staffing target must be a string, got {type(text).__name__}")
    match = _TARGET_PATTERN.fullmatch(text)
    if match is None:
        raise _target_error(text, "expected a measure, then >= or <=, then a value")
    name = match["kind"].lower()
    kind = next((known for known in _DIRECTION if known == name), None)
    if kind is None:
        close = difflib.get_close_matches(name, _DIRECTION, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _target_error(text, f"unknown measure {match['kind']!r}{hint}")
    direction = _DIRECTION[kind]
    if match["op"] != direction:
        raise _target_error(
            text, f"{kind} is bounded with {direction}, so write {kind}{direction}..."
        )
    value = float(match["bound"])
    unit = match["unit"]
    if kind == "asa":
        bound = _seconds(text, value, unit)
    elif unit is None:
        bound = value
    elif unit == "%":
        bound = value / 100.0
    else:
        raise _target_error(text, f"a {kind} bound is a share such as 0.8 or 80%, not {unit!r}")
    if kind != "service_level":
        if match["time"] is not None:
            raise _target_error(text, "only service_level takes an answer time after @")
        answer_time = None
    elif match["time"] is None:
        raise _target_error(text, "a service level needs an answer time, as in >=80%@20s")
    else:
        answer_time = _seconds(text, float(match["time"]), match["time_unit"])
    if kind != "asa" and unit is None and bound > 1.0:
        raise _target_error(
            text, f"{value:g} is not a share between 0 and 1; for a percentage write {value:g}%"
        )
    try:
        return StaffingTarget(kind, bound, answer_time)
    except ValueError as error:
        raise _target_error(text, str(error)) from None


def _seconds(text: str, value: float, unit: str | None) -> float:
    """A time with its unit, in seconds."""
    if unit is None or unit.lower() not in _TIME_UNITS:
        got = "no unit" if unit is None else f"unit {unit!r}"
        raise _target_error(text, f"a time needs a unit s, min or h, got {got}")
    return value * _TIME_UNITS[unit.lower()]


def _target_error(text: str, reason: str) -> ValueError:
    """A ValueError that names the text, says what is wrong and what would be right."""
    return ValueError(f"cannot read staffing target {text!r}: {reason}; {TARGET_HELP}")


# --------------------------------------------------------------------------
# Staffing: the inverse question
# --------------------------------------------------------------------------


def _fewest_servers(
    meets: Callable[[int], bool],
    known_to_miss: int,
    max_servers: int,
    goal_text: str,
) -> int:
    """The smallest server count above ``known_to_miss`` for which ``meets`` holds.

    Every staffing inverse here asks the same question of a different measure, and each measure
    moves one way as agents are added, so ``meets`` is false up to some count and true from
    there on. Doubling from ``known_to_miss + 1`` brackets that count in O(log n) evaluations
    and bisection then pins it down, so the forward model is solved only a few dozen times even
    for thousands of agents. ``known_to_miss`` lets Erlang C start above the offered load, where
    the forward model is defined at all.

    Args:
        meets: Whether this many agents meet the goal; monotone in the count.
        known_to_miss: A count (>= 0) known not to meet the goal; never passed to ``meets``.
        max_servers: Give up beyond this many agents.
        goal_text: The goal in words, for the error message.

    Returns:
        The smallest count ``n > known_to_miss`` with ``meets(n)``.

    Raises:
        ValueError: If no count up to ``max_servers`` meets the goal.
    """
    cap = _servers_cap(max_servers)

    def give_up() -> ValueError:
        return ValueError(f"more than {cap} agents would be needed for {goal_text}")

    low = known_to_miss
    if low >= cap:
        raise give_up()
    high = low + 1
    while not meets(high):
        low = high
        high = 2 * high
        if high > cap:
            if low < cap and meets(cap):
                high = cap
                break
            raise give_up()
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def _servers_cap(max_servers: int) -> int:
    """Return ``max_servers`` as an int, or raise if it is not an integer >= 1."""
    try:
        return _servers(max_servers)
    except ValueError:
        raise ValueError(f"max_servers must be an integer >= 1, got {max_servers!r}") from None


def _known_to_miss(load: float, patience: float) -> int:
    """A server count that misses any goal: Erlang C has no steady state up to the load."""
    return math.floor(load) if math.isinf(patience) else 0


def servers_for_service_level(
    arrival_rate: float,
    mean_service_time: float,
    target: float,
    goal: float,
    mean_patience: float = math.inf,
    max_servers: int = 100_000,
) -> int:
    """The fewest agents whose service level reaches ``goal`` (Erlang A, or Erlang C).

    Service level is ``P(served and Wq <= target)`` (:meth:`ErlangA.service_level`: abandons
    count as misses), which never falls when an agent is added, so the answer is found by
    bisection between a count known to miss and one known to meet the goal. With
    ``mean_patience = math.inf`` it is the Erlang C staffing (always more agents than the
    offered load). An interval without arrivals needs no agents: ``arrival_rate == 0`` gives 0.

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), >= 0.
        mean_service_time: Mean service time in the same unit, > 0.
        target: The answer-time target, >= 0.
        goal: The share to answer within the target, in (0, 1).
        mean_patience: Mean patience, > 0, or ``math.inf`` for no abandonment.
        max_servers: Give up beyond this many agents.

    Returns:
        The smallest number of agents meeting the goal.

    Raises:
        ValueError: If an argument is out of range, or the goal needs more than
            ``max_servers`` agents (with impatient customers a goal near 1 may be unreachable).
    """
    lam = _non_negative("arrival_rate", arrival_rate)
    service = _positive("mean_service_time", mean_service_time)
    wait_target = _target(target)
    if not 0.0 < goal < 1.0:
        raise ValueError(f"goal must lie strictly between 0 and 1, got {goal!r}")
    patience = _patience(mean_patience)
    if lam == 0.0:
        return 0
    load = lam * service

    def meets(servers: int) -> bool:
        return erlang_a(lam, service, servers, patience).service_level(wait_target) >= goal

    return _fewest_servers(
        meets,
        _known_to_miss(load, patience),
        max_servers,
        f"{goal:.0%} within {wait_target:g} at an offered load of {load:.4g} erlangs",
    )


def servers_for_asa(
    arrival_rate: float,
    mean_service_time: float,
    max_asa: float,
    mean_patience: float = math.inf,
    max_servers: int = 100_000,
) -> int:
    """The fewest agents whose average speed of answer is at most ``max_asa``.

    ASA is the industry's mean wait of *answered* calls: :attr:`ErlangA.mean_wait_served`
    (equal to :attr:`ErlangC.mean_wait` without abandonment). Callers who give up are left out,
    as a switch reports them, which is why an abandonment target usually goes beside it. It
    only falls as agents are added, so the shared bisection finds the answer.

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), >= 0; 0 needs no agents.
        mean_service_time: Mean service time in the same unit, > 0.
        max_asa: The longest acceptable ASA, > 0 and finite (every wait is > 0 with some
            probability, so an ASA of 0 would need infinitely many agents).
        mean_patience: Mean patience, > 0, or ``math.inf`` for no abandonment (Erlang C).
        max_servers: Give up beyond this many agents.

    Returns:
        The smallest number of agents meeting the target.

    Raises:
        ValueError: If an argument is out of range, or more than ``max_servers`` agents would
            be needed.
    """
    return _servers_for(
        arrival_rate,
        mean_service_time,
        StaffingTarget("asa", max_asa),
        mean_patience,
        max_servers,
    )


def servers_for_abandonment(
    arrival_rate: float,
    mean_service_time: float,
    max_abandonment: float,
    mean_patience: float = math.inf,
    max_servers: int = 100_000,
) -> int:
    """The fewest agents whose abandonment probability is at most ``max_abandonment``.

    Erlang A's :attr:`ErlangA.abandon_probability` only falls as agents are added. Without
    abandonment (``mean_patience = math.inf``) nobody gives up, so the answer is the smallest
    stable Erlang C staffing (one more than the whole offered load).

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), >= 0; 0 needs no agents.
        mean_service_time: Mean service time in the same unit, > 0.
        max_abandonment: The largest acceptable share of callers who give up, in (0, 1]
            (impatient callers always give up with some probability, so 0 cannot be met).
        mean_patience: Mean patience, > 0, or ``math.inf`` for no abandonment.
        max_servers: Give up beyond this many agents.

    Returns:
        The smallest number of agents meeting the target.

    Raises:
        ValueError: If an argument is out of range, or more than ``max_servers`` agents would
            be needed.
    """
    return _servers_for(
        arrival_rate,
        mean_service_time,
        StaffingTarget("abandonment", max_abandonment),
        mean_patience,
        max_servers,
    )


def servers_for_occupancy(
    arrival_rate: float,
    mean_service_time: float,
    max_occupancy: float,
    mean_patience: float = math.inf,
    max_servers: int = 100_000,
) -> int:
    """The fewest agents whose occupancy is at most ``max_occupancy``.

    An occupancy ceiling protects agents rather than callers: above about 85-90 % people burn
    out even where the service level still holds. Under Erlang C occupancy is ``load / n``, so
    the answer is ``ceil(load / max_occupancy)`` but never below the smallest stable staffing;
    under Erlang A it counts only the work of callers who are served,
    ``(1 - P(abandon)) load / n`` (:attr:`ErlangA.occupancy`), which also falls as agents are
    added. Both are found with the same bisection over the forward model, so the answer always
    agrees with what the forward functions report.

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), >= 0; 0 needs no agents.
        mean_service_time: Mean service time in the same unit, > 0.
        max_occupancy: The largest acceptable share of agent time spent busy, in (0, 1].
        mean_patience: Mean patience, > 0, or ``math.inf`` for no abandonment (Erlang C).
        max_servers: Give up beyond this many agents.

    Returns:
        The smallest number of agents meeting the target.

    Raises:
        ValueError: If an argument is out of range, or more than ``max_servers`` agents would
            be needed.
    """
    return _servers_for(
        arrival_rate,
        mean_service_time,
        StaffingTarget("occupancy", max_occupancy),
        mean_patience,
        max_servers,
    )


def _servers_for(
    arrival_rate: float,
    mean_service_time: float,
    target: StaffingTarget,
    mean_patience: float,
    max_servers: int,
) -> int:
    """The fewest agents meeting one target; 0 when nothing arrives."""
    lam = _non_negative("arrival_rate", arrival_rate)
    service = _positive("mean_service_time", mean_service_time)
    patience = _patience(mean_patience)
    _servers_cap(max_servers)
    if lam == 0.0:
        return 0
    load = lam * service

    def meets(servers: int) -> bool:
        return target.is_met(erlang_a(lam, service, servers, patience))

    return _fewest_servers(
        meets,
        _known_to_miss(load, patience),
        max_servers,
        f"{target} at an offered load of {load:.4g} erlangs",
    )


def servers_for_targets(
    arrival_rate: float,
    mean_service_time: float,
    targets: StaffingTarget | str | Iterable[StaffingTarget | str],
    mean_patience: float = math.inf,
    shrinkage: float = 0.0,
    max_servers: int = 100_000,
) -> int:
    """The fewest agents meeting every staffing target at once, grossed up for shrinkage.

    Each target moves one way as agents are added (service level up; ASA, abandonment and
    occupancy down), so a count meets them all exactly when it meets the strictest, and the
    answer on the floor is the largest of the per-target minimums. The queue is Erlang A when
    ``mean_patience`` is finite and Erlang C otherwise. That count is then turned into agents
    to schedule with :func:`agents_to_schedule`; with the default ``shrinkage = 0`` the two are
    the same.

    An interval without arrivals (``arrival_rate == 0``) needs no agents and gives 0: planners
    have such intervals (nights, closed days), and a staffing table should read 0 there rather
    than fail. The targets are still checked, so a typo is caught even then.

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), >= 0.
        mean_service_time: Mean service time in the same unit, > 0.
        targets: One target or several, each a :class:`StaffingTarget` or a planner's string
            for :func:`parse_target` (whose times are in seconds, so then pass rates per
            second and times in seconds).
        mean_patience: Mean patience, > 0, or ``math.inf`` for no abandonment.
        shrinkage: Share of paid agent time not available for contacts, in [0, 1).
        max_servers: Give up beyond this many agents on the floor.

    Returns:
        The fewest agents to schedule so that those on the floor meet every target.

    Raises:
        ValueError: If an argument is out of range, no target is given, a string is not a
            target, or a target needs more than ``max_servers`` agents.
    """
    if isinstance(targets, StaffingTarget | str):
        targets = [targets]
    wanted = [t if isinstance(t, StaffingTarget) else parse_target(t) for t in targets]
    if not wanted:
        raise ValueError("servers_for_targets needs at least one staffing target")
    _shrinkage(shrinkage)
    on_floor = max(
        _servers_for(arrival_rate, mean_service_time, t, mean_patience, max_servers) for t in wanted
    )
    return agents_to_schedule(on_floor, shrinkage)


def _averaged(
    target: StaffingTarget,
    queues: Sequence[ErlangA],
    arrivals: Sequence[float],
    steps: int,
) -> float:
    """One target's measure over sub-intervals held at one staffing, as an interval reports it.

    A planning interval's service level and abandonment are shares of the calls that arrived in
    it, so each sub-interval counts by its arrivals; ASA is a mean over answered calls, so by
    those; occupancy is busy time over paid time, and every sub-interval is paid alike (one
    without arrivals adds paid time and no work).
    """
    if target.kind == "occupancy":
        return sum(q.occupancy for q in queues) / steps
    weights = [
        w * (1.0 - q.abandon_probability) if target.kind == "asa" else w
        for q, w in zip(queues, arrivals, strict=True)
    ]
    total = sum(weights)
    if not total > 0:
        return math.nan
    return sum(w * target.achieved(q) for q, w in zip(queues, weights, strict=True)) / total


def servers_for_varying_load(
    arrival_rates: Sequence[float],
    mean_service_time: float,
    targets: StaffingTarget | str | Iterable[StaffingTarget | str],
    mean_patience: float = math.inf,
    arrivals: Sequence[float] | None = None,
    max_servers: int = 100_000,
) -> int:
    """The fewest agents that, held through sub-intervals of changing load, meet every target.

    A planning interval is staffed with one headcount, but on a rising or falling edge its load
    changes within it: a half hour whose load climbs from 50 to 60 erlangs makes its late
    callers wait far more than its early ones, and the stationary answer for the mean load
    (55) leaves the interval's share of callers who wait above the goal. Here each sub-interval
    of equal length is solved as a stationary queue at its own rate (the time-varying
    staffing of Feldman, Mandelbaum, Massey & Whitt 2008, in fine steps), and the interval's
    measure is their average as the interval reports it (:func:`_averaged`: by arrivals for
    service level and abandonment, by answered calls for ASA, by time for occupancy). With a
    single sub-interval this is :func:`servers_for_targets` without shrinkage.

    Without abandonment (``mean_patience = math.inf``) the count is above every sub-interval's
    offered load, where Erlang C has a steady state at all.

    Args:
        arrival_rates: Mean arrival rate (``lambda``) in each sub-interval, >= 0.
        mean_service_time: Mean service time in the same unit, > 0.
        targets: One target or several (:func:`servers_for_targets`).
        mean_patience: Mean patience, > 0, or ``math.inf`` for no abandonment.
        arrivals: Each sub-interval's weight in the interval's shares of calls (the calls
            that arrived in it, which on an edge lead the load that ``arrival_rates``
            carries); by default the rates themselves.
        max_servers: Give up beyond this many agents.

    Returns:
        The smallest number of agents meeting every target on the interval's average.

    Raises:
        ValueError: If an argument is out of range, no target or no sub-interval is given, or
            more than ``max_servers`` agents would be needed.
    """
    if isinstance(targets, StaffingTarget | str):
        targets = [targets]
    wanted = [t if isinstance(t, StaffingTarget) else parse_target(t) for t in targets]
    if not wanted:
        raise ValueError("servers_for_varying_load needs at least one staffing target")
    rates = [_non_negative("arrival_rate", r) for r in arrival_rates]
    if not rates:
        raise ValueError("servers_for_varying_load needs at least one sub-interval")
    weights = [_non_negative("arrivals", w) for w in (rates if arrivals is None else arrivals)]
    if len(weights) != len(rates):
        raise ValueError(f"{len(rates)} sub-interval rates but {len(weights)} arrival weights")
    service = _positive("mean_service_time", mean_service_time)
    patience = _patience(mean_patience)
    _servers_cap(max_servers)
    busy = [(r, w) for r, w in zip(rates, weights, strict=True) if r > 0]
    if not busy:
        return 0
    peak = max(r for r, _ in busy) * service

    def meets(servers: int) -> bool:
        queues = [erlang_a(r, service, servers, patience) for r, _ in busy]
        loads = [w for _, w in busy]
        for target in wanted:
            value = _averaged(target, queues, loads, len(rates))
            low = target.kind == "service_level"
            # a NaN (nobody arrived to count) has nothing to miss
            if (value < target.bound) if low else (value > target.bound):
                return False
        return True

    return _fewest_servers(
        meets,
        _known_to_miss(peak, patience),
        max_servers,
        f"{', '.join(map(str, wanted))} at offered loads up to {peak:.4g} erlangs",
    )


def _shrinkage(shrinkage: float) -> float:
    """Return ``shrinkage`` as a float, or raise if it is not in [0, 1)."""
    s = float(shrinkage)
    if not 0.0 <= s < 1.0:
        raise ValueError(
            f"shrinkage must be a share of paid time in [0, 1) (0.3 for 30 %), got {shrinkage!r}"
        )
    return s


def agents_to_schedule(on_floor: int, shrinkage: float) -> int:
    """Agents to schedule so that ``on_floor`` remain for contacts after shrinkage.

    Shrinkage is the share of paid time lost to breaks, training, meetings and absence, so only
    ``1 - shrinkage`` of every scheduled agent is on the floor: the answer is
    ``ceil(on_floor / (1 - shrinkage))``. It is computed exactly on the decimal the planner
    wrote (``0.1`` is read as 1/10, not as the binary float just above it), because in floating
    point ``9 / (1 - 0.1)`` can land a hair above 10 and round up to a needless eleventh agent.

    Args:
        on_floor: Agents needed on the floor, an integer >= 0.
        shrinkage: Share of paid time not available for contacts, in [0, 1).

    Returns:
        The fewest agents to schedule.

    Raises:
        ValueError: If ``on_floor`` is not an integer >= 0 or ``shrinkage`` is not in [0, 1).
    """
    if isinstance(on_floor, bool):
        raise ValueError(f"on_floor must be an integer >= 0, got {on_floor!r}")
    try:
        n = operator.index(on_floor)
    except TypeError:
        raise ValueError(f"on_floor must be an integer >= 0, got {on_floor!r}") from None
    if n < 0:
        raise ValueError(f"on_floor must be an integer >= 0, got {on_floor!r}")
    s = Fraction(repr(_shrinkage(shrinkage)))
    return math.ceil(Fraction(n) / (1 - s))


# --------------------------------------------------------------------------
# Little's law
# --------------------------------------------------------------------------


def littles_law_length(arrival_rate: float, mean_time_in_system: float) -> float:
    """Mean number in a system from Little's law, ``L = lambda * W``.

    Little's law holds for any stable system regardless of distributions or
    discipline, which makes it the cheapest consistency check between
    simulated time averages and customer averages.

    Args:
        arrival_rate: Mean arrivals per unit time (``lambda``), > 0.
        mean_time_in_system: Mean time a customer spends in the system
            (or sub-system, e.g. the queue), finite and >= 0, same time unit.

    Returns:
        The mean number of customers in that system ``L``.

    Raises:
        ValueError: If an argument is out of range.
    """
    lam = _positive("arrival_rate", arrival_rate)
    w = _non_negative("mean_time_in_system", mean_time_in_system)
    return lam * w


def littles_law_time(mean_number_in_system: float, arrival_rate: float) -> float:
    """Mean time in a system from Little's law, ``W = L / lambda``.

    Args:
        mean_number_in_system: Time-average number of customers ``L``,
            finite and >= 0.
        arrival_rate: Mean arrivals per unit time (``lambda``), > 0.

    Returns:
        The mean time a customer spends in that system ``W``.

    Raises:
        ValueError: If an argument is out of range.
    """
    big_l = _non_negative("mean_number_in_system", mean_number_in_system)
    lam = _positive("arrival_rate", arrival_rate)
    return big_l / lam
