"""The user-facing documentation stays true to the code.

docs/model.md names scenario fields and result metrics in backticks. If a field is renamed or a
metric dropped, these tests fail instead of the page going silently stale. The documentation
must also stand on its own: users never see the design folder outside the repository.
"""

from __future__ import annotations

import collections.abc
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from servsim.analysis import COMPARISON_METRICS
from servsim.catalogue import CATALOGUE, lookup
from servsim.satisfaction import MOMENT_COLUMNS, SATISFACTION_COLUMNS
from servsim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
MODEL_DOC = ROOT / "docs" / "model.md"
SET_MARKER = "**Set in a scenario:**"
READ_MARKER = "**Read in a result:**"
TABLES_MARKER = "**In the saved tables:**"
SECTIONS = ("1", "2", "2b", "3", "4", "5", "6", "7", "8", "9")
"""The design's section numbers, which source docstrings cite as "docs/model.md section N"."""

BACKTICKED = re.compile(r"`([^`\n]+)`")
FILE_NAME = re.compile(r"\.(csv|parquet|yaml|py|md|json|png|html)$")
PATH_PART = re.compile(r"\[\]|[A-Za-z_][A-Za-z0-9_]*")
METRIC_LIKE = re.compile(r"^([a-z0-9_]+(\[[^\]]+\]|_p(50|90|95))|level_share_\d+)$")

# A few paths and metrics each section must keep citing: guards the parsing below against
# silently finding nothing (a renamed marker would otherwise make every check vacuous).
REQUIRED_FIELDS = {
    "contact_level",
    "service_cycle[].customer_present",
    "service_cycle[].moment_of_truth",
    "segments[].expectations.wait.adequate",
    "satisfaction.loss_aversion",
    "satisfaction.cycle.worst",
    "staff.front[].proficiency",
    "proficiency.handle_time_ratio",
    "training.half_life",
    "training.programmes[].gain_per_hour",
    "variability.contact_ratio",
    "status_inquiry.interval",
    "service_level.target",
}
REQUIRED_METRICS = {
    "first_response_time",
    "average_response_time",
    "first_contact_resolution",
    "resolution_time",
    "repeated_questions_share",
    "service_level",
    "csat_mean",
    "nps",
    "occupancy[<pool>]",
    "stellar[<touchpoint>]",
    "procedural_score",
    "personal_score",
}


def _doc() -> str:
    return MODEL_DOC.read_text(encoding="utf-8")


def _paragraphs(text: str, marker: str) -> list[str]:
    """Paragraphs (blocks between blank lines) that start with the marker."""
    return [p for p in re.split(r"\n\s*\n", text) if p.lstrip().startswith(marker)]


def _tokens(text: str) -> list[str]:
    return BACKTICKED.findall(text)


def _members(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows: Annotated, unions and Optional unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def field_path_exists(path: str) -> bool:
    """Whether a documented path (``staff.front[].shifts[].start``) exists in the schema.

    ``[]`` steps into a list's items; a name steps into a model's field or a dict's values.
    A union (a pool name or a routing, one of six distributions) allows what any member allows.
    """
    if re.sub(r"[A-Za-z0-9_.\[\]]", "", path):
        return False
    current: list[Any] = [Scenario]
    for part in PATH_PART.findall(path):
        following: list[Any] = []
        for member in (m for c in current for m in _members(c)):
            origin = typing.get_origin(member)
            if part == "[]":
                if origin in (list, collections.abc.Sequence):
                    following.append(typing.get_args(member)[0])
            elif isinstance(member, type) and issubclass(member, BaseModel):
                field = member.model_fields.get(part)
                if field is not None:
                    following.append(field.annotation)
            elif origin in (dict, collections.abc.Mapping):
                key, value = typing.get_args(member)
                keys = typing.get_args(key) if typing.get_origin(key) is typing.Literal else ()
                if not keys or part in keys:
                    following.append(value)
        if not following:
            return False
        current = following
    return "".join(PATH_PART.findall(path)) == path.replace(".", "")


def is_result_name(name: str) -> bool:
    """A metric column servsim reports (declared in the catalogue), or a comparison row.

    ``name[<pool>]`` and ``name[<touchpoint>]`` stand for one column per pool or touchpoint and
    must match the metric's scope; ``_p50``, ``_p90``, ``_p95`` only follow time standards.
    """
    if name in COMPARISON_METRICS:
        return True
    placeholder = re.fullmatch(r"(.+)\[<(pool|touchpoint)>\]", name)
    if placeholder:
        metric = CATALOGUE.get(placeholder.group(1))
        return metric is not None and metric.scope == placeholder.group(2)
    return lookup(name) is not None


def _documented_paths(text: str) -> list[str]:
    """Backticked tokens that name a scenario field: in a "Set" paragraph, or by their head."""
    marked = [t for p in _paragraphs(text, SET_MARKER) for t in _tokens(p)]
    heads = set(Scenario.model_fields)
    elsewhere = [
        t
        for t in _tokens(text)
        if not FILE_NAME.search(t)
        and " " not in t
        and re.split(r"[.\[]", t, maxsplit=1)[0] in heads
    ]
    return marked + elsewhere


def _documented_metrics(text: str) -> list[str]:
    """Backticked tokens that name a metric: in a "Read" paragraph, or that look like one."""
    marked = [t for p in _paragraphs(text, READ_MARKER) for t in _tokens(p)]
    heads = set(Scenario.model_fields)
    elsewhere = [
        t
        for t in _tokens(text)
        if METRIC_LIKE.search(t)
        and " " not in t
        and re.split(r"[.\[]", t, maxsplit=1)[0] not in heads
        and not FILE_NAME.search(t)
    ]
    return marked + elsewhere


# --------------------------------------------------------------------------- the checker itself


@pytest.mark.parametrize(
    "path",
    [
        "contact_level",
        "service_cycle[].customer_present",
        "service_cycle[].served_by.fallback",  # a member of a union (pool name | routing)
        "service_cycle[].service_time.cv",  # a field of some of the six distributions
        "segments[].expectations.empathy.desired",
        "satisfaction.dimension_weights.empathy",  # a dict with literal keys
        "training.policy.every",  # an optional model
        "staff.back[].shifts[].days",
    ],
)
def test_field_path_checker_accepts_real_fields(path: str) -> None:
    assert field_path_exists(path)


@pytest.mark.parametrize(
    "path",
    [
        "service_cycle[].customer_presence",  # misspelt field
        "service_cycle.customer_present",  # a list must be stepped into with []
        "satisfaction[].loss_aversion",  # not a list
        "satisfaction.dimension_weights.kindness",  # not one of the five dimensions
        "staff.front[].lunch_breaks",  # not a field
        "service_cycle[].service_time.shape.mean",  # a number has no fields
        "segments[].name extra",
    ],
)
def test_field_path_checker_rejects_what_does_not_exist(path: str) -> None:
    assert not field_path_exists(path)


def test_result_name_checker() -> None:
    assert is_result_name("occupancy[<pool>]")
    assert is_result_name("resolution_time_p95")
    assert is_result_name("occupancy_mean")  # a contact-level comparison row
    assert not is_result_name("staffing_requirement")  # planned
    assert not is_result_name("occupancy_p90")  # percentiles follow time standards only
    assert not is_result_name("occupancy")  # a pool metric is one column per pool
    assert not is_result_name("stellar[<pool>]")
    assert not is_result_name("stellar")
    assert is_result_name("stellar[<touchpoint>]")


# --------------------------------------------------------------------------- docs/model.md


def test_model_doc_keeps_the_design_section_numbers() -> None:
    headings = re.findall(r"^#{2,3} (\d+b?)\. ", _doc(), flags=re.MULTILINE)
    assert tuple(headings) == SECTIONS


def test_every_section_says_what_to_set_and_what_to_read() -> None:
    sections = re.split(r"^## ", _doc(), flags=re.MULTILINE)
    numbered = {s.split(".", 1)[0]: s for s in sections if re.match(r"\d\.", s)}
    for number in ("1", "2", "3", "4", "5", "6", "7", "9"):
        assert SET_MARKER in numbered[number], f"section {number} has no '{SET_MARKER}'"
        assert READ_MARKER in numbered[number], f"section {number} has no '{READ_MARKER}'"


@pytest.mark.parametrize(
    ("what", "cited", "exists", "required"),
    [
        ("scenario fields", _documented_paths, field_path_exists, REQUIRED_FIELDS),
        ("result metrics", _documented_metrics, is_result_name, REQUIRED_METRICS),
    ],
)
def test_every_documented_name_exists(
    what: str,
    cited: Callable[[str], list[str]],
    exists: Callable[[str], bool],
    required: set[str],
) -> None:
    names = cited(_doc())
    stale = sorted({name for name in names if not exists(name)})
    assert not stale, f"docs/model.md cites {what} that do not exist: {stale}"
    dropped = sorted(required - set(names))
    assert not dropped, f"docs/model.md no longer cites these {what}: {dropped}"


def test_every_documented_table_column_exists() -> None:
    paragraphs = _paragraphs(_doc(), TABLES_MARKER)
    assert paragraphs
    columns = set(MOMENT_COLUMNS) | set(SATISFACTION_COLUMNS)
    cited = [t for p in paragraphs for t in _tokens(p) if not FILE_NAME.search(t)]
    assert cited
    assert not sorted(set(cited) - columns)


# --------------------------------------------------------------------------- self-contained docs


def _user_facing_files() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    files += sorted((ROOT / "src" / "servsim").rglob("*.py"))
    return files


def test_nothing_points_outside_the_repository() -> None:
    files = _user_facing_files()
    assert MODEL_DOC in files and len(files) > 10
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if "../shared" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"these files point at ../shared, which users never see: {offenders}"


def test_readme_points_at_the_model_page() -> None:
    assert "docs/model.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_shows_every_report_kind_in_both_languages() -> None:
    """Issue 13: screenshots of each report kind in English and Spanish, linked and real."""
    from PIL import Image, ImageStat

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/images/[^)]+\.png)\)", readme))
    kinds = ("run", "compare", "contact-levels", "sweep", "staffing")
    expected = {f"docs/images/report-{k}-{lang}.png" for k in kinds for lang in ("en", "es")}
    assert expected <= linked, sorted(expected - linked)
    for name in sorted(linked):
        path = ROOT / name
        assert path.is_file(), name
        with Image.open(path) as image:
            assert 600 <= image.width <= 1400 and 400 <= image.height <= 3000, name
            spread = ImageStat.Stat(image.convert("L")).stddev[0]
            assert spread > 10, f"{name} looks blank"
