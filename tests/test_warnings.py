"""Warnings a planner reads: typed per replication, one line per kind and pool per run."""

from __future__ import annotations

from pathlib import Path

import yaml

import servsim
from servsim.cli import main
from servsim.notices import Span
from servsim.replication import RunWarning, describe_warnings

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"


def _overloaded() -> servsim.Scenario:
    scenario = servsim.load_scenario(TEXTBOOK)
    return scenario.with_overrides(
        {"horizon.days": 1, "horizon.warm_up": 0, "staff.front.agents.headcount": 4}
    )


def test_warnings_of_replications_are_one_line_with_counts_and_ranges() -> None:
    found = [
        RunWarning("overload", "agents", 0, 0.99, 120, 2400),
        RunWarning("overload", "agents", 1, 1.0, 180, 2380),
        RunWarning("backlog", "back", 1, 0.5, 30, 2380),
    ]
    lines = describe_warnings(found, replications=3)
    assert len(lines) == 2
    backlog, overload = (str(line) for line in lines)  # sorted by kind
    assert [line.code for line in lines] == ["backlog", "overload"]
    assert lines[1].fields["busy"] == Span(0.99, 1.0)  # data, not text
    assert "pool 'agents' overloaded in 2 of 3 replications" in overload
    assert "99%–100%" in overload and "120–180 customers" in overload
    assert "pool 'back' left a backlog in 1 of 3 replications" in backlog
    assert "30 customers (1.3% of arrivals)" in backlog


def test_an_overloaded_run_warns_once_per_pool_and_names_it() -> None:
    result = servsim.simulate(_overloaded(), replications=3, seed=1)
    overload = [w for w in result.warnings if "overloaded" in w]
    assert len(overload) == 1
    assert "pool 'agents' overloaded in 3 of 3 replications" in overload[0]
    assert result.overloaded == ("agents",)


def test_a_run_within_capacity_has_no_warning() -> None:
    scenario = servsim.load_scenario(TEXTBOOK).with_overrides({"horizon.days": 1})
    result = servsim.simulate(scenario, replications=2, seed=1)
    assert result.warnings == ()
    assert result.overloaded == ()


def test_the_cli_prints_warnings_first_and_flags_the_archetype(
    tmp_path: Path, capsys: object
) -> None:
    path = tmp_path / "over.yaml"
    path.write_text(yaml.safe_dump(_overloaded().model_dump(mode="json", exclude_none=True)))
    code = main(["run", str(path), "-r", "2", "--no-save"])
    out = capsys.readouterr()  # type: ignore[attr-defined]
    assert code == 0
    assert out.err.count("overloaded in 2 of 2 replications") == 1
    assert "(overloaded: agents; see the warnings)" in " ".join(out.out.split())
