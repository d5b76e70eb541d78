"""Bad scenarios are rejected with a located, readable error; YAML is only ever loaded safely.

Every malformed scenario is built from the valid textbook scenario by a small edit (or written as
raw text), then checked twice: ``load_scenario`` raises a :class:`servsim.ScenarioError` naming the
file, the field's path and what is allowed, and ``servsim validate`` exits with code 2 without a
traceback.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import servsim
from servsim.cli import main

ROOT = Path(__file__).parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))
MARKER = "hacked"  # a file that a YAML tag would create if it were ever executed

Edit = Callable[[dict[str, Any]], None]
Maker = Callable[[Path], Path]


def textbook() -> dict[str, Any]:
    """A fresh copy of the textbook scenario as plain data."""
    return copy.deepcopy(_TEXTBOOK_DATA)


_TEXTBOOK_DATA: dict[str, Any] = yaml.safe_load(TEXTBOOK.read_text(encoding="utf-8"))


def write_yaml(folder: Path, data: Any, name: str = "bad.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def edited(edit: Edit) -> Maker:
    """A maker that writes the textbook scenario after ``edit``."""

    def make(folder: Path) -> Path:
        data = textbook()
        edit(data)
        return write_yaml(folder, data)

    return make


def raw(text: str) -> Maker:
    """A maker that writes ``text`` as is; ``{marker}`` becomes the side-effect file's path."""

    def make(folder: Path) -> Path:
        path = folder / "bad.yaml"
        path.write_text(text.format(marker=folder / MARKER), encoding="utf-8")
        return path

    return make


def binary(folder: Path) -> Path:
    path = folder / "bad.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def missing(folder: Path) -> Path:
    return folder / "does_not_exist.yaml"


def directory(folder: Path) -> Path:
    path = folder / "a_folder.yaml"
    path.mkdir()
    return path


def agents(data: dict[str, Any]) -> dict[str, Any]:
    """The textbook's only staff pool."""
    pool: dict[str, Any] = data["staff"]["front"][0]
    return pool


def with_shifts(*shifts: dict[str, Any]) -> Edit:
    """Replace the agents' constant headcount by shifts."""

    def edit(data: dict[str, Any]) -> None:
        pool = agents(data)
        del pool["headcount"]
        pool["shifts"] = list(shifts)

    return edit


def set_key(*keys: str | int, value: Any) -> Edit:
    """Set ``data[k0][k1]...[kn] = value``."""

    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return edit


def rename_key(old: str, new: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        pool = agents(data)
        pool[new] = pool.pop(old)

    return edit


def add_back_pool(data: dict[str, Any]) -> None:
    data["staff"]["back"] = [{"name": "clerks", "headcount": 2}]


@dataclass(frozen=True)
class Case:
    """A malformed scenario and what its error must say."""

    id: str
    make: Maker
    field: str | None  # the field path the error must name; None for a file-level problem
    allowed: tuple[str, ...]  # fragments (what is allowed, or the diagnosis) the error must hold


CASES = [
    # ---- values of the wrong type or out of range
    Case(
        "wrong_type_headcount",
        edited(set_key("staff", "front", 0, "headcount", value="seven")),
        "staff.front[0].headcount",
        ("valid integer", "'seven'"),
    ),
    Case(
        "fractional_headcount",
        edited(set_key("staff", "front", 0, "headcount", value=7.5)),
        "staff.front[0].headcount",
        ("valid integer", "7.5"),
    ),
    Case(
        "negative_arrival_rate",
        edited(set_key("arrivals", "per_hour", value=-5)),
        "arrivals.per_hour",
        ("greater than or equal to 0", "-5"),
    ),
    Case(
        "unknown_contact_level",
        edited(set_key("contact_level", value="extreme")),
        "contact_level",
        ("'high'", "'medium'", "'low'", "'extreme'"),
    ),
    Case(
        "unknown_distribution_kind",
        edited(set_key("service_cycle", 0, "service_time", "kind", value="poisson")),
        "service_cycle[0].service_time",
        ("exponential", "lognormal", "poisson"),
    ),
    Case(
        "bad_name",
        edited(set_key("name", value="../../etc/passwd")),
        "name",
        ("pattern", "'../../etc/passwd'"),
    ),
    # ---- unknown and missing keys
    Case(
        "unknown_top_level_key",
        edited(set_key("colour", value="blue")),
        "colour",
        ("unknown field 'colour'", "allowed:", "contact_level", "service_cycle"),
    ),
    Case(
        "unknown_nested_key_typo",
        edited(rename_key("headcount", "headcont")),
        "staff.front[0].headcont",
        ("unknown field 'headcont'", "did you mean 'headcount'"),
    ),
    Case(
        "shfts_typo_in_pool",
        edited(
            set_key(
                "staff",
                "front",
                0,
                value={
                    "name": "agents",
                    "shfts": [{"start": "09:00", "end": "17:00", "headcount": 7}],
                },
            )
        ),
        "staff.front[0].shfts",
        ("unknown field 'shfts'", "did you mean 'shifts'"),
    ),
    Case(
        "missing_required_field",
        lambda folder: write_yaml(folder, {k: v for k, v in textbook().items() if k != "arrivals"}),
        "arrivals",
        ("required field is missing",),
    ),
    Case(
        "no_segments",
        edited(set_key("segments", value=[])),
        "segments",
        ("at least 1 item",),
    ),
    # ---- cross-field consistency
    Case(
        "shift_end_before_start",
        edited(with_shifts({"start": "17:00", "end": "09:00", "headcount": 7})),
        "staff.front[0].shifts[0].end",
        ("must end after it starts", "17:00", "09:00"),
    ),
    Case(
        "headcount_and_shifts",
        edited(
            lambda d: agents(d).update(shifts=[{"start": "09:00", "end": "17:00", "headcount": 3}])
        ),
        "staff.front[0]",
        ("headcount or shifts, not both",),
    ),
    Case(
        "pool_no_touchpoint_reaches",
        edited(add_back_pool),
        "staff.back[0].name",
        ("'clerks'", "serves no touchpoint"),
    ),
    Case(
        "segment_shares_not_one",
        edited(
            set_key("segments", value=[{"name": "a", "share": 0.5}, {"name": "b", "share": 0.3}])
        ),
        "segments",
        ("must sum to 1", "0.8"),
    ),
    Case(
        "request_mix_not_one",
        edited(set_key("segments", 0, "request_mix", value={"simple": 0.5, "complex": 0.2})),
        "segments[0].request_mix",
        ("must sum to 1", "0.7"),
    ),
    Case(
        "unknown_pool_in_served_by",
        edited(set_key("service_cycle", 0, "served_by", value="agnets")),
        "service_cycle[0].served_by",
        ("unknown pool 'agnets'", "allowed: agents", "did you mean 'agents'"),
    ),
    Case(
        "duplicate_pool_names",
        edited(lambda d: d["staff"].update(back=[{"name": "agents", "headcount": 1}])),
        "staff",
        ("'agents'", "used twice"),
    ),
    Case(
        "unknown_recontact_from",
        edited(set_key("service_cycle", 0, "recontact_from", value="cal")),
        "service_cycle[0].recontact_from",
        ("unknown touchpoint 'cal'", "did you mean 'call'"),
    ),
    Case(
        "two_arrival_sources",
        edited(
            set_key(
                "arrivals",
                "profile",
                value=[{"start": "00:00", "end": "24:00", "per_hour": 100}],
            )
        ),
        "arrivals",
        ("exactly one of per_hour, profile, counts_csv",),
    ),
    Case(
        "warm_up_longer_than_horizon",
        edited(set_key("horizon", value={"days": 1, "warm_up": "2d"})),
        "horizon.warm_up",
        ("shorter than the horizon", "86400"),
    ),
    # ---- human units
    Case(
        "bad_duration_unit",
        edited(set_key("horizon", "warm_up", value="3 fortnights")),
        "horizon.warm_up",
        ("unknown time unit 'fortnights'", "s, min, h or d"),
    ),
    Case(
        "duration_not_a_number",
        edited(set_key("service_cycle", 0, "service_time", "mean", value="three minutes")),
        "service_cycle[0].service_time.mean",
        ("not a duration", "'3min'"),
    ),
    Case(
        "clock_time_25h",
        edited(with_shifts({"start": "09:00", "end": "25:00", "headcount": 7})),
        "staff.front[0].shifts[0].end",
        ("between 00:00 and 24:00", "'25:00'"),
    ),
    Case(
        "clock_time_9h30",
        edited(with_shifts({"start": "9h30", "end": "17:00", "headcount": 7})),
        "staff.front[0].shifts[0].start",
        ("not a time of day", "HH:MM"),
    ),
    Case(
        "clock_time_minutes_60",
        edited(with_shifts({"start": "09:60", "end": "17:00", "headcount": 7})),
        "staff.front[0].shifts[0].start",
        ("up to 59",),
    ),
    # ---- hostile values (issue 14; more in test_hostile_input.py)
    Case(
        "boolean_horizon_days",
        edited(set_key("horizon", value={"days": True})),
        "horizon.days",
        ("a number, not true",),
    ),
    Case(
        "nan_failure_probability",
        edited(set_key("service_cycle", 0, "failure", value=float("nan"))),
        "service_cycle[0].failure",
        ("finite number",),
    ),
    Case(
        "infinite_arrival_rate",
        edited(set_key("arrivals", "per_hour", value=float("inf"))),
        "arrivals.per_hour",
        ("finite number",),
    ),
    Case(
        "list_as_a_key",
        raw("name: x\n? [a, b]\n: 1\n"),
        None,
        ("line 2", "a key must be a name or a number, not a list"),
    ),
    Case(
        "nested_too_deep",
        raw("name: " + "[" * 200 + "]" * 200 + "\n"),
        None,
        ("nested more than 100 deep",),
    ),
    # ---- files that are not a scenario at all
    Case("not_yaml", raw("name: x\nkey: [unclosed\n"), None, ("not valid YAML", "line ")),
    Case("binary_file", binary, None, ("not a text file",)),
    Case("empty_file", raw(""), None, ("empty", "mapping")),
    Case("only_a_comment", raw("# nothing here\n"), None, ("empty", "mapping")),
    Case("missing_file", missing, None, ("file not found",)),
    Case("directory", directory, None, ("folder",)),
    Case("top_level_list", raw("- name: x\n- name: y\n"), None, ("must be a mapping", "list")),
    Case("top_level_scalar", raw("just a sentence\n"), None, ("must be a mapping", "str")),
    Case(
        "yaml_tag_os_system",
        raw('!!python/object/apply:os.system ["touch {marker}"]\n'),
        None,
        ("tags that construct objects are not allowed",),
    ),
]


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request: pytest.FixtureRequest) -> Case:
    selected: Case = request.param
    return selected


def test_the_textbook_scenario_itself_is_valid() -> None:
    """The base every case edits must load, or the table below proves nothing."""
    assert servsim.load_scenario(TEXTBOOK).name == "mmc_textbook"


def test_load_scenario_names_file_field_and_what_is_allowed(case: Case, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    with pytest.raises(servsim.ScenarioError) as caught:
        servsim.load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    assert caught.value.source == str(path)
    assert caught.value.problems, "a ScenarioError must carry at least one problem"
    if case.field is not None:
        located = [p for p in caught.value.problems if p.startswith(f"{case.field}:")]
        assert located, f"no problem located at {case.field!r} in:\n{message}"
    for fragment in case.allowed:
        assert fragment in message
    assert "Traceback" not in message
    assert not (tmp_path / MARKER).exists()


def test_cli_validate_exits_2_without_traceback(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = case.make(tmp_path)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert str(path) in captured.err
    if case.field is not None:
        assert f"{case.field}:" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert ": ok" not in captured.out
    assert not (tmp_path / MARKER).exists()


def test_enough_cases() -> None:
    assert len(CASES) >= 14


# --------------------------------------------------------------------------- unsafe YAML


TAGS = {
    "apply_os_system": '!!python/object/apply:os.system ["touch {marker}"]\n',
    "new_os_system": '!!python/object/new:os.system ["touch {marker}"]\n',
    "apply_subprocess": '!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]\n',
    "nested_in_a_field": (
        'name: x\ncontact_level: low\nseed: !!python/object/apply:os.system ["touch {marker}"]\n'
    ),
    "python_name": "name: !!python/name:os.system\n",
    "python_module": "name: !!python/module:os\n",
}


@pytest.mark.parametrize("text", TAGS.values(), ids=TAGS.keys())
def test_yaml_tags_never_run_code(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = raw(text)(tmp_path)
    marker = tmp_path / MARKER
    with pytest.raises(servsim.ScenarioError, match="tags that construct objects are not allowed"):
        servsim.load_scenario(path)
    assert not marker.exists()
    assert main(["validate", str(path)]) == 2
    assert not marker.exists()
    err = capsys.readouterr().err
    assert str(path) in err
    assert "Traceback" not in err


def test_the_package_never_uses_an_unsafe_yaml_loader() -> None:
    unsafe = re.compile(
        r"yaml\.(unsafe_load|full_load|load_all)\(|\b(Unsafe|Full)?Loader=yaml\.(Unsafe|Full)?Loader"
        r"|yaml\.load\((?![^)]*SafeLoader)"
    )
    for source in (ROOT / "src" / "servsim").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not unsafe.search(text), f"{source} loads YAML with an unsafe loader"


# --------------------------------------------------------------------------- several problems


def test_every_field_problem_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = textbook()
    data["colour"] = "blue"
    data["contact_level"] = "extreme"
    data["arrivals"]["per_hour"] = -5
    data["horizon"]["warm_up"] = "3 fortnights"
    agents(data)["headcount"] = "seven"
    path = write_yaml(tmp_path, data)
    expected = [
        "colour",
        "contact_level",
        "arrivals.per_hour",
        "horizon.warm_up",
        "staff.front[0].headcount",
    ]

    with pytest.raises(servsim.ScenarioError) as caught:
        servsim.load_scenario(path)
    problems = caught.value.problems
    assert len(problems) == len(expected), problems
    for field in expected:
        assert any(p.startswith(f"{field}:") for p in problems), (field, problems)
    assert f"({len(expected)} problems)" in str(caught.value)

    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    for field in expected:
        assert f"{field}:" in err


def test_every_consistency_problem_is_reported(tmp_path: Path) -> None:
    data = textbook()
    with_shifts(
        {"start": "17:00", "end": "09:00", "headcount": 3},
        {"start": "08:00", "end": "12:00", "headcount": 3},
        {"start": "22:00", "end": "06:00", "headcount": 3},
    )(data)
    add_back_pool(data)
    data["segments"] = [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.3}]
    data["horizon"] = {"days": 1, "warm_up": "1d"}
    path = write_yaml(tmp_path, data)
    expected = [
        "staff.front[0].shifts[0].end",
        "staff.front[0].shifts[2].end",
        "staff.back[0].name",
        "segments",
        "horizon.warm_up",
    ]
    with pytest.raises(servsim.ScenarioError) as caught:
        servsim.load_scenario(path)
    problems = caught.value.problems
    for field in expected:
        assert any(p.startswith(f"{field}:") for p in problems), (field, problems)
    assert not any(p.startswith("staff.front[0].shifts[1]") for p in problems)


def test_field_and_consistency_problems_are_reported_together(tmp_path: Path) -> None:
    data = textbook()
    data["arrivals"]["per_hour"] = -5  # a field problem
    add_back_pool(data)  # a consistency problem
    path = write_yaml(tmp_path, data)
    with pytest.raises(servsim.ScenarioError) as caught:
        servsim.load_scenario(path)
    problems = caught.value.problems
    assert any(p.startswith("arrivals.per_hour:") for p in problems)
    assert any(p.startswith("staff.back[0].name:") for p in problems)


def test_validate_reports_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_yaml(tmp_path, textbook() | {"contact_level": "extreme"}, "first.yaml")
    second = missing(tmp_path)
    assert main(["validate", str(first), str(TEXTBOOK), str(second)]) == 2
    captured = capsys.readouterr()
    assert str(first) in captured.err
    assert str(second) in captured.err
    assert f"{TEXTBOOK}: ok" in captured.out
    assert "Traceback" not in captured.err


# --------------------------------------------------------------------------- known gaps


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (set_key("horizon", "warm_up", value=True), "horizon.warm_up"),
        (set_key("service_level", "target", value=True), "service_level.target"),
        (set_key("service_cycle", 0, "service_time", "mean", value=True), "service_cycle[0]"),
        (
            with_shifts({"start": True, "end": "17:00", "headcount": 7}),
            "staff.front[0].shifts[0].start",
        ),
    ],
    ids=["warm_up", "service_level_target", "service_time_mean", "shift_start"],
)
def test_a_boolean_is_not_a_duration_or_a_time(edit: Edit, field: str, tmp_path: Path) -> None:
    data = textbook()
    edit(data)
    path = write_yaml(tmp_path, data)
    with pytest.raises(servsim.ScenarioError) as caught:
        servsim.load_scenario(path)
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (
            set_key("service_cycle", 0, "service_time", value={"kind": "exponential", "maen": 180}),
            "did you mean 'mean'",
        ),
        (set_key("service_cycle", 0, "served_by", value={"fallbak": "agents"}), "fallback"),
    ],
    ids=["distribution", "routing"],
)
def test_unknown_key_inside_a_union_lists_the_allowed_keys(
    edit: Edit, fragment: str, tmp_path: Path
) -> None:
    data = textbook()
    edit(data)
    path = write_yaml(tmp_path, data)
    with pytest.raises(servsim.ScenarioError) as caught:
        servsim.load_scenario(path)
    assert "allowed:" in str(caught.value)
    assert fragment in str(caught.value)


def test_a_duplicated_key_is_an_error(tmp_path: Path) -> None:
    text = TEXTBOOK.read_text(encoding="utf-8") + "arrivals: {per_hour: 10}\n"
    path = raw(text.replace("{", "{{").replace("}", "}}"))(tmp_path)
    with pytest.raises(servsim.ScenarioError, match="arrivals"):
        servsim.load_scenario(path)


# --------------------------------------------------------------------------- overrides


@pytest.fixture(scope="module")
def scenario() -> servsim.Scenario:
    return servsim.load_scenario(TEXTBOOK)


def test_override_by_name(scenario: servsim.Scenario) -> None:
    changed = scenario.with_overrides({"staff.front.agents.headcount": 8})
    assert changed.pool("agents").headcount == 8
    assert scenario.pool("agents").headcount == 7  # the original is untouched
    assert changed.with_overrides({"staff.front[0].headcount": 7}) == scenario


def test_override_by_index_and_nested(scenario: servsim.Scenario) -> None:
    changed = scenario.with_overrides(
        {"horizon.days": 0.5, "horizon.warm_up": "1h", "service_cycle.call.service_time.mean": 90}
    )
    assert changed.horizon.length == 43200
    assert changed.horizon.warm_up == 3600
    assert changed.service_cycle[0].service_time.mean == 90  # type: ignore[union-attr]


def test_override_with_a_bad_value_names_the_path(scenario: servsim.Scenario) -> None:
    with pytest.raises(servsim.ScenarioError) as caught:
        scenario.with_overrides({"staff.front[0].headcount": -1})
    message = str(caught.value)
    assert "staff.front[0].headcount" in message
    assert "greater than or equal to 0" in message
    assert "-1" in message


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"staff.front.agnts.headcount": 3}, ("staff.front.agnts.headcount", "'agents'")),
        ({"staff.front[3].headcount": 3}, ("staff.front[3].headcount", "out of range")),
        ({"horizon.dayz": 3}, ("horizon.dayz", "did you mean 'days'")),
        ({"name.first": "x"}, ("name.first", "plain value")),
        ({"contact_level": "extreme"}, ("contact_level", "'high'")),
    ],
    ids=["unknown_name", "index_out_of_range", "unknown_field", "below_a_value", "bad_value"],
)
def test_override_errors(
    scenario: servsim.Scenario, overrides: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(servsim.ScenarioError) as caught:
        scenario.with_overrides(overrides)
    for fragment in fragments:
        assert fragment in str(caught.value)


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_resolved_scenario_round_trips(path: Path, tmp_path: Path) -> None:
    resolved = servsim.load_scenario(path)
    data = resolved.model_dump(mode="json", exclude_none=True)
    again = servsim.load_scenario(write_yaml(tmp_path, data, "resolved.yaml"))
    assert again == resolved
    assert again.model_dump(mode="json", exclude_none=True) == data


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    data = textbook()
    del data["name"]
    assert servsim.load_scenario(write_yaml(tmp_path, data, "my scenario.yaml")).name == (
        "my_scenario"
    )
