"""The resolved scenario: a type of its own, resolved once, and overrides that re-derive presets.

A scenario file is read as written (:class:`servsim.Scenario`); :func:`resolve_scenario` fills
what the contact level decides into a :class:`ResolvedScenario`, the only type the model takes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pydantic import BaseModel

import servsim
from servsim.distributions import Lognormal, ResolvedLognormal
from servsim.io import scenario_yaml
from servsim.model import simulate_replication
from servsim.scenario import (
    CONTACT_PRESETS,
    DEFAULT_DELAY_CV,
    ResolvedScenario,
    ResolvedTouchpoint,
    resolve_scenario,
)

ROOT = Path(__file__).parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
    (ROOT / "scenarios" / "archetypes").glob("*.yaml")
)
MEDIUM = ROOT / "scenarios" / "bank_account_medium.yaml"
SHORT = {"horizon.days": 2, "horizon.warm_up": 0}

BASE: dict[str, Any] = {
    "name": "desk",
    "contact_level": "medium",
    "horizon": {"days": 1},
    "segments": [{"name": "walk_in"}],
    "arrivals": {"per_hour": 20},
    "staff": {"front": [{"name": "agents", "headcount": 2}]},
    "service_cycle": [
        {
            "name": "call",
            "served_by": "agents",
            "service_time": {"kind": "exponential", "mean": 300},
        }
    ],
}


def written(**changes: Any) -> servsim.Scenario:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return servsim.validate_scenario(data)


def distributions(node: Any) -> Iterator[Any]:
    """Every distribution object anywhere in a model (service times, patience, delays)."""
    if isinstance(node, Lognormal) or hasattr(node, "kind"):
        yield node
    elif isinstance(node, list | tuple):
        for item in node:
            yield from distributions(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from distributions(item)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from distributions(getattr(node, name))


# --------------------------------------------------------------------------- the type


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_resolved_scenario_leaves_nothing_to_guess(path: Path) -> None:
    scenario = servsim.load_scenario(path)
    assert not isinstance(scenario, ResolvedScenario)  # a file is read as written
    resolved = resolve_scenario(scenario)
    assert isinstance(resolved, ResolvedScenario)
    names = [tp.name for tp in resolved.service_cycle]
    for tp in resolved.service_cycle:
        assert isinstance(tp, ResolvedTouchpoint)
        for value in (tp.customer_present, tp.moment_of_truth, tp.first_response):
            assert isinstance(value, bool)
        assert tp.unresolved in ("next", "recontact")
        assert tp.recontact_from in names
        if isinstance(tp.resolution, dict):
            assert set(tp.resolution) == set(resolved.request_types)
    assert isinstance(resolved.status_inquiry.enabled, bool)
    assert resolved.variability.contact_ratio is not None
    found = list(distributions(resolved))
    assert found  # service times at least
    for spec in found:
        if isinstance(spec, Lognormal):
            assert isinstance(spec, ResolvedLognormal) and spec.cv > 0


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_saved_resolved_scenario_loads_and_resolves_to_itself(
    path: Path, tmp_path: Path
) -> None:
    resolved = resolve_scenario(servsim.load_scenario(path))
    saved = tmp_path / "scenario.resolved.yaml"
    saved.write_text(scenario_yaml(resolved), encoding="utf-8")
    again = resolve_scenario(servsim.load_scenario(saved))
    assert again == resolved
    # and its own values are all written out: loading does not add any
    loaded = servsim.load_scenario(saved)
    assert loaded.model_dump(mode="json", exclude_none=True) == yaml.safe_load(
        saved.read_text(encoding="utf-8")
    )


def test_resolving_twice_is_resolving_once() -> None:
    resolved = resolve_scenario(servsim.load_scenario(MEDIUM))
    assert resolve_scenario(resolved) is resolved
    # what a worker receives: the JSON of the resolved scenario, run as it is
    assert ResolvedScenario.model_validate_json(resolved.model_dump_json()) == resolved


def test_a_run_resolves_once_and_saves_the_resolved_scenario() -> None:
    scenario = servsim.load_scenario(MEDIUM).with_overrides(SHORT)
    from_written = servsim.simulate(scenario, replications=2, seed=3)
    from_resolved = servsim.simulate(resolve_scenario(scenario), replications=2, seed=3)
    pd.testing.assert_frame_equal(from_written.summary, from_resolved.summary)
    assert isinstance(from_written.scenario, ResolvedScenario)
    assert from_written.scenario.seed == 3 and from_written.scenario.replications == 2
    assert from_written.scenario == resolve_scenario(
        scenario.with_overrides({"seed": 3, "replications": 2})
    )


# --------------------------------------------------------------------------- overrides


def edited_on_disk(tmp_path: Path, level: str) -> servsim.Scenario:
    text = MEDIUM.read_text(encoding="utf-8")
    assert text.count("contact_level: medium\n") == 1
    path = tmp_path / "bank_account_medium.yaml"
    path.write_text(text.replace("contact_level: medium\n", f"contact_level: {level}\n"))
    return servsim.load_scenario(path)


@pytest.mark.parametrize("level", ["high", "low"])
def test_overriding_the_contact_level_is_writing_it_in_the_file(level: str, tmp_path: Path) -> None:
    medium = servsim.load_scenario(MEDIUM)
    overridden = medium.with_overrides({"contact_level": level, **SHORT})
    on_disk = edited_on_disk(tmp_path, level).with_overrides(SHORT)
    assert resolve_scenario(overridden) == resolve_scenario(on_disk)
    # the presets were derived again: compliance (back office) is lived in person only at high
    check = {tp.name: tp for tp in resolve_scenario(overridden).service_cycle}["document_check"]
    assert check.customer_present is (level == "high")
    assert resolve_scenario(overridden).status_inquiry.enabled is (level == "low")
    assert resolve_scenario(overridden).variability.contact_ratio == pytest.approx(
        CONTACT_PRESETS[level].contact_ratio
    )
    a = servsim.simulate(overridden, replications=2, seed=7).summary
    b = servsim.simulate(on_disk, replications=2, seed=7).summary
    pd.testing.assert_frame_equal(a, b)
    same = servsim.simulate(medium.with_overrides(SHORT), replications=2, seed=7).summary
    cost = "cost_per_resolved_issue"
    assert a.loc[cost, "mean"] != same.loc[cost, "mean"]  # the override changed the system


def test_a_resolved_scenario_overrides_the_scenario_it_was_resolved_from() -> None:
    medium = servsim.load_scenario(MEDIUM)
    resolved = resolve_scenario(medium)
    high = resolved.with_overrides({"contact_level": "high"})
    assert isinstance(high, ResolvedScenario)
    assert high == resolve_scenario(medium.with_overrides({"contact_level": "high"}))
    assert high != resolved
    # a result's scenario too: what `servsim run` saved, overridden like the file
    result = servsim.simulate(medium.with_overrides(SHORT), replications=1, seed=1)
    again = result.scenario.with_overrides({"contact_level": "high"})
    assert all(tp.customer_present for tp in again.service_cycle)


def test_overriding_the_variability_re_derives_the_service_time_cv() -> None:
    # at medium contact the customer is on the call: CV = base_cv + per_contact * 0.4
    scenario = written(
        service_cycle=[{"name": "call", "served_by": "agents", "service_time": {"mean": 300}}]
    )
    assert resolve_scenario(scenario).service_cycle[0].service_time.cv == pytest.approx(0.66)  # type: ignore[union-attr]
    changed = scenario.with_overrides(
        {"variability.base_cv": 0.5, "variability.contact_ratio": 1.0}
    )
    assert resolve_scenario(changed).service_cycle[0].service_time.cv == pytest.approx(1.4)  # type: ignore[union-attr]


def test_overriding_the_cycle_re_derives_presence_and_outcomes() -> None:
    scenario = written(
        contact_level="low",
        staff={
            "front": [{"name": "agents", "headcount": 2}],
            "back": [{"name": "office", "headcount": 1}],
        },
        service_cycle=[
            {"name": "call", "served_by": "agents", "service_time": {"mean": 300}},
            {"name": "file", "served_by": "office", "service_time": {"mean": 300}},
            {"name": "reply", "served_by": "agents", "service_time": {"mean": 60}},
        ],
    )
    before = resolve_scenario(scenario)
    assert [tp.customer_present for tp in before.service_cycle] == [True, False, True]
    assert [tp.resolution for tp in before.service_cycle] == [0.0, 0.0, 1.0]
    # drop the last touchpoint: "file" is now last, so the customer is there and it resolves
    shorter = scenario.with_overrides(
        {"service_cycle": scenario.model_dump(mode="json", exclude_none=True)["service_cycle"][:2]}
    )
    after = resolve_scenario(shorter)
    assert [tp.customer_present for tp in after.service_cycle] == [True, True]
    assert [tp.resolution for tp in after.service_cycle] == [0.0, 1.0]
    assert [tp.unresolved for tp in after.service_cycle] == ["next", "recontact"]
    # status inquiries follow the written switch, else the contact level
    assert before.status_inquiry.enabled is True
    off = scenario.with_overrides({"status_inquiry.enabled": False})
    assert resolve_scenario(off).status_inquiry.enabled is False


# --------------------------------------------------------------------------- delays' shapes


@pytest.mark.parametrize(
    "segment",
    [
        {"name": "walk_in", "patience": {"mean": "2min"}},
        {
            "name": "walk_in",
            "patience": {"mean": "2min"},
            "retry": {"probability": 0.5, "delay": {"mean": "10min"}},
        },
        {"name": "walk_in", "recontact": {"probability": 0.9, "delay": {"mean": "1h"}}},
    ],
    ids=["patience", "retry", "recontact"],
)
def test_a_lognormal_delay_without_cv_takes_the_default_and_runs(segment: dict[str, Any]) -> None:
    scenario = written(segments=[segment])
    resolved = resolve_scenario(scenario)
    seg = resolved.segments[0]
    shapes = [seg.patience, seg.retry.delay, seg.recontact.delay]
    for spec in shapes:
        if isinstance(spec, Lognormal):
            assert isinstance(spec, ResolvedLognormal)
    # the same as writing the default CV out: identical records under one seed
    explicit = copy.deepcopy(segment)
    for key in ("patience", "retry", "recontact"):
        if key in explicit:
            target = explicit[key] if key == "patience" else explicit[key]["delay"]
            target["cv"] = DEFAULT_DELAY_CV
    spelled_out = resolve_scenario(written(segments=[explicit]))
    assert spelled_out == resolved
    tables = simulate_replication(resolved, seed=4, replication=0)
    assert len(tables.customers) > 100


def test_patience_without_cv_makes_customers_abandon() -> None:
    """`patience: {mean: 2min}` runs (it once failed with 'lognormal cv not resolved')."""
    scenario = written(
        segments=[{"name": "walk_in", "patience": {"mean": "2min"}}],
        arrivals={"per_hour": 30},  # about 1.25 x the two agents' capacity
    )
    result = servsim.simulate(scenario, replications=1, seed=2)
    assert result.metric("abandonment")["mean"] > 0.05
