"""``servsim report``: the HTML report and the figures, built from a saved run folder only."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import servsim
from servsim import plots
from servsim.analysis import ARCHETYPE_THRESHOLD
from servsim.cli import main
from servsim.report import build_report, referenced_figures
from servsim.results import RESOLVED_SCENARIO, RUN
from servsim.satisfaction import moment_touchpoints
from servsim.satisfaction_schema import LEVEL_NAMES

ROOT = Path(__file__).parents[1]
TRAINING_PLAN = ROOT / "scenarios" / "training_plan.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def short_training_plan(folder: Path) -> Path:
    """The training plan over 12 days: two pools, three touchpoints, the training in days 8-10.

    About half a second a replication, and every part of the report has something to show.
    """
    data = yaml.safe_load(TRAINING_PLAN.read_text(encoding="utf-8"))
    data["name"] = "short_training_plan"
    data["horizon"] = {"days": 12, "warm_up": "2h"}
    path = folder / "short_training_plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    scenario = short_training_plan(folder)
    results = folder / "results"
    assert main(["run", str(scenario), "-r", "2", "-o", str(results), "-q"]) == 0
    (run,) = (results / "short_training_plan").iterdir()
    return run


@pytest.fixture(scope="module")
def page(run_dir: Path) -> str:
    assert main(["report", str(run_dir)]) == 0
    report = run_dir / "report.html"
    assert report.is_file()
    return report.read_text(encoding="utf-8")


def section(page: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', page, re.DOTALL)
    assert match is not None, f"no section {name}"
    return match.group(1)


def test_report_names_the_scenario_and_its_run(page: str, run_dir: Path) -> None:
    assert "<h1>short_training_plan</h1>" in page
    assert "medium contact" in page
    assert "seed 303" in page
    assert "2 replications" in page
    assert run_dir.name in page


def test_report_shows_the_saved_first_response_time(page: str, run_dir: Path) -> None:
    summary = pd.read_csv(run_dir / "summary.csv", index_col="metric")
    mean = float(summary.loc["first_response_time", "mean"])
    assert not math.isnan(mean)
    # formatted independently of the report's code: seconds below 10 min, else minutes
    expected = f"{mean:.1f} s" if mean < 600 else f"{mean / 60:.1f} min"
    row = re.search(r"<tr[^>]*><td>first_response_time</td>.*?</tr>", section(page, "standards"))
    assert row is not None
    assert f'<td class="num">{expected}</td>' in row.group(0)
    for metric in (
        "average_response_time",
        "first_contact_resolution",
        "resolution_time",
        "repeated_questions_share",
    ):
        assert f"<td>{metric}</td>" in page


def test_report_lists_every_moment_of_truth_in_importance_performance(
    page: str, run_dir: Path
) -> None:
    """Medium contact: the calls are moments of truth, the technicians' check is not."""
    scenario = servsim.load_scenario(run_dir / RESOLVED_SCENARIO)
    judged = moment_touchpoints(scenario)
    assert judged == ["call", "callback"]
    grid = section(page, "importance-performance")
    for touchpoint in judged:
        assert f"<td>{touchpoint}</td>" in grid
    assert "<td>technical_check</td>" not in grid
    assert "concentrate here" in grid or "keep up the good work" in grid


def test_report_archetype_and_satisfaction(page: str, run_dir: Path) -> None:
    summary = pd.read_csv(run_dir / "summary.csv", index_col="metric")
    procedural = float(summary.loc["procedural_score", "mean"])
    archetype = section(page, "archetype")
    # the same words as `servsim run` prints (one formatter), the threshold read from analysis
    assert f"procedural {procedural:,.2f}" in archetype
    assert f"high from {ARCHETYPE_THRESHOLD:.2f}" in archetype
    assert any(name in archetype for name in ("freezer", "factory", "friendly zoo", "quality"))
    satisfaction = section(page, "satisfaction")
    assert "CSAT (1-5)" in satisfaction and "NPS" in satisfaction
    for name in LEVEL_NAMES.values():
        assert name in satisfaction


def test_every_referenced_figure_is_a_png(page: str, run_dir: Path) -> None:
    images = referenced_figures(page)
    assert len(images) == 5
    for image in images:
        path = run_dir / image
        assert path.is_file(), image
        assert path.read_bytes().startswith(PNG_SIGNATURE), image
    assert not list(run_dir.rglob("*.partial"))


def test_report_of_a_scenario_folder_uses_its_newest_run(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(run_dir.parent)]) == 0
    out = capsys.readouterr().out
    assert "newest" in out and run_dir.name in out


def test_report_without_optional_tables(run_dir: Path, tmp_path: Path) -> None:
    """Only the required files: the report still builds, and says what is not available."""
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in RUN.required:
        (bare / name).write_bytes((run_dir / name).read_bytes())
    text = build_report(bare).read_text(encoding="utf-8")
    assert "Not available" in section(text, "importance-performance")
    for image in referenced_figures(text):
        assert (bare / image).read_bytes().startswith(PNG_SIGNATURE)


def test_report_on_a_folder_that_is_not_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not a run", encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert "manifest.json" in message and "summary.csv" in message
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert RUN.missing(tmp_path) == list(RUN.required)


# --------------------------------------------------------------------------- plots


EMPTY_CALLS = (
    lambda: plots.waits_distribution(pd.DataFrame(), target=20.0),
    lambda: plots.moment_levels(pd.DataFrame()),
    lambda: plots.importance_performance_grid(pd.DataFrame()),
    lambda: plots.daily_profile(pd.DataFrame()),
    lambda: plots.staffing_over_time(pd.DataFrame()),
)


@pytest.mark.parametrize("draw", EMPTY_CALLS)
def test_plots_of_empty_tables_say_no_data(draw: object) -> None:
    figure = draw()  # type: ignore[operator]
    assert isinstance(figure, Figure)
    texts = [t.get_text() for axes in figure.axes for t in axes.texts]
    assert any("no" in text for text in texts)


def test_moment_levels_bars_sum_to_one_per_touchpoint() -> None:
    rng = np.random.default_rng(5)
    moments = pd.DataFrame(
        {
            "replication": np.repeat([0, 1], 150),
            "touchpoint": rng.choice(["call", "check", "callback"], size=300),
            "level": rng.integers(1, 6, size=300),
        }
    )
    figure = plots.moment_levels(moments, ["call", "check", "callback"])
    (axes,) = figure.axes
    totals: dict[float, float] = {}
    for patch in axes.patches:
        if isinstance(patch, Rectangle):
            x = round(patch.get_x() + patch.get_width() / 2, 6)
            totals[x] = totals.get(x, 0.0) + patch.get_height()
    assert len(totals) == 3
    assert all(math.isclose(total, 1.0, abs_tol=1e-12) for total in totals.values())
    labels = [tick.get_text() for tick in axes.get_xticklabels()]
    assert labels == ["call", "check", "callback"]


def test_plots_of_a_run_draw_every_pool(run_dir: Path) -> None:
    staffing = pd.read_parquet(run_dir / "staffing.parquet")
    figure = plots.staffing_over_time(staffing, days=1.0)
    labels = {line.get_label() for line in figure.axes[0].get_lines()}
    assert {"agents", "technicians"} <= labels
    visits = pd.read_parquet(run_dir / "visits.parquet")
    figure = plots.waits_distribution(visits, target=60.0)
    ecdf_labels = [str(line.get_label()) for line in figure.axes[1].get_lines()]
    assert any(label.startswith("agents") for label in ecdf_labels)


def test_report_judges_the_service_level_goal_from_the_saved_summary(
    page: str, run_dir: Path
) -> None:
    summary = pd.read_csv(run_dir / "summary.csv", index_col="metric")
    resolved = yaml.safe_load((run_dir / RESOLVED_SCENARIO).read_text(encoding="utf-8"))
    goal = float(resolved["service_level"]["goal"])
    row = summary.loc["service_level_offered"]
    expected = (
        "met" if row["ci_low"] >= goal else "missed" if row["ci_high"] < goal else "uncertain"
    )
    paragraph = re.search(r'<p id="goal"[^>]*>(.*?)</p>', section(page, "standards"), re.DOTALL)
    assert paragraph is not None
    assert f"{goal:.0%} within" in paragraph.group(1)
    assert f"<strong>{expected}" in paragraph.group(1)
