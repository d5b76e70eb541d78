"""Tests for the inverse Erlang staffing in servsim.theory: targets as planners write them.

The minimum staffing is checked three ways that do not share code with the bisection: against
published worked examples, against an exact rational Erlang C written out here from the
textbook formula, and (by hypothesis) against the forward functions, read directly rather than
through StaffingTarget.is_met: the count found meets every target and one agent fewer misses
at least one.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servsim.theory import (
    TARGET_HELP,
    StaffingTarget,
    agents_to_schedule,
    erlang_a,
    erlang_c,
    parse_target,
    servers_for_abandonment,
    servers_for_asa,
    servers_for_occupancy,
    servers_for_service_level,
    servers_for_targets,
    servers_for_varying_load,
)

# --------------------------------------------------------------------------
# Independent references
# --------------------------------------------------------------------------


def exact_wait_probability(servers: int, load: Fraction) -> Fraction:
    """Textbook Erlang C in exact rationals: (a^N/N! N/(N-a)) / (sum_k<N a^k/k! + same)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    below = sum(load**k / math.factorial(k) for k in range(servers))
    return top / (below + top)


def exact_service_level(servers: int, load: Fraction, handle: float, answer_time: float) -> float:
    """P(Wq <= t) = 1 - C exp(-(N - a) t / AHT), the only non-rational step being exp."""
    p_wait = exact_wait_probability(servers, load)
    return 1.0 - float(p_wait) * math.exp(-float(servers - load) * answer_time / handle)


def exact_fewest_for_service_level(
    load: Fraction, handle: float, answer_time: float, goal: float
) -> int:
    """Walk up from the smallest stable count, one agent at a time (no bisection)."""
    servers = math.floor(load) + 1
    while exact_service_level(servers, load, handle, answer_time) < goal:
        servers += 1
    return servers


def measures(rate: float, handle: float, patience: float, servers: int) -> dict[str, float] | None:
    """ASA, abandonment and occupancy from the forward functions; None if Erlang C is unstable."""
    if math.isinf(patience):
        if servers <= rate * handle:
            return None
        c = erlang_c(rate, handle, servers)
        return {"asa": c.mean_wait, "abandonment": 0.0, "occupancy": c.occupancy}
    a = erlang_a(rate, handle, servers, patience)
    return {
        "asa": a.mean_wait_served,
        "abandonment": a.abandon_probability,
        "occupancy": a.occupancy,
    }


def meets_all(
    rate: float, handle: float, patience: float, servers: int, targets: list[StaffingTarget]
) -> bool:
    if servers < 1:
        return False
    values = measures(rate, handle, patience, servers)
    if values is None:
        return False  # no steady state: the queue grows without bound
    for target in targets:
        if target.kind == "service_level":
            assert target.answer_time is not None
            level = erlang_a(rate, handle, servers, patience).service_level(target.answer_time)
            if level < target.bound:
                return False
        elif values[target.kind] > target.bound:
            return False
    return True


# --------------------------------------------------------------------------
# Published worked examples
# --------------------------------------------------------------------------


def test_call_centre_helper_worked_example_100_calls_in_30_minutes() -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
    # (callcentrehelper.com), reproduced with the same numbers in the pyworkforce 0.5.2
    # tutorial "Solving Queue Problems with ErlangC" and the README of the CRAN package ErlangC
    # 0.1.0: 100 calls per 30 minutes, AHT 180 s (10 Erlangs), 80% answered within 20 s,
    # occupancy at most 85%, shrinkage 30% -> 14 agents on the floor, 20 to schedule, with
    # P(wait) 0.1741319, service level 0.88835, ASA 7.835937 s and occupancy 0.7142857; at
    # 11 agents P(wait) is 0.6821182.
    rate, handle = 100 / 1800, 180.0
    fourteen = erlang_c(rate, handle, 14)
    assert fourteen.wait_probability == pytest.approx(0.1741319, abs=5e-8)
    assert fourteen.service_level(20.0) == pytest.approx(0.88835, abs=5e-6)
    assert fourteen.mean_wait == pytest.approx(7.83593701177724, rel=1e-9)
    assert fourteen.occupancy == pytest.approx(0.7142857, abs=5e-8)
    assert erlang_c(rate, handle, 11).wait_probability == pytest.approx(0.6821182, abs=5e-8)

    # The same numbers from the exact rational formula, computed here by hand.
    assert float(exact_wait_probability(14, Fraction(10))) == pytest.approx(
        fourteen.wait_probability, rel=1e-12
    )
    assert exact_fewest_for_service_level(Fraction(10), handle, 20.0, 0.8) == 14

    targets = ["service_level>=80%@20s", "occupancy<=85%"]
    assert servers_for_targets(rate, handle, targets) == 14
    assert servers_for_targets(rate, handle, targets, shrinkage=0.3) == 20
    assert agents_to_schedule(14, 0.3) == 20
    # 13 agents reach only 79.6%: the answer is tight.
    assert erlang_c(rate, handle, 13).service_level(20.0) < 0.8


def test_hubers_erlang_vignette_200_calls_in_30_minutes_80_within_60() -> None:
    # Patrick Hubers, R package Erlang, vignette "Erlang: Queuing and Staffing Functions for
    # Contact Centers": 200 calls per half hour, AHT 180 s (20 Erlangs), 80% within 60 s ->
    # "we need 23 agents to hit our service level target", occupancy 20/23 or 87%.
    rate, handle = 200 / 1800, 180.0
    assert servers_for_service_level(rate, handle, 60.0, 0.8) == 23
    assert servers_for_targets(rate, handle, "service_level>=0.8@1min") == 23
    assert exact_fewest_for_service_level(Fraction(20), handle, 60.0, 0.8) == 23
    assert erlang_c(rate, handle, 23).occupancy == pytest.approx(0.87, abs=0.005)


def test_classic_360_calls_an_hour_at_240_seconds_needs_29_for_80_20() -> None:
    # 360 calls/h (0.1 per second) at AHT 240 s is 24 Erlangs. The brief guessed 30 agents for
    # 80/20; the exact formula says 29 (28 agents answer 76.1% within 20 s, 29 answer 84.0%).
    load = Fraction(24)
    assert (
        exact_service_level(28, load, 240.0, 20.0)
        < 0.8
        <= exact_service_level(29, load, 240.0, 20.0)
    )
    assert servers_for_targets(0.1, 240.0, "service_level>=80%@20s") == 29


def test_single_agent_closed_forms() -> None:
    # M/M/1 by hand: P(wait) = rho, ASA = rho E[S] / (1 - rho). At rho = 1/2 and E[S] = 100
    # one agent gives ASA 100 and occupancy 1/2; two agents give ASA 100/15 (C = 1/5).
    rate, handle = 0.005, 100.0
    assert servers_for_asa(rate, handle, 100.5) == 1
    assert servers_for_asa(rate, handle, 99.5) == 2
    assert servers_for_asa(rate, handle, 100 / 15 + 0.01) == 2
    assert servers_for_asa(rate, handle, 100 / 15 - 0.01) == 3
    assert servers_for_occupancy(rate, handle, 0.5) == 1
    assert servers_for_occupancy(rate, handle, 0.49) == 2


def test_occupancy_under_erlang_c_is_load_over_agents() -> None:
    # 10 Erlangs: 85% needs ceil(10 / 0.85) = 12; a loose 100% still needs a stable queue (11).
    rate, handle = 100 / 1800, 180.0
    assert servers_for_occupancy(rate, handle, 0.85) == 12
    assert servers_for_occupancy(rate, handle, 1.0) == 11
    assert servers_for_occupancy(rate, handle, 0.5) == 20


def test_erlang_a_occupancy_counts_only_served_work() -> None:
    # Overloaded and impatient: half the callers give up, so agents are less busy than a / n
    # and fewer are needed for the same ceiling than Erlang C's load / n would say.
    rate, handle, patience = 100 / 1800, 180.0, 30.0
    n = servers_for_occupancy(rate, handle, 0.9, patience)
    served = erlang_a(rate, handle, n, patience)
    assert served.occupancy <= 0.9
    assert served.occupancy == pytest.approx((1 - served.abandon_probability) * 10 / n)
    assert n < math.ceil(10 / 0.9)


def test_abandonment_needs_patience_to_bind() -> None:
    rate, handle = 100 / 1800, 180.0
    n = servers_for_abandonment(rate, handle, 0.05, 300.0)
    assert erlang_a(rate, handle, n, 300.0).abandon_probability <= 0.05
    assert erlang_a(rate, handle, n - 1, 300.0).abandon_probability > 0.05
    # Nobody abandons in Erlang C: only stability binds.
    assert servers_for_abandonment(rate, handle, 0.05) == 11


# --------------------------------------------------------------------------
# Properties: the fewest agents, every target at once
# --------------------------------------------------------------------------

RATES = st.floats(1.0, 400.0)  # calls per hour
HANDLES = st.floats(10.0, 600.0)  # seconds; loads up to ~67 Erlangs keep the file fast
PATIENCES = st.one_of(st.just(math.inf), st.floats(20.0, 1800.0))

SERVICE_LEVELS = st.builds(
    StaffingTarget, st.just("service_level"), st.floats(0.05, 0.98), st.floats(0.0, 120.0)
)
ASAS = st.builds(StaffingTarget, st.just("asa"), st.floats(0.5, 300.0))
ABANDONMENTS = st.builds(StaffingTarget, st.just("abandonment"), st.floats(0.005, 0.5))
OCCUPANCIES = st.builds(StaffingTarget, st.just("occupancy"), st.floats(0.3, 0.99))
TARGETS = st.one_of(SERVICE_LEVELS, ASAS, ABANDONMENTS, OCCUPANCIES)


@settings(max_examples=60, deadline=None)
@given(
    rate=RATES,
    handle=HANDLES,
    patience=PATIENCES,
    targets=st.lists(TARGETS, min_size=1, max_size=4),
)
def test_the_count_meets_every_target_and_one_fewer_misses_one(
    rate: float, handle: float, patience: float, targets: list[StaffingTarget]
) -> None:
    lam = rate / 3600
    n = servers_for_targets(lam, handle, targets, patience)
    assert meets_all(lam, handle, patience, n, targets)
    assert not meets_all(lam, handle, patience, n - 1, targets)
    # The joint answer is the largest single-target answer.
    alone = [servers_for_targets(lam, handle, [t], patience) for t in targets]
    assert n == max(alone)


@settings(max_examples=40, deadline=None)
@given(
    rate=RATES,
    handle=HANDLES,
    patience=PATIENCES,
    target=TARGETS,
    tighten=st.floats(0.05, 0.95),
)
def test_a_stricter_target_never_needs_fewer_agents(
    rate: float, handle: float, patience: float, target: StaffingTarget, tighten: float
) -> None:
    if target.kind == "service_level":
        assert target.answer_time is not None
        goal = target.bound + (1 - target.bound) * tighten * 0.9
        stricter = [
            StaffingTarget("service_level", goal, target.answer_time),
            StaffingTarget("service_level", target.bound, target.answer_time * tighten),
        ]
    else:
        stricter = [StaffingTarget(target.kind, target.bound * tighten)]
    lam = rate / 3600
    loose = servers_for_targets(lam, handle, target, patience)
    for strict in stricter:
        assert servers_for_targets(lam, handle, strict, patience) >= loose


@settings(max_examples=40, deadline=None)
@given(
    rate=RATES,
    more=st.floats(1.0, 3.0),
    handle=HANDLES,
    patience=PATIENCES,
    targets=st.lists(TARGETS, min_size=1, max_size=3),
)
def test_more_load_never_needs_fewer_agents(
    rate: float, more: float, handle: float, patience: float, targets: list[StaffingTarget]
) -> None:
    light = servers_for_targets(rate / 3600, handle, targets, patience)
    heavy = servers_for_targets(rate * more / 3600, handle, targets, patience)
    longer = servers_for_targets(rate / 3600, handle * more, targets, patience)
    assert heavy >= light
    assert longer >= light


@settings(max_examples=25, deadline=None)
@given(rate=RATES, handle=HANDLES, bound=st.floats(0.3, 0.99))
def test_erlang_c_occupancy_matches_a_plain_walk(rate: float, handle: float, bound: float) -> None:
    lam = rate / 3600
    load = lam * handle
    n = math.floor(load) + 1
    while load / n > bound:
        n += 1
    assert servers_for_occupancy(lam, handle, bound) == n


# --------------------------------------------------------------------------
# Zero arrivals, unreachable targets, bad arguments
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["service_level>=80%@20s", "asa<=30s", "abandonment<=5%", "occupancy<=85%"]
)
@pytest.mark.parametrize("patience", [math.inf, 120.0])
def test_an_interval_without_calls_needs_no_agents(target: str, patience: float) -> None:
    assert servers_for_targets(0.0, 180.0, target, patience) == 0
    assert servers_for_targets(0.0, 180.0, target, patience, shrinkage=0.3) == 0


def test_zero_arrivals_in_every_single_target_inverse() -> None:
    assert servers_for_service_level(0.0, 180.0, 20.0, 0.8) == 0
    assert servers_for_asa(0.0, 180.0, 30.0) == 0
    assert servers_for_abandonment(0.0, 180.0, 0.05, 60.0) == 0
    assert servers_for_occupancy(0.0, 180.0, 0.85) == 0


def test_zero_arrivals_still_check_the_other_arguments() -> None:
    with pytest.raises(ValueError, match="mean_service_time"):
        servers_for_targets(0.0, 0.0, "asa<=30s")
    with pytest.raises(ValueError, match="cannot read staffing target"):
        servers_for_targets(0.0, 180.0, "asa<=30")
    with pytest.raises(ValueError, match="shrinkage"):
        servers_for_targets(0.0, 180.0, "asa<=30s", shrinkage=1.0)


@pytest.mark.parametrize("rate", [-0.1, math.nan, math.inf])
def test_bad_arrival_rates_are_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="arrival_rate"):
        servers_for_targets(rate, 180.0, "asa<=30s")


@pytest.mark.parametrize(
    ("kind", "bound", "answer_time", "message"),
    [
        ("asa", 0.0, None, "infinitely many agents"),
        ("asa", math.inf, None, "finite time"),
        ("abandonment", 0.0, None, "always give up"),
        ("occupancy", 0.0, None, "busy some of the time"),
        ("occupancy", 1.2, None, "at most 1"),
        ("service_level", 1.0, 20.0, "cannot be promised"),
        ("service_level", 0.0, 20.0, "strictly between 0 and 1"),
        ("service_level", 0.8, None, "needs an answer_time"),
        ("service_level", 0.8, -1.0, "answer_time"),
        ("service_level", 0.8, math.inf, "answer_time"),
        ("asa", 30.0, 20.0, "only a service_level target"),
        ("wait", 30.0, None, "kind must be one of"),
    ],
)
def test_unreachable_or_malformed_targets_are_refused(
    kind: str, bound: float, answer_time: float | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        StaffingTarget(kind, bound, answer_time)  # type: ignore[arg-type]


def test_more_agents_than_the_cap_is_an_error() -> None:
    # 95% within 5 s at 10 Erlangs needs 16 agents.
    with pytest.raises(ValueError, match=r"more than 15 agents would be needed for service_level"):
        servers_for_targets(100 / 1800, 180.0, "service_level>=0.95@5s", max_servers=15)
    assert servers_for_targets(100 / 1800, 180.0, "service_level>=0.95@5s", max_servers=16) == 16
    with pytest.raises(ValueError, match="more than 5 agents"):  # the load alone needs 11
        servers_for_targets(100 / 1800, 180.0, "occupancy<=1", max_servers=5)
    # Exactly at the cap is fine.
    assert servers_for_targets(100 / 1800, 180.0, "occupancy<=0.5", max_servers=20) == 20
    with pytest.raises(ValueError, match="max_servers"):
        servers_for_targets(100 / 1800, 180.0, "occupancy<=0.5", max_servers=0)


def test_targets_may_be_one_string_one_target_or_a_list() -> None:
    rate, handle = 100 / 1800, 180.0
    one = StaffingTarget("service_level", 0.8, 20.0)
    assert servers_for_targets(rate, handle, one) == 14
    assert servers_for_targets(rate, handle, "service_level>=0.8@20s") == 14
    assert servers_for_targets(rate, handle, (one, parse_target("asa<=30s"))) == 14
    with pytest.raises(ValueError, match="at least one"):
        servers_for_targets(rate, handle, [])


# --------------------------------------------------------------------------
# Shrinkage
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_floor", "shrinkage", "scheduled"),
    [(14, 0.3, 20), (9, 0.1, 10), (7, 0.3, 10), (8, 0.3, 12), (0, 0.5, 0), (13, 0.0, 13)],
)
def test_shrinkage_examples(on_floor: int, shrinkage: float, scheduled: int) -> None:
    assert agents_to_schedule(on_floor, shrinkage) == scheduled


@given(on_floor=st.integers(0, 100_000), thousandths=st.integers(0, 999))
def test_scheduled_is_the_ceiling_of_floor_over_one_minus_shrinkage(
    on_floor: int, thousandths: int
) -> None:
    available = 1 - Fraction(thousandths, 1000)
    scheduled = agents_to_schedule(on_floor, thousandths / 1000)
    assert scheduled == math.ceil(on_floor / available)  # exact: Fraction arithmetic
    assert scheduled * available >= on_floor > (scheduled - 1) * available


@pytest.mark.parametrize("shrinkage", [1.0, -0.01, math.nan, 1.5])
def test_shrinkage_outside_zero_to_one_is_refused(shrinkage: float) -> None:
    with pytest.raises(ValueError, match=r"shrinkage must be a share of paid time in \[0, 1\)"):
        agents_to_schedule(10, shrinkage)


@pytest.mark.parametrize("on_floor", [-1, 2.5, True])
def test_on_floor_must_be_a_count(on_floor: int) -> None:
    with pytest.raises(ValueError, match="on_floor"):
        agents_to_schedule(on_floor, 0.3)


def test_servers_for_targets_grosses_up_with_the_same_rule() -> None:
    rate, handle = 360 / 3600, 240.0
    floor = servers_for_targets(rate, handle, "asa<=15s")
    assert servers_for_targets(rate, handle, "asa<=15s", shrinkage=0.35) == agents_to_schedule(
        floor, 0.35
    )


# --------------------------------------------------------------------------
# parse_target
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("service_level>=0.8@20s", StaffingTarget("service_level", 0.8, 20.0)),
        ("service_level>=80%@20s", StaffingTarget("service_level", 0.8, 20.0)),
        ("service_level >= 80 % @ 20 s", StaffingTarget("service_level", 0.8, 20.0)),
        ("SERVICE_LEVEL>=90%@1min", StaffingTarget("service_level", 0.9, 60.0)),
        ("service_level>=0.5@0s", StaffingTarget("service_level", 0.5, 0.0)),
        ("service_level>=95%@0.5h", StaffingTarget("service_level", 0.95, 1800.0)),
        ("asa<=30s", StaffingTarget("asa", 30.0)),
        ("asa<=2min", StaffingTarget("asa", 120.0)),
        ("asa<=1.5min", StaffingTarget("asa", 90.0)),
        ("asa<=1h", StaffingTarget("asa", 3600.0)),
        ("abandonment<=0.05", StaffingTarget("abandonment", 0.05)),
        ("abandonment<=5%", StaffingTarget("abandonment", 0.05)),
        ("occupancy<=0.85", StaffingTarget("occupancy", 0.85)),
        ("occupancy<=85%", StaffingTarget("occupancy", 0.85)),
        ("  occupancy<=.85  ", StaffingTarget("occupancy", 0.85)),
    ],
)
def test_accepted_spellings(text: str, expected: StaffingTarget) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("service_level>=80%@20s", "service_level>=0.8@20s"),
        ("asa<=0.5min", "asa<=30s"),
        ("abandonment<=5%", "abandonment<=0.05"),
        ("occupancy<=85%", "occupancy<=0.85"),
    ],
)
def test_str_is_the_canonical_text(text: str, canonical: str) -> None:
    assert str(parse_target(text)) == canonical


@given(target=TARGETS)
def test_str_reads_back_to_an_equal_target(target: StaffingTarget) -> None:
    assert parse_target(str(target)) == target


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("asa>=30s", "asa is bounded with <=, so write asa<="),
        ("service_level<=80%@20s", "service_level is bounded with >="),
        ("occupancy>0.85", "occupancy is bounded with <="),
        ("service_level=>0.8@20s", "bounded with >="),
        ("servce_level>=0.8@20s", "did you mean 'service_level'"),
        ("abandonmnet<=5%", "did you mean 'abandonment'"),
        ("wait<=30s", "unknown measure 'wait'"),
        ("asa<=30", "a time needs a unit s, min or h, got no unit"),
        ("asa<=30sec", "got unit 'sec'"),
        ("asa<=30%", "got unit '%'"),
        ("service_level>=0.8@20", "a time needs a unit"),
        ("service_level>=0.8", "needs an answer time"),
        ("occupancy<=0.85@20s", "only service_level takes an answer time"),
        ("service_level>=80@20s", "for a percentage write 80%"),
        ("occupancy<=85", "for a percentage write 85%"),
        ("abandonment<=0", "always give up"),
        ("abandonment<=0.05s", "a share such as 0.8 or 80%"),
        ("asa<=0s", "infinitely many agents"),
        ("service_level>=100%@20s", "cannot be promised"),
        ("asa<=-5s", "expected a measure, then >= or <=, then a value"),
        ("", "expected a measure"),
        ("80/20", "expected a measure"),
        ("asa<=1e999s", "finite time"),
    ],
)
def test_typos_get_a_message_that_says_what_is_allowed(text: str, hint: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_target(text)
    message = str(caught.value)
    assert hint in message
    assert repr(text) in message
    assert message.endswith(TARGET_HELP)


def test_a_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_target(0.8)  # type: ignore[arg-type]


TARGETISH = st.text(
    alphabet=st.sampled_from(list("service_lvasbdonmtcupyASL<>=!@%.0123456789eE+- hin\t")),
    max_size=30,
)


@settings(max_examples=300)
@given(text=st.one_of(st.text(max_size=40), TARGETISH))
def test_any_string_parses_or_raises_value_error(text: str) -> None:
    try:
        target = parse_target(text)
    except ValueError as error:
        assert TARGET_HELP in str(error)
    else:
        assert isinstance(target, StaffingTarget)
        assert parse_target(str(target)) == target


# --------------------------------------------------------------------------
# One headcount through sub-intervals of changing load
# --------------------------------------------------------------------------


def interval_measure(
    target: StaffingTarget, rates: list[float], handle: float, patience: float, servers: int
) -> float:
    """What a half hour reports when its steps run at these rates: written out per measure."""
    queues = [erlang_a(r, handle, servers, patience) for r in rates]
    if target.kind == "occupancy":
        return sum(q.occupancy for q in queues) / len(rates)
    if target.kind == "asa":
        answered = [r * (1 - q.abandon_probability) for r, q in zip(rates, queues, strict=True)]
        waits = [q.mean_wait_served for q in queues]
        return sum(a * w for a, w in zip(answered, waits, strict=True)) / sum(answered)
    if target.kind == "abandonment":
        values = [q.abandon_probability for q in queues]
    else:
        assert target.answer_time is not None
        values = [q.service_level(target.answer_time) for q in queues]
    return sum(r * v for r, v in zip(rates, values, strict=True)) / sum(rates)


def interval_meets(
    targets: list[StaffingTarget], rates: list[float], handle: float, patience: float, n: int
) -> bool:
    if n < 1 or (math.isinf(patience) and n <= max(rates) * handle):
        return False
    for target in targets:
        value = interval_measure(target, rates, handle, patience, n)
        if value < target.bound if target.kind == "service_level" else value > target.bound:
            return False
    return True


@settings(max_examples=40, deadline=None)
@given(rate=RATES, handle=HANDLES, patience=PATIENCES, targets=st.lists(TARGETS, max_size=3))
def test_one_step_is_the_stationary_staffing(
    rate: float, handle: float, patience: float, targets: list[StaffingTarget]
) -> None:
    wanted = targets or [StaffingTarget("service_level", 0.8, 20.0)]
    lam = rate / 3600
    assert servers_for_varying_load([lam], handle, wanted, patience) == servers_for_targets(
        lam, handle, wanted, patience
    )


@settings(max_examples=40, deadline=None)
@given(
    rate=RATES,
    rise=st.lists(st.floats(0.6, 1.6), min_size=2, max_size=6),
    handle=HANDLES,
    patience=PATIENCES,
    targets=st.lists(TARGETS, min_size=1, max_size=3),
)
def test_a_varying_load_is_staffed_for_the_interval_as_it_reports(
    rate: float,
    rise: list[float],
    handle: float,
    patience: float,
    targets: list[StaffingTarget],
) -> None:
    """The count meets the interval's measures (steps weighted by their calls), one fewer
    misses, and it lies between the stationary counts of the lightest and heaviest step."""
    rates = [rate * r / 3600 for r in rise]
    n = servers_for_varying_load(rates, handle, targets, patience)
    assert interval_meets(targets, rates, handle, patience, n)
    assert not interval_meets(targets, rates, handle, patience, n - 1)
    light = servers_for_targets(min(rates), handle, targets, patience)
    heavy = servers_for_targets(max(rates), handle, targets, patience)
    assert light <= n <= heavy


def test_a_rising_half_hour_needs_more_than_its_mean_load() -> None:
    """50 -> 60 erlangs over three 10-min steps: P(wait) <= 0.2 for the half hour's callers
    needs more agents than the stationary answer at the mean load of 55, and fewer than at 60."""
    handle, patience = 360.0, 600.0
    rates = [load / handle for load in (50.0, 55.0, 60.0)]
    target = "service_level>=0.8@0s"
    mean = servers_for_targets(55.0 / handle, handle, target, patience)
    peak = servers_for_targets(60.0 / handle, handle, target, patience)
    n = servers_for_varying_load(rates, handle, target, patience)
    assert mean < n < peak
    # weighting the late, busier step by more callers (arrivals lead the load) asks for more
    assert servers_for_varying_load(rates, handle, target, patience, arrivals=[1, 1, 3]) >= n
    assert servers_for_varying_load([0.0, 0.0], handle, target, patience) == 0
    with pytest.raises(ValueError, match="arrival weights"):
        servers_for_varying_load(rates, handle, target, patience, arrivals=[1.0])
