"""Malformed and hostile scenario files: every outcome is a clean run or a located refusal.

Each case runs ``servsim.cli.main`` in a forked copy of this process (no new interpreter, so it
is fast) under a time limit and an address-space limit: a hang, a runaway allocation or a
traceback fails the test instead of the machine. The outcome must be exit 0, or exit 2 with the
file and the field (or line) named; a file that ``validate`` accepts must also run (exit 0):
nothing invalid passes validation.
"""

from __future__ import annotations

import copy
import os
import reprlib
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servsim.experiment  # noqa: F401  (imported before forking: children start warm)
from servsim.cli import _memory_warning, main
from servsim.scenario import load_scenario, parse_yaml

ROOT = Path(__file__).parents[1]
SHIPPED = sorted(
    [
        *(ROOT / "scenarios").glob("*.yaml"),
        *(ROOT / "scenarios" / "archetypes").glob("*.yaml"),
        *(ROOT / "scenarios" / "validation").glob("*.yaml"),
    ]
)
TIME_LIMIT = 60.0  # seconds for one CLI call; the slowest legitimate case takes about 2 s
MEMORY_LIMIT = 1 << 30  # bytes of address space a CLI call may add to this process
CRASHED = 99  # a child's exit code when main() raised instead of returning

TINY = """\
name: tiny
contact_level: medium
horizon: {days: 0.5}
replications: 1
segments: [{name: retail}]
arrivals: {per_hour: 20}
staff:
  front: [{name: agents, headcount: 2}]
service_cycle:
  - {name: call, served_by: agents, service_time: {kind: exponential, mean: 3min}}
"""


# --------------------------------------------------------------------------- running the CLI


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    seconds: float


def _resident(pid: int | str = "self") -> int:
    """Resident memory of a process, in bytes (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cli(args: list[str], folder: Path) -> Outcome:
    """``main(args)`` in a forked child with a time and a memory limit; its exit code and output.

    The parent watches the child: past :data:`TIME_LIMIT`, or with more than
    :data:`MEMORY_LIMIT` resident beyond what this process holds, it is killed and the case
    fails. (An address-space rlimit would not do: Arrow's allocator reserves gigabytes upfront.)
    """
    out_file, err_file = folder / "stdout.txt", folder / "stderr.txt"
    limit = _resident() + MEMORY_LIMIT
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = CRASHED
        try:
            with out_file.open("w") as out, err_file.open("w") as err:
                sys.stdout, sys.stderr = out, err
                try:
                    code = main(args)
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else CRASHED
                except BaseException:
                    import traceback

                    traceback.print_exc(file=err)
                    code = CRASHED
        finally:
            os._exit(code)
    deadline = start + TIME_LIMIT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"servsim {' '.join(args)} ran past {TIME_LIMIT:.0f} s")
        if _resident(pid) > limit:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"servsim {' '.join(args)} took over {MEMORY_LIMIT >> 20} MiB")
        time.sleep(0.005)
    seconds = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    read = lambda p: p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""  # noqa: E731
    return Outcome(code, read(out_file), read(err_file), seconds)


def assert_clean(outcome: Outcome, path: Path) -> None:
    """Exit 0, or exit 2 naming the file and at least one located problem; never a traceback."""
    assert "Traceback" not in outcome.err, outcome.err[-3000:]
    assert outcome.code in (0, 2), f"exit {outcome.code}: {outcome.err[-3000:]}"
    if outcome.code == 2:
        assert str(path) in outcome.err, outcome.err[:2000]
        problems = [line for line in outcome.err.splitlines() if line.startswith("  - ")]
        assert problems, outcome.err[:2000]
        assert all(": " in p for p in problems), problems  # "<field or line>: <what is wrong>"


def validate_then_run(path: Path, folder: Path) -> Outcome:
    """Validate; when that accepts the file, a short run must succeed too."""
    checked = cli(["validate", str(path)], folder)
    assert_clean(checked, path)
    if checked.code != 0:
        return checked
    ran = cli(["run", str(path), "-r", "1", "--no-save", "-q"], folder)
    assert "Traceback" not in ran.err, ran.err[-3000:]
    assert ran.code == 0, f"validate accepted {path} but run exited {ran.code}: {ran.err[-3000:]}"
    return ran


def refused(path: Path, folder: Path, *fragments: str) -> str:
    """Validate must refuse the file, naming it and each fragment (field, line, reason)."""
    outcome = cli(["validate", str(path)], folder)
    assert_clean(outcome, path)
    assert outcome.code == 2, f"{path} passed validate:\n{path.read_text()[:2000]}"
    for fragment in fragments:
        assert fragment in outcome.err, (fragment, outcome.err[:2000])
    return outcome.err


# --------------------------------------------------------------------------- scenario files


def tiny(**changes: Any) -> dict[str, Any]:
    """The tiny valid scenario as data, with top-level fields replaced."""
    data: dict[str, Any] = yaml.safe_load(TINY)
    data.update(changes)
    return data


def write(folder: Path, data: Any, name: str = "case.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000), encoding="utf-8")
    return path


def write_text(folder: Path, text: str, name: str = "case.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def alias_bomb(levels: int = 9) -> list[Any]:
    """A billion laughs: nine levels of ten references, 10^9 strings once expanded.

    ``yaml.safe_dump`` writes the shared lists as anchors and aliases: a few hundred bytes.
    """
    bomb: list[Any] = ["lol"] * 10
    for _ in range(levels - 1):
        bomb = [bomb] * 10
    return bomb


def deep(depth: int) -> Any:
    nested: Any = 1
    for _ in range(depth):
        nested = [nested]
    return nested


def test_the_tiny_scenario_runs(tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY)
    outcome = validate_then_run(path, tmp_path)
    assert outcome.code == 0
    assert "Traceback" not in outcome.err


# --------------------------------------------------------------------------- issue 14, one by one


@pytest.mark.parametrize(
    "text",
    [
        TINY + "? [a, b]\n: 1\n",
        TINY + "? {a: 1}\n: 1\n",
        TINY.replace("segments: [{name: retail}]", "segments: [{name: retail, ? [x]: 1}]"),
    ],
    ids=["list_key", "mapping_key", "nested_list_key"],
)
def test_1_a_list_or_mapping_as_a_key(text: str, tmp_path: Path) -> None:
    path = write_text(tmp_path, text)
    refused(path, tmp_path, "a key must be a name or a number")


def test_1_a_list_as_a_key_in_a_sweep_file(tmp_path: Path) -> None:
    write_text(tmp_path, TINY, "base.yaml")
    path = write_text(
        tmp_path,
        "base: base.yaml\n? [a, b]\n: 1\nparameters: {arrivals.per_hour: [10]}\n",
        "s.yaml",
    )
    outcome = cli(["sweep", str(path), "-o", str(tmp_path / "out"), "-q"], tmp_path)
    assert_clean(outcome, path)
    assert outcome.code == 2
    assert "line 2" in outcome.err


@pytest.mark.parametrize("depth", [101, 500, 100_000])
def test_2_deep_nesting(depth: int, tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY + "description: " + "[" * depth + "]" * depth + "\n")
    refused(path, tmp_path, "nested more than 100 deep", "line ")


def test_2_nesting_within_the_limit_is_only_a_field_problem(tmp_path: Path) -> None:
    path = write(tmp_path, tiny(description=deep(90)))
    refused(path, tmp_path, "description:")


@pytest.mark.parametrize(
    "place",
    ["description", "segment_name", "request_mix", "variants"],
)
def test_3_alias_bomb(place: str, tmp_path: Path) -> None:
    data = tiny()
    bomb = alias_bomb()
    if place == "description":
        data["description"] = bomb
    elif place == "segment_name":
        data["segments"][0]["name"] = bomb
    elif place == "request_mix":
        data["segments"][0]["request_mix"] = {"general": bomb}
    else:
        data["variants"] = {"big": {"description": bomb}}
    path = write(tmp_path, data)
    assert path.stat().st_size < 5000  # the file is small; only its expansion is huge
    err = refused(path, tmp_path, "expands to more than", "line ")
    assert len(err) < 2000


def test_3_an_alias_bomb_below_the_limit_is_refused_quickly(tmp_path: Path) -> None:
    """A million values expand within the limit: the error message must still be short."""
    path = write(tmp_path, tiny(description=alias_bomb(5)))
    outcome = cli(["validate", str(path)], tmp_path)
    assert_clean(outcome, path)
    assert outcome.code == 2
    assert len(outcome.err) < 2000
    assert outcome.seconds < 20


# ---- 4: counts_csv


def counts_scenario(folder: Path, csv_text: str | None, encoding: str = "utf-8") -> Path:
    csv_path = folder / "counts.csv"
    if csv_text is None:
        csv_path.mkdir()
    else:
        csv_path.write_text(csv_text, encoding=encoding)
    return write(folder, tiny(arrivals={"counts_csv": "counts.csv"}))


def test_4_counts_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = counts_scenario(tmp_path, "start,end,count\n00:00,12:00,240\n", "utf-8-sig")
    assert (tmp_path / "counts.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    scenario = load_scenario(path)
    assert scenario.arrivals.profile is not None
    assert scenario.arrivals.profile[0].per_hour == pytest.approx(20.0)
    assert validate_then_run(path, tmp_path).code == 0


@pytest.mark.parametrize(
    ("csv_text", "fragments"),
    [
        (None, ("counts.csv", "folder")),
        ("start,end,count\n00:00,12:00\n", ("counts.csv, line 2, column 3 (count)", "missing")),
        (
            "start,end,count\n00:00,12:00," + "9" * 140_000 + "\n",
            ("counts.csv, line 2", "field larger than field limit"),
        ),
        ("start,end,count\n25:00,26:00,10\n", ("counts.csv, line 2, column 1 (start)", "24:00")),
        ("start,end,count\n00:00,12:00,inf\n", ("line 2, column 3 (count)", "finite")),
        ("start,end,count\n00:00,12:00,1e308\n", ("line 2, column 3 (count)", "at most")),
        ("start,end,count\n00:00,12:00,many\n", ("line 2, column 3 (count)", "not a number")),
        ("start,end,count\n00:00,12:00,-3\n", ("line 2, column 3 (count)", "0 or more")),
        ("start,end,count\n12:00,08:00,3\n", ("line 2, column 2 (end)", "after it starts")),
        ("start,end,count,day\n00:00,12:00,3,1.5\n", ("line 2, column 4 (day)", "whole")),
        ("start,end,count\n00:00,12:00,3\n06:00,18:00,3\n", ("line 3", "overlaps", "line 2")),
        (
            "begin,finish,n\n00:00,12:00,3\n",
            (
                "line 1",
                "missing column(s) start, end, count",
            ),
        ),
        ("start,end,count\n", ("no rows",)),
        ('start,end,count\n"00:00,12:00,3\n', ("counts.csv",)),
    ],
    ids=[
        "directory",
        "missing_cell",
        "huge_field",
        "clock_past_24h",
        "infinite_count",
        "count_1e308",
        "word_count",
        "negative_count",
        "end_before_start",
        "fractional_day",
        "overlap",
        "wrong_columns",
        "no_rows",
        "unclosed_quote",
    ],
)
def test_4_counts_csv_errors_name_file_line_and_column(
    csv_text: str | None, fragments: tuple[str, ...], tmp_path: Path
) -> None:
    path = counts_scenario(tmp_path, csv_text)
    refused(path, tmp_path, "arrivals.counts_csv", *fragments)


def test_4_counts_csv_binary_file(tmp_path: Path) -> None:
    (tmp_path / "counts.csv").write_bytes(bytes(range(256)) * 8)
    path = write(tmp_path, tiny(arrivals={"counts_csv": "counts.csv"}))
    refused(path, tmp_path, "arrivals.counts_csv")


# ---- 5, 6: rates and CVs


@pytest.mark.parametrize("value", [".inf", "1e308", "1.0e+308", "2e6", ".nan", "-1"])
def test_5_arrival_rate_out_of_range(value: str, tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY.replace("per_hour: 20", f"per_hour: {value}"))
    refused(path, tmp_path, "arrivals.per_hour")


def test_5_profile_rate_out_of_range(tmp_path: Path) -> None:
    profile = [{"start": "00:00", "end": "12:00", "per_hour": 1e308}]
    path = write(tmp_path, tiny(arrivals={"profile": profile}))
    refused(path, tmp_path, "arrivals.profile[0].per_hour", "1000000")


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"arrivals": {"per_hour": 20, "day_multiplier_cv": 1e-200}}, "day_multiplier_cv"),
        (
            {
                "service_cycle": [
                    {
                        "name": "call",
                        "served_by": "agents",
                        "service_time": {"kind": "gamma", "mean": 180, "cv": 1e-200},
                    }
                ]
            },
            "service_cycle[0].service_time.cv",
        ),
        (
            {
                "service_cycle": [
                    {
                        "name": "call",
                        "served_by": "agents",
                        "service_time": {"kind": "lognormal", "mean": 180, "cv": 0.001},
                    }
                ]
            },
            "service_cycle[0].service_time.cv",
        ),
    ],
    ids=["day_multiplier", "gamma", "lognormal"],
)
def test_6_a_cv_below_the_floor(edit: dict[str, Any], field: str, tmp_path: Path) -> None:
    path = write(tmp_path, tiny(**edit))
    refused(path, tmp_path, field, "0.01")


def test_6_a_cv_at_the_floor_runs(tmp_path: Path) -> None:
    data = tiny(arrivals={"per_hour": 20, "day_multiplier_cv": 0.01})
    data["service_cycle"][0]["service_time"] = {"kind": "gamma", "mean": 180, "cv": 0.01}
    assert validate_then_run(write(tmp_path, data), tmp_path).code == 0


# ---- 8: satisfaction coefficients and other numbers


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("satisfaction", "failure_disconfirmation", ".nan"),
        ("satisfaction", "loss_aversion", ".inf"),
        ("satisfaction", "csat_noise", ".inf"),
        ("satisfaction", "level_thresholds", "[.nan, 0.5, 1.0, 1.5]"),
        ("satisfaction", "csat_cut_points", "[-1, .nan, 0.1, 0.45]"),
        ("satisfaction", "recommend_scale", "1e308"),
        ("pool", "cost_per_hour", ".inf"),
        ("touchpoint", "importance", ".inf"),
        ("touchpoint", "tangibles", ".nan"),
    ],
)
def test_8_nan_and_infinity_are_refused(
    section: str, field: str, value: str, tmp_path: Path
) -> None:
    if section == "satisfaction":
        text, where = TINY + f"satisfaction: {{{field}: {value}}}\n", f"satisfaction.{field}"
    elif section == "pool":
        text = TINY.replace("headcount: 2}", f"headcount: 2, {field}: {value}}}")
        where = f"staff.front[0].{field}"
    else:
        text = TINY.replace("mean: 3min}", f"mean: 3min}}, {field}: {value}")
        where = f"service_cycle[0].{field}"
    refused(write_text(tmp_path, text), tmp_path, where)


# ---- 9: recurring periods


@pytest.mark.parametrize("every", ["1ms", "1e-300", "59s", "30min"])
def test_9_a_retraining_policy_cannot_stall_the_clock(every: str, tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY + f"training: {{policy: {{every: {every}}}}}\n")
    refused(path, tmp_path, "training.policy.every")


def test_9_an_hourly_policy_runs(tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY + "training: {policy: {every: 1h}}\n")
    assert validate_then_run(path, tmp_path).code == 0


@pytest.mark.parametrize("interval", ["1ms", "10s"])
def test_9_status_inquiries_repeat_at_most_every_minute(interval: str, tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY + f"status_inquiry: {{interval: {interval}}}\n")
    refused(path, tmp_path, "status_inquiry.interval")


@pytest.mark.parametrize("mean", ["1e-300", "0.0001"])
def test_9_a_positive_duration_has_a_floor(mean: str, tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY.replace("mean: 3min", f"mean: {mean}"))
    refused(path, tmp_path, "service_cycle[0].service_time.mean")


# ---- 10: booleans are not numbers


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("horizon: {days: 0.5}", "horizon: {days: true}", "horizon.days"),
        ("per_hour: 20", "per_hour: yes", "arrivals.per_hour"),
        ("headcount: 2", "headcount: true", "staff.front[0].headcount"),
        ("segments: [{name: retail}]", "segments: [{name: retail, share: true}]", "share"),
        ("replications: 1", "replications: true", "replications"),
        ("replications: 1", "seed: on", "seed"),
        ("mean: 3min}", "mean: 3min}, failure: true", "service_cycle[0].failure"),
    ],
)
def test_10_a_boolean_is_not_a_number(old: str, new: str, field: str, tmp_path: Path) -> None:
    assert old in TINY
    path = write_text(tmp_path, TINY.replace(old, new))
    refused(path, tmp_path, field)


# ---- 11: merge keys


def test_11_merge_keys_are_valid_yaml(tmp_path: Path) -> None:
    text = TINY.replace(
        "segments: [{name: retail}]",
        "segments:\n"
        "  - &retail {name: retail, share: 0.5, max_contacts: 4}\n"
        "  - {<<: *retail, name: business}\n",
    )
    path = write_text(tmp_path, text)
    scenario = load_scenario(path)
    assert [s.name for s in scenario.segments] == ["retail", "business"]
    assert [s.max_contacts for s in scenario.segments] == [4, 4]
    assert validate_then_run(path, tmp_path).code == 0


def test_11_a_key_twice_next_to_a_merge_is_still_a_duplicate() -> None:
    with pytest.raises(yaml.YAMLError, match="appears twice"):
        parse_yaml("a: &a {x: 1}\nb: {<<: *a, y: 2, y: 3}\n")
    assert parse_yaml("a: &a {x: 1}\nb: {<<: *a, x: 2}\n")["b"] == {"x": 2}


# ---- other loader limits


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("description: " + "1" * 5000 + "\n", "cannot be read"),
        ("description: 2024-02-30\n", "cannot be read"),
        ("<<: 5\n", "merging"),
        ("--- {}\n--- {}\n", "single document"),
    ],
    ids=["int_of_5000_digits", "impossible_date", "merge_of_a_scalar", "two_documents"],
)
def test_unreadable_values_are_located(text: str, fragment: str, tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY + text if not text.startswith("---") else text)
    refused(path, tmp_path, fragment, "line ")


def test_a_huge_string_is_cut_in_the_message(tmp_path: Path) -> None:
    path = write(tmp_path, tiny(name="x" * 1_000_000))
    err = refused(path, tmp_path, "name:")
    assert len(err) < 2000


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_text(tmp_path, TINY + "description: '" + "x" * 11_000_000 + "'\n")
    refused(path, tmp_path, "larger than 10 MB")


# ---- 14: speed and memory


def test_14_a_megabyte_scenario_parses_quickly(tmp_path: Path) -> None:
    profile = "".join(
        f"    - {{start: '{h:02d}:00', end: '{h + 1:02d}:00', per_hour: {10 + h}, day: {d}}}\n"
        for d in range(1, 701)
        for h in range(24)
    )
    text = TINY.replace("arrivals: {per_hour: 20}", "arrivals:\n  profile:\n" + profile)
    text = text.replace("horizon: {days: 0.5}", "horizon: {days: 700}")
    assert len(text) > 1_000_000
    start = time.perf_counter()
    scenario = load_scenario(write_text(tmp_path, text))
    assert time.perf_counter() - start < 5.0  # was 15 s with the pure-Python loader
    assert scenario.arrivals.profile is not None
    assert len(scenario.arrivals.profile) == 700 * 24


def test_14_a_run_that_will_need_gigabytes_is_announced(tmp_path: Path) -> None:
    big = load_scenario(write_text(tmp_path, TINY.replace("per_hour: 20", "per_hour: 120")))
    year = big.with_overrides({"horizon.days": 365})
    notice = _memory_warning(year, 10)
    assert notice is not None
    warning = notice.render("en")
    assert "1,051,200 customers per replication x 10 replications" in warning
    assert "GB" in warning
    assert "1.051.200" in notice.render("es")  # the Spanish way of grouping thousands
    assert _memory_warning(big, 1) is None  # 1,440 customers: nothing to say
    auto = _memory_warning(year, "auto")
    assert auto is not None and "at most" in auto.render("en")


def test_14_run_prints_the_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import servsim.cli

    monkeypatch.setattr(servsim.cli, "MEMORY_WARNING_BYTES", 1.0)  # the fork inherits it
    path = write_text(tmp_path, TINY)
    outcome = cli(["run", str(path), "-r", "1", "--no-save", "-q"], tmp_path)
    assert outcome.code == 0
    assert "warning: about 240 customers per replication x 1 replications" in outcome.err


# --------------------------------------------------------------------------- hypothesis mutations


HOSTILE: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1,
    0,
    True,
    False,
    None,
    "",
    "x" * 200_000,
    "1ms",
    1e-300,
    10**30,
    [],
    {},
    deep(120),
    alias_bomb(),
    {"kind": "gamma", "mean": 1, "cv": 1e-200},
    "24:00",
    1,  # a few values that are often valid, so that mutated files also reach the run
    0.5,
    1000,
    "1h",
    "00:00",
]


def _scenario_data(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["horizon"] = {"days": 0.5}  # a short run: every example must stay quick
    data["replications"] = 1
    return data


BASES = {path.relative_to(ROOT).as_posix(): _scenario_data(path) for path in SHIPPED}


_HOSTILE_IDS = {id(value) for value in HOSTILE}


def _places(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside the data, containers included (not inside a hostile value:
    an alias bomb has 10^9 places)."""
    if id(node) in _HOSTILE_IDS:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _places(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _places(value, (*prefix, index))


def _parent(data: Any, place: tuple[Any, ...]) -> Any:
    for key in place[:-1]:
        data = data[key]
    return data


@dataclass(frozen=True)
class Mutated:
    """A mutated scenario; its repr (printed by hypothesis) never writes the data out."""

    base: str
    data: dict[str, Any]
    edits: str

    def __repr__(self) -> str:
        return f"Mutated({self.base!r}: {self.edits})"


def _brief(value: Any) -> str:
    return _SHORT.repr(value)


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxlist = 2, 30, 3


@st.composite
def mutations(draw: st.DrawFn) -> Mutated:
    """A shipped scenario with one or two hostile edits, and a description of them."""
    name = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(BASES[name])
    done: list[str] = []
    for _ in range(draw(st.integers(1, 2))):
        places = list(_places(data))
        place = draw(st.sampled_from(places))
        kind = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        parent = _parent(data, place)
        if kind == "replace" or (kind == "delete" and isinstance(parent, list)):
            value = draw(st.sampled_from(HOSTILE))
            parent[place[-1]] = value
            done.append(f"{place} = {_brief(value)}")
        elif kind == "delete":
            del parent[place[-1]]
            done.append(f"del {place}")
        else:
            target = parent if isinstance(parent, dict) else data
            key = draw(st.sampled_from(["extra", "per_hour", "cv", "every", "name", "days"]))
            value = draw(st.sampled_from(HOSTILE))
            target[key] = value
            done.append(f"add {key} = {_brief(value)} at {place[:-1]}")
    return Mutated(name, data, "; ".join(done))


def _check_mutation(example: Mutated, folder: Path) -> None:
    path = write(folder, example.data)
    try:
        validate_then_run(path, folder)
    except AssertionError as exc:
        raise AssertionError(f"{example!r}: {str(exc)[:3000]}") from None


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=mutations())
def test_mutated_shipped_scenarios_run_or_are_refused(example: Mutated, tmp_path: Path) -> None:
    _check_mutation(example, tmp_path)


@pytest.mark.slow
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=mutations())
def test_mutated_shipped_scenarios_many(example: Mutated, tmp_path: Path) -> None:
    _check_mutation(example, tmp_path)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_scenario_survives_the_short_run(path: Path, tmp_path: Path) -> None:
    """The bases of the mutations are valid and run: the property test starts from good files."""
    name = path.relative_to(ROOT).as_posix()
    assert validate_then_run(write(tmp_path, BASES[name]), tmp_path).code == 0
