"""The metric catalogue: every column a run writes is declared once, and is written back alike."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import servsim
from servsim import catalogue
from servsim.catalogue import CATALOGUE, DAILY, PERCENTILES, MetricColumn, column, lookup, unit_of
from servsim.metrics import daily_metrics
from servsim.presentation import difference_cell, format_interval, mean_cell, metric_label
from servsim.satisfaction import moment_touchpoints
from servsim.scenario import Precision
from servsim.schema_types import Name

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "servsim"
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))
NAME = TypeAdapter(Name)


def _short(path: Path) -> servsim.Scenario:
    """The shipped scenario over a few hours: the columns do not depend on the horizon."""
    scenario = servsim.load_scenario(path)
    return scenario.with_overrides({"horizon.days": 0.25, "horizon.warm_up": 0})


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_column_of_a_shipped_scenario_is_declared_and_parses_back(path: Path) -> None:
    scenario = _short(path)
    result = servsim.simulate(scenario, replications=1, seed=5)
    columns = [c for c in result.replications.columns if c != "replication"]
    pools = {pool.name for _, pool in scenario.staff.pools()}
    assert columns
    for name in columns:
        parsed = MetricColumn.parse(name)
        assert parsed.column == name
        if parsed.metric.scope == "pool":
            assert parsed.subject in pools, name
        elif parsed.metric.scope == "touchpoint":
            assert parsed.subject in moment_touchpoints(result.scenario), name
        else:
            assert parsed.subject is None and parsed.metric.scope == "overall", name
    # each pool has every pool metric: the catalogue and metrics.py agree both ways
    pool_keys = {m.key for m in CATALOGUE.values() if m.scope == "pool"}
    assert {(k, p) for k in pool_keys for p in pools} <= {
        (c.key, c.subject) for c in map(MetricColumn.parse, columns)
    }
    daily = daily_metrics(result.records, scenario)
    assert set(daily.columns) - {"day", "pool"} <= set(DAILY)


def test_every_entry_is_labelled_in_english_and_spanish_and_defined() -> None:
    for metric in (*CATALOGUE.values(), *DAILY.values()):
        assert metric.label_en.strip() and metric.label_es.strip(), metric.key
        assert metric.label("es") == metric.label_es and metric.label("en") == metric.label_en
        assert metric.definition[0].isupper() and metric.definition.endswith("."), metric.key
        assert re.fullmatch(r"[a-z][a-z0-9_]*", metric.key), metric.key
    # Spanish labels are not English copies (a few terms are the same in both, e.g. NPS)
    different = sum(m.label_es != m.label_en for m in CATALOGUE.values())
    assert different >= len(CATALOGUE) - 2


def test_labels_name_the_pool_touchpoint_or_percentile() -> None:
    assert metric_label("occupancy[agents]", "es") == "ocupación (agents)"
    assert metric_label("first_response_time_p90") == "first response time p90"
    assert metric_label("stellar[reception]", "es") == "momentos estelares (reception)"
    assert metric_label("not_a_metric") == "not_a_metric"


def test_valid_ranges_agree_with_units() -> None:
    for metric in (*CATALOGUE.values(), *DAILY.values()):
        low, high = metric.valid
        assert low < high, metric.key
        if metric.unit == "share":
            assert (low, high) == (0.0, 1.0), metric.key
        elif metric.unit == "index":  # a difference of two shares (NPS)
            assert (low, high) == (-1.0, 1.0), metric.key
        elif metric.unit in ("seconds", "hours", "count", "money"):
            assert (low, high) == (0.0, math.inf), metric.key
        elif metric.unit == "score":
            assert math.isfinite(low) and math.isfinite(high), metric.key
        else:
            assert metric.unit == "utility" and (low, high) == (-math.inf, math.inf)


def test_intervals_are_cut_to_the_declared_range() -> None:
    from servsim.statistics import metric_interval

    spread = [0.99, 0.5, 1.0, 0.97]  # a symmetric t interval spills over 1
    assert metric_interval(spread, "procedural_score")["ci_high"] == 1.0
    assert metric_interval([4.9, 5.0, 4.2], "csat_mean")["ci_high"] == 5.0
    assert metric_interval([1.1, 1.0, 1.9], "csat_mean")["ci_low"] == 1.0
    free = metric_interval([-0.4, 0.5, -0.1], "satisfaction_mean")  # a utility: no bound
    assert free["ci_low"] == pytest.approx(free["mean"] - free["half_width"])


names = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,79}", fullmatch=True)


@given(names, st.sampled_from([m for m in CATALOGUE.values() if m.scope != "overall"]))
def test_pool_and_touchpoint_columns_parse_back(subject: str, metric: catalogue.Metric) -> None:
    assert NAME.validate_python(subject) == subject  # a valid scenario name
    name = column(metric.key, subject)
    assert name == f"{metric.key}[{subject}]"
    parsed = MetricColumn.parse(name)
    assert (parsed.metric, parsed.subject, parsed.percentile) == (metric, subject, None)


@given(names)
def test_no_scenario_name_makes_an_overall_metric_ambiguous(subject: str) -> None:
    """A name never turns a column into another metric's column, whatever it holds."""
    for key in ("service_level", "first_response_time", "nps"):
        assert lookup(f"{key}[{subject}]") is None


@pytest.mark.parametrize("key", [m.key for m in CATALOGUE.values() if m.percentiles])
def test_percentile_columns(key: str) -> None:
    for p in PERCENTILES:
        name = column(key, percentile=p)
        assert name == f"{key}_p{p}"
        assert MetricColumn.parse(name).percentile == p
    assert lookup(f"{key}_p99") is None
    assert lookup("service_level_p90") is None  # no percentiles for a share


def test_wrong_columns_are_refused() -> None:
    with pytest.raises(KeyError):
        column("occupancy_rate", "agents")  # undeclared: declare it first
    with pytest.raises(ValueError, match="takes a pool"):
        column("occupancy")
    with pytest.raises(ValueError, match="takes no pool or touchpoint"):
        column("service_level", "agents")
    with pytest.raises(ValueError, match="brackets"):
        column("occupancy", "a[b]")
    with pytest.raises(ValidationError):
        NAME.validate_python("a[b]")  # and no scenario name can hold one
    for name in ("occupancy", "stellar", "occupancy[]x", "unknown", "wait_mean[a"):
        assert lookup(name) is None, name


def test_precision_reads_the_catalogue() -> None:
    assert Precision().judged_metrics() == list(catalogue.STANDARDS)
    assert Precision(metrics=["occupancy[agents]", "resolution_time_p90"]).metrics
    with pytest.raises(ValidationError, match=re.escape("did you mean 'occupancy[<pool>]'")):
        Precision(metrics=["ocupancy[agents]"])
    with pytest.raises(ValidationError, match="unknown metric 'stellar'"):
        Precision(metrics=["stellar"])  # a touchpoint metric needs its touchpoint


def _servsim_imports(path: Path, inside_functions: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = (
        [n for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for n in ast.walk(f)]
        if inside_functions
        else list(ast.walk(tree))
    )
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("servsim"):
            found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("servsim")}
    return found


def test_the_catalogue_is_a_leaf_and_the_scenario_imports_it_without_a_cycle() -> None:
    assert _servsim_imports(SRC / "catalogue.py", inside_functions=False) <= {
        "servsim.satisfaction_schema"
    }
    components = SRC / "scenario" / "components.py"
    assert "servsim.catalogue" in _servsim_imports(components, inside_functions=False)
    assert _servsim_imports(components, inside_functions=True) == set()


@pytest.mark.parametrize(
    ("mean", "low", "high", "unit", "expected"),
    [
        (6000.0, 3600.0, 7560.0, "seconds", "60.0 min .. 126.0 min"),  # not 60.0 min .. 2.1 h
        (257.6, 0.0, 694.7, "seconds", "0.0 s .. 694.7 s"),
        (9000.0, 7200.0, 10800.0, "seconds", "2.0 h .. 3.0 h"),
        (0.805, 0.706, 0.905, "share", "70.6% .. 90.5%"),
        (729.7, 634.6, 824.8, "count", "634.6 .. 824.8"),
        (2160.0, 2000.0, 2300.0, "hours", "2,000.0 h .. 2,300.0 h"),
        (1.0, math.nan, math.nan, "seconds", "-"),
    ],
)
def test_an_interval_prints_in_one_unit(
    mean: float, low: float, high: float, unit: catalogue.Unit, expected: str
) -> None:
    assert format_interval(mean, low, high, unit) == expected


@given(
    st.floats(0.0, 1e6, allow_nan=False),
    st.floats(0.0, 1e6, allow_nan=False),
    st.floats(0.0, 1e6, allow_nan=False),
)
def test_a_mean_and_its_interval_share_one_time_unit(a: float, b: float, c: float) -> None:
    low, mean, high = sorted((a, b, c))
    cell = mean_cell(mean, low, high, "seconds")
    units = re.findall(r"\d (s|min|h)\b", cell)
    assert len(units) == 3 and len(set(units)) == 1, cell
    difference = difference_cell(mean - low, -low, high, "seconds")
    assert len(set(re.findall(r"\d (s|min|h)\b", difference))) == 1, difference


def test_docs_metrics_md_is_current() -> None:
    committed = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert committed == catalogue.markdown(), (
        f"docs/metrics.md is out of date: {catalogue.REGENERATE}"
    )
    for metric in CATALOGUE.values():
        assert f"`{metric.written}`" in committed


def test_handle_time_mean_by_hand() -> None:
    """Mean service time of the pool's finished visits: abandoned and unfinished ones left out."""
    from servsim.metrics import replication_metrics
    from servsim.records import CustomerRecord, Recorder, StaffingRecord, VisitRecord

    scenario = servsim.load_scenario(ROOT / "scenarios" / "validation" / "mmc_textbook.yaml")
    scenario = scenario.with_overrides({"horizon.days": 1, "horizon.warm_up": 0})
    nan = math.nan
    recorder = Recorder()
    recorder.staffing.append(StaffingRecord("agents", 0.0, 2, 0, 0.8))
    for customer, (queued, started, ended, outcome) in enumerate(
        [
            (0.0, 10.0, 70.0, "resolved"),  # 60 s of service
            (5.0, 20.0, 140.0, "resolved"),  # 120 s
            (30.0, nan, 90.0, "abandoned"),  # never served
            (100.0, 110.0, nan, "in_system"),  # still in service at the horizon
        ]
    ):
        recorder.visits.append(
            VisitRecord(customer, 0, "call", 0, "agents", True, True, True, queued, started,
                        ended, outcome)
        )  # fmt: skip
        recorder.customers.append(
            CustomerRecord(customer, "callers", "general", queued, ended, outcome, 1)
        )
    metrics = replication_metrics(recorder.tables(), scenario)
    assert metrics[column("handle_time_mean", "agents")] == pytest.approx(90.0)


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [(0.484, "en", "+48.4"), (-0.033, "es", "-3,3"), (0.0, "en", "+0.0"), (1.0, "es", "+100,0")],
)
def test_nps_reads_as_points_from_minus_100_to_plus_100(
    value: float, language: str, shown: str
) -> None:
    """Managers know NPS as a signed score, not a percentage; the saved value stays -1..1."""
    from servsim.presentation import format_value

    assert unit_of("nps") == "index"
    assert format_value(value, unit_of("nps"), language=language) == shown  # type: ignore[arg-type]
