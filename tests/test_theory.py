"""Tests for servsim.theory: analytic queueing baselines.

The reference values come from independent computations written here in a
different way (direct sums, generator matrices, matrix exponentials, a small
Monte-Carlo simulation) so that a mistake in the module cannot be mirrored by
the test.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from scipy import linalg, stats

from servsim.theory import (
    ErlangA,
    ErlangC,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_wait_probability,
    littles_law_length,
    littles_law_time,
    offered_load,
)

# --------------------------------------------------------------------------
# Independent reference implementations
# --------------------------------------------------------------------------


def direct_erlang_b(servers: int, load: float) -> float:
    """Textbook Erlang B: (a^c / c!) / sum_k a^k / k! (small c only)."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / math.fsum(terms)


def direct_erlang_c(servers: int, load: float) -> float:
    """Textbook Erlang C formula with factorials (small c only)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    low = math.fsum(load**k / math.factorial(k) for k in range(servers))
    return top / (low + top)


def generator_stationary(
    lam: float, mu: float, servers: int, theta: float, states: int
) -> npt.NDArray[np.float64]:
    """Stationary law of a truncated M/M/n+M chain by solving pi Q = 0."""
    q = np.zeros((states, states))
    for k in range(states):
        if k + 1 < states:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, servers) * mu + max(k - servers, 0) * theta
        q[k, k] = -q[k].sum()
    system = np.vstack([q.T, np.ones(states)])
    rhs = np.zeros(states + 1)
    rhs[-1] = 1.0
    pi, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    return np.asarray(pi, dtype=np.float64)


def simulate_mmn_m(
    lam: float,
    mu: float,
    servers: int,
    theta: float,
    customers: int,
    seed: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Event-driven FCFS M/M/n+M simulation (Kiefer-Wolfowitz style).

    Keeps a heap of the times at which each agent next becomes free. Under
    FCFS an arrival would start service at the earliest free time (or on
    arrival); it is served only if its patience covers that wait, otherwise it
    leaves at the end of its patience without occupying an agent.

    Returns:
        Per customer: time in queue, served flag, waited (> 0) flag.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / lam, customers)).tolist()
    services = rng.exponential(1.0 / mu, customers).tolist()
    patience = rng.exponential(1.0 / theta, customers).tolist()
    free_at = [0.0] * servers
    waits = [0.0] * customers
    served = [True] * customers
    for i in range(customers):
        t = arrivals[i]
        delay = free_at[0] - t
        if delay <= 0.0:
            heapq.heapreplace(free_at, t + services[i])
        elif patience[i] >= delay:
            waits[i] = delay
            heapq.heapreplace(free_at, free_at[0] + services[i])
        else:
            waits[i] = patience[i]
            served[i] = False
    w = np.array(waits)
    return w, np.array(served), w > 0.0


def batch_mean_and_se(values: npt.NDArray[np.float64], batches: int = 25) -> tuple[float, float]:
    """Mean and batch-means standard error (robust to autocorrelation)."""
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    return float(values.mean()), float(means.std(ddof=1) / math.sqrt(batches))


# --------------------------------------------------------------------------
# Erlang B / C
# --------------------------------------------------------------------------

HOUR = 3600.0


def test_textbook_point_seven_and_eight_agents() -> None:
    """100 calls/h, 180 s handling: the standard call-centre example."""
    seven = erlang_c(100 / HOUR, 180.0, 7)
    assert seven.wait_probability == pytest.approx(0.324, abs=0.001)
    assert seven.mean_wait == pytest.approx(29.2, abs=0.1)
    assert seven.service_level(20.0) == pytest.approx(0.740, abs=0.002)
    assert seven.occupancy == pytest.approx(5 / 7)
    eight = erlang_c(100 / HOUR, 180.0, 8)
    assert eight.service_level(20.0) == pytest.approx(0.880, abs=0.002)


def test_offered_load() -> None:
    assert offered_load(100 / HOUR, 180.0) == pytest.approx(5.0)


@pytest.mark.parametrize("load", [0.3, 2.0, 7.5, 15.0])
@pytest.mark.parametrize("servers", [1, 2, 5, 10, 20])
def test_erlang_b_matches_direct_sum(servers: int, load: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(direct_erlang_b(servers, load), rel=1e-12)


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (2, 1.9), (5, 3.3), (12, 10.0)])
def test_erlang_c_matches_direct_formula(servers: int, load: float) -> None:
    got = erlang_c_wait_probability(servers, load)
    assert got == pytest.approx(direct_erlang_c(servers, load), rel=1e-12)


def test_erlang_b_zero_load() -> None:
    assert erlang_b(3, 0.0) == 0.0
    assert erlang_c_wait_probability(3, 0.0) == 0.0


def test_mm1_reduces_to_textbook() -> None:
    lam, mu = 0.8, 1.25
    rho = lam / mu
    res = erlang_c(lam, 1.0 / mu, 1)
    assert res.wait_probability == pytest.approx(rho, rel=1e-12)
    assert res.mean_wait == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert res.mean_queue_length == pytest.approx(rho**2 / (1 - rho), rel=1e-12)
    # M/M/1 waiting time: P(Wq > t) = rho exp(-(mu - lam) t)
    assert res.service_level(2.0) == pytest.approx(1 - rho * math.exp(-(mu - lam) * 2.0))


def test_large_system_is_stable_and_matches_poisson_ratio() -> None:
    servers, load = 1000, 950.0
    b = erlang_b(servers, load)
    # Independent: Erlang B = Poisson pmf(c) / cdf(c) (fine in this regime).
    ref = stats.poisson.pmf(servers, load) / stats.poisson.cdf(servers, load)
    assert b == pytest.approx(float(ref), rel=1e-9)
    c = erlang_c_wait_probability(servers, load)
    res = erlang_c(load, 1.0, servers)
    for p in (b, c, res.wait_probability, res.service_level(0.01)):
        assert math.isfinite(p)
        assert 0.0 <= p <= 1.0
    assert b < c  # queueing is always more likely than blocking
    assert math.isfinite(res.mean_wait)
    assert res.mean_wait > 0.0
    # Tiny and huge loads must not produce NaN (overflow of 1/B -> B = 0).
    assert erlang_b(1000, 1e-3) == 0.0
    assert erlang_b(10, 1e6) == pytest.approx(1.0, abs=1e-4)


def test_erlang_c_little_and_quantile() -> None:
    res = erlang_c(100 / HOUR, 180.0, 7)
    assert res.mean_queue_length == pytest.approx(res.arrival_rate * res.mean_wait, rel=1e-12)
    assert res.wait_quantile(0.5) == 0.0  # half of callers do not wait at all
    assert res.wait_quantile(1.0 - res.wait_probability) == 0.0
    for q in (0.7, 0.9, 0.99):
        t = res.wait_quantile(q)
        assert t > 0.0
        assert res.service_level(t) == pytest.approx(q, abs=1e-12)
    assert res.wait_quantile(1.0) == math.inf
    assert res.service_level(math.inf) == 1.0
    assert res.service_level(0.0) == pytest.approx(1 - res.wait_probability)


def test_erlang_c_unstable_raises() -> None:
    with pytest.raises(ValueError, match="offered_load"):
        erlang_c_wait_probability(5, 5.0)
    with pytest.raises(ValueError, match="servers"):
        erlang_c(6.0, 1.0, 5)


# --------------------------------------------------------------------------
# Erlang A
# --------------------------------------------------------------------------

ERLANG_A_CASES = [
    # (arrival_rate, mean_service_time, servers, mean_patience)
    (0.9, 1.0, 1, 2.0),
    (100 / HOUR, 180.0, 7, 120.0),
    (3.0, 1.0, 3, 0.5),
    (45.0, 1.0, 40, 5.0),
    (150.0, 1.0, 100, 10.0),
    (2000.0, 1.0, 1000, 1.0),
    (950.0, 1.0, 1000, 3.0),
]


@pytest.mark.parametrize(("lam", "es", "n", "patience"), ERLANG_A_CASES)
def test_erlang_a_abandonment_identity_and_bounds(
    lam: float, es: float, n: int, patience: float
) -> None:
    res = erlang_a(lam, es, n, patience)
    assert res.abandon_probability == pytest.approx(res.mean_wait / patience, rel=1e-14)
    assert res.mean_queue_length == pytest.approx(lam * res.mean_wait, rel=1e-12)
    for p in (res.wait_probability, res.abandon_probability, res.occupancy):
        assert 0.0 <= p <= 1.0
    # Served traffic cannot exceed capacity: P(ab) >= 1 - n / a.
    assert res.abandon_probability >= 1.0 - n / (lam * es) - 1e-12
    assert res.abandon_probability <= res.wait_probability
    assert math.isfinite(res.mean_wait_served)
    assert res.mean_wait_served >= 0.0


def test_erlang_a_overload_approaches_fluid_limit() -> None:
    """At 1.5x capacity with patient callers agents are ~always busy."""
    n, a = 100, 150.0
    res = erlang_a(a, 1.0, n, 10.0)
    assert res.abandon_probability == pytest.approx(1 - n / a, abs=0.005)
    assert res.occupancy == pytest.approx(1.0, abs=0.005)
    # Fluid queue: lambda = n mu + theta q  ->  q = (lambda - n mu) / theta
    assert res.mean_queue_length == pytest.approx((a - n) * 10.0, rel=0.02)
    # Less patience -> more abandonment, never below the capacity bound.
    abandon = [erlang_a(a, 1.0, n, p).abandon_probability for p in (0.02, 0.1, 0.3, 1.0)]
    assert all(x > y for x, y in itertools.pairwise(abandon))
    assert abandon[-1] >= 1 - n / a - 1e-12
    # In a small, impatient system agents idle while callers still abandon.
    small = erlang_a(3.0, 1.0, 2, 0.2)
    assert small.occupancy < 0.9
    assert small.abandon_probability > 1 - 2 / 3.0 + 0.05


def test_erlang_a_large_patience_tends_to_erlang_c() -> None:
    ec = erlang_c(100 / HOUR, 180.0, 7)
    ea = erlang_a(100 / HOUR, 180.0, 7, 1e9)
    assert ea.wait_probability == pytest.approx(ec.wait_probability, rel=1e-6)
    assert ea.mean_wait == pytest.approx(ec.mean_wait, rel=1e-6)
    assert ea.mean_wait_served == pytest.approx(ec.mean_wait, rel=1e-6)
    assert ea.mean_queue_length == pytest.approx(ec.mean_queue_length, rel=1e-6)
    assert ea.abandon_probability < 1e-6
    for t in (0.0, 5.0, 20.0, 60.0):
        assert ea.service_level(t) == pytest.approx(ec.service_level(t), abs=1e-6)
    # Moderately patient callers already move Erlang A measurably.
    assert erlang_a(100 / HOUR, 180.0, 7, 120.0).mean_wait < 0.5 * ec.mean_wait


def test_erlang_a_infinite_patience_is_erlang_c() -> None:
    ec = erlang_c(100 / HOUR, 180.0, 7)
    ea = erlang_a(100 / HOUR, 180.0, 7, math.inf)
    assert ea.wait_probability == ec.wait_probability
    assert ea.mean_wait == ec.mean_wait
    assert ea.abandon_probability == 0.0
    assert ea.service_level(20.0) == ec.service_level(20.0)
    with pytest.raises(ValueError, match="offered_load"):
        erlang_a(8.0, 1.0, 7, math.inf)


@pytest.mark.parametrize(
    ("lam", "mu", "n", "theta"), [(0.7, 1.0, 1, 0.4), (1.3, 1.0, 1, 2.0), (3.5, 1.0, 3, 0.8)]
)
def test_erlang_a_matches_generator_matrix(lam: float, mu: float, n: int, theta: float) -> None:
    """Compare with pi Q = 0 for a truncated generator (different method)."""
    states = 150
    pi = generator_stationary(lam, mu, n, theta, states)
    k = np.arange(states)
    queue = pi[n:]
    j = np.arange(queue.size)
    res = erlang_a(lam, 1.0 / mu, n, 1.0 / theta)
    assert res.wait_probability == pytest.approx(float(queue.sum()), rel=1e-9)
    assert res.mean_queue_length == pytest.approx(float(j @ queue), rel=1e-9)
    # Abandonment seen from the tagged customer: with j ahead it abandons
    # before reaching an agent with probability (j+1) theta / (n mu + (j+1) theta).
    tagged_ab = float(queue @ ((j + 1) * theta / (n * mu + (j + 1) * theta)))
    assert res.abandon_probability == pytest.approx(tagged_ab, rel=1e-9)
    busy = float(pi @ np.minimum(k, n))
    assert res.occupancy == pytest.approx(busy / n, rel=1e-9)


def tagged_served_within(
    lam: float, mu: float, n: int, theta: float, t: float, depth: int
) -> tuple[float, float]:
    """P(served and W <= t) and E[W; served] via a matrix exponential.

    Builds the absorbing chain of one tagged waiting customer (states: number
    ahead 0..depth, plus 'served' and 'abandoned'), exponentiates its
    generator, and mixes over the PASTA distribution from the generator-matrix
    solution. Expected served wait uses the fundamental matrix.
    """
    pi = generator_stationary(lam, mu, n, theta, n + depth + 1)
    size = depth + 1
    served, abandoned = size, size + 1
    q = np.zeros((size + 2, size + 2))
    for i in range(size):
        forward = n * mu + i * theta
        if i == 0:
            q[i, served] = forward
        else:
            q[i, i - 1] = forward
        q[i, abandoned] = theta
        q[i, i] = -(forward + theta)
    start = pi[n : n + size]
    level = float(pi[:n].sum() + start @ linalg.expm(q * t)[:size, served])
    # E[W 1{served}] = start . (-T)^-1 diag(occupation) ... via a linear solve:
    transient = q[:size, :size]
    to_served = q[:size, served]
    p_served = np.linalg.solve(-transient, to_served)  # P(served | i ahead)
    weighted_time = np.linalg.solve(-transient, p_served)  # E[W; served | i]
    return level, float(start @ weighted_time)


@pytest.mark.parametrize(("lam", "mu", "n", "theta"), [(1.2, 1.0, 1, 0.5), (2.5, 1.0, 3, 1.5)])
def test_erlang_a_service_level_matches_matrix_exponential(
    lam: float, mu: float, n: int, theta: float
) -> None:
    res = erlang_a(lam, 1.0 / mu, n, 1.0 / theta)
    p_served = 1.0 - res.abandon_probability
    for t in (0.1, 0.5, 1.0, 3.0):
        ref, weighted = tagged_served_within(lam, mu, n, theta, t, depth=80)
        assert res.service_level(t) == pytest.approx(ref, abs=1e-9)
    assert res.mean_wait_served == pytest.approx(weighted / p_served, rel=1e-8)


def test_erlang_a_service_level_shape() -> None:
    res = erlang_a(100 / HOUR, 180.0, 7, 120.0)
    assert res.service_level(0.0) == pytest.approx(1.0 - res.wait_probability, abs=1e-14)
    targets = [0.0, 1.0, 5.0, 10.0, 20.0, 60.0, 300.0, 3600.0]
    levels = [res.service_level(t) for t in targets]
    assert all(b > a for a, b in itertools.pairwise(levels))
    cap = 1.0 - res.abandon_probability
    assert all(level <= cap + 1e-12 for level in levels)
    assert res.service_level(math.inf) == pytest.approx(cap, abs=1e-12)
    assert levels[-1] == pytest.approx(cap, abs=1e-9)


def test_erlang_a_service_level_matches_monte_carlo() -> None:
    """M/M/3+M at load 1 (Erlang C would be unstable), 2e5 callers."""
    lam, mu, n, theta = 3.0, 1.0, 3, 0.5
    customers, warmup = 200_000, 5_000
    waits, served, waited = simulate_mmn_m(lam, mu, n, theta, customers, seed=20240611)
    waits, served, waited = waits[warmup:], served[warmup:], waited[warmup:]
    res = erlang_a(lam, 1.0 / mu, n, 1.0 / theta)

    def check(indicator: npt.NDArray[np.float64], expected: float) -> None:
        mean, se = batch_mean_and_se(indicator)
        # The tolerance must be tight enough for the test to have power.
        assert se < 0.005
        assert mean == pytest.approx(expected, abs=5.0 * se)

    for target in (0.25, 0.5, 1.0, 2.0):
        answered = (served & (waits <= target)).astype(np.float64)
        check(answered, res.service_level(target))
    check((~served).astype(np.float64), res.abandon_probability)
    check(waited.astype(np.float64), res.wait_probability)
    check(waits, res.mean_wait)
    mean_served_wait = float(waits[served].mean())
    assert mean_served_wait == pytest.approx(res.mean_wait_served, rel=0.03)


def test_erlang_a_large_systems_are_finite() -> None:
    for res in (
        erlang_a(950.0, 1.0, 1000, 2.0),
        erlang_a(2000.0, 1.0, 1000, 1.0),
        erlang_a(950.0, 1.0, 1000, 1e8),
    ):
        values = [
            res.wait_probability,
            res.abandon_probability,
            res.mean_wait,
            res.mean_wait_served,
            res.mean_queue_length,
            res.occupancy,
            res.service_level(0.05),
        ]
        assert all(math.isfinite(v) for v in values)
        assert 0.0 <= res.service_level(0.05) <= 1.0


def test_erlang_a_extreme_overload_with_endless_patience_raises() -> None:
    with pytest.raises(ValueError, match="mean_patience"):
        erlang_a(2000.0, 1.0, 1000, 1e9)


# --------------------------------------------------------------------------
# Little's law and validation
# --------------------------------------------------------------------------


def test_littles_law_round_trip() -> None:
    assert littles_law_length(2.5, 4.0) == pytest.approx(10.0)
    assert littles_law_time(10.0, 2.5) == pytest.approx(4.0)
    for lam, w in ((0.1, 3.0), (7.0, 0.25), (1e3, 1e-3)):
        assert littles_law_time(littles_law_length(lam, w), lam) == pytest.approx(w)


def test_result_types() -> None:
    assert isinstance(erlang_c(1.0, 1.0, 2), ErlangC)
    assert isinstance(erlang_a(1.0, 1.0, 2, 1.0), ErlangA)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: offered_load(0.0, 1.0), "arrival_rate"),
        (lambda: offered_load(1.0, -1.0), "mean_service_time"),
        (lambda: offered_load(math.nan, 1.0), "arrival_rate"),
        (lambda: erlang_b(0, 1.0), "servers"),
        (lambda: erlang_b(2.5, 1.0), "servers"),  # type: ignore[arg-type]
        (lambda: erlang_b(3, -1.0), "offered_load"),
        (lambda: erlang_b(3, math.inf), "offered_load"),
        (lambda: erlang_c_wait_probability(-1, 0.5), "servers"),
        (lambda: erlang_c(-1.0, 1.0, 2), "arrival_rate"),
        (lambda: erlang_c(1.0, 0.0, 2), "mean_service_time"),
        (lambda: erlang_c(1.0, 1.0, 0), "servers"),
        (lambda: erlang_c(1.0, 1.0, 2).service_level(-1.0), "target"),
        (lambda: erlang_c(1.0, 1.0, 2).wait_quantile(1.5), "q"),
        (lambda: erlang_a(0.0, 1.0, 2, 1.0), "arrival_rate"),
        (lambda: erlang_a(1.0, math.inf, 2, 1.0), "mean_service_time"),
        (lambda: erlang_a(1.0, 1.0, 0, 1.0), "servers"),
        (lambda: erlang_a(1.0, 1.0, 2, 0.0), "mean_patience"),
        (lambda: erlang_a(1.0, 1.0, 2, math.nan), "mean_patience"),
        (lambda: erlang_a(1.0, 1.0, 2, 1.0).service_level(math.nan), "target"),
        (lambda: littles_law_length(0.0, 1.0), "arrival_rate"),
        (lambda: littles_law_length(1.0, -1.0), "mean_time_in_system"),
        (lambda: littles_law_time(-1.0, 1.0), "mean_number_in_system"),
        (lambda: littles_law_time(1.0, 0.0), "arrival_rate"),
    ],
)
def test_invalid_inputs_raise(call: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()
