"""Analytic queueing baselines for customer-service systems.

The simulator in :mod:`servsim` is only trustworthy if, in the cases where
queueing theory has an exact answer, it reproduces that answer. This module
provides those answers (Erlang B, Erlang C / M/M/c, Erlang A / M/M/n+M and
Little's law) so that tests can check simulation output against them, and so
that planners get quick staffing estimates without running a simulation.

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

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "ErlangA",
    "ErlangC",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_wait_probability",
    "littles_law_length",
    "littles_law_time",
    "offered_load",
    "servers_for_service_level",
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
