"""``servsim report``: the HTML report and the figures, built from a saved run folder only.

The run report is read as a manager reads it: the summary's verdicts are checked against the
saved summary and the scenario's goal, the blueprint against the service cycle, the Spanish page
against the catalogue's Spanish labels and definitions.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
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
from servsim.catalogue import CATALOGUE, lookup
from servsim.cli import main
from servsim.language import text
from servsim.presentation import metric_label
from servsim.report import (
    aggregate_warnings,
    blueprint_cells,
    build_report,
    referenced_figures,
    utility_level,
)
from servsim.results import MANIFEST, RESOLVED_SCENARIO, RUN
from servsim.satisfaction import moment_touchpoints
from servsim.satisfaction_schema import LEVEL_NAMES
from servsim.scenario import resolve_scenario

ROOT = Path(__file__).parents[1]
TRAINING_PLAN = ROOT / "scenarios" / "training_plan.yaml"
BANK_MEDIUM = ROOT / "scenarios" / "bank_account_medium.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURE_COUNT = 6
"""The interval view, waits, moment levels, importance-performance, day by day, staffing."""


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


@pytest.fixture(scope="module")
def page_es(run_dir: Path, page: str) -> str:
    """The same run's report in Spanish (built after the English one, which it replaces)."""
    return build_report(run_dir, "es").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / "summary.csv", index_col="metric")


def bare_copy(run_dir: Path, target: Path) -> Path:
    """A copy of the run's required files only (manifest, summary, resolved scenario)."""
    target.mkdir()
    for name in RUN.required:
        (target / name).write_bytes((run_dir / name).read_bytes())
    return target


def cells_text(fragment: str) -> str:
    """The text of an HTML fragment: tags removed, entities unescaped, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


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
    assert '<html lang="en">' in page


def test_the_page_opens_with_the_decision(page: str) -> None:
    """Summary first, then inputs, blueprint, interval view, standards."""
    order = [
        page.index(f'<section id="{name}">')
        for name in ("summary", "inputs", "blueprint", "intervals", "standards")
    ]
    assert order == sorted(order)


def test_summary_judges_each_goal_from_the_saved_summary(
    page: str, page_es: str, run_dir: Path, summary: pd.DataFrame
) -> None:
    """Overall and per pool: the verdict is the saved 95% CI against the scenario's goal."""
    resolved = yaml.safe_load((run_dir / RESOLVED_SCENARIO).read_text(encoding="utf-8"))
    goal = float(resolved["service_level"]["goal"])
    for language, text_of_page in (("en", page), ("es", page_es)):
        items = re.findall(
            r'<li class="goal" data-metric="([^"]+)" data-verdict="([^"]+)">(.*?)</li>',
            section(text_of_page, "summary"),
            re.DOTALL,
        )
        metrics = [metric for metric, _, _ in items]
        assert metrics[0] == "service_level_offered"  # the scenario's headline convention
        assert "pool_service_level[agents]" in metrics
        assert "pool_service_level[technicians]" not in metrics  # a back office has none
        for metric, verdict, body in items:
            low, high = summary.loc[metric, "ci_low"], summary.loc[metric, "ci_high"]
            expected = "met" if low >= goal else "missed" if high < goal else "uncertain"
            assert verdict == expected, metric
            assert text(f"goal.{expected}", language) in cells_text(body)
            mean = summary.loc[metric, "mean"]
            shown = f"{mean * 100:.1f}% [{low * 100:.1f}% .. {high * 100:.1f}%]"
            if language == "es":  # the decimal comma, and a space before % (RAE, ISO 80000)
                shown = shown.replace(".", ",").replace("%", " %").replace(",,", "..")
            assert shown in body
            assert (f"{goal:.0%}" if language == "en" else f"{goal * 100:.0f} %") in body


def test_summary_costs_in_the_scenario_currency(
    page: str, summary: pd.DataFrame, run_dir: Path, tmp_path: Path
) -> None:
    body = section(page, "summary")
    for metric in ("staff_cost", "cost_per_resolved_issue"):
        assert f"{summary.loc[metric, 'mean']:,.2f} EUR" in body, metric
    # the currency comes from the scenario: a run in pesos is reported in pesos
    bare = bare_copy(run_dir, tmp_path / "pesos")
    resolved = yaml.safe_load((bare / RESOLVED_SCENARIO).read_text(encoding="utf-8"))
    resolved.setdefault("reporting", {})["currency"] = "MXN"
    (bare / RESOLVED_SCENARIO).write_text(yaml.safe_dump(resolved), encoding="utf-8")
    pesos = section(build_report(bare).read_text(encoding="utf-8"), "summary")
    assert f"{summary.loc['staff_cost', 'mean']:,.2f} MXN" in pesos
    assert "EUR" not in pesos


def test_summary_satisfaction_level_archetype_and_moments_to_act_on(
    page: str, page_es: str, summary: pd.DataFrame, run_dir: Path
) -> None:
    csat = float(summary.loc["csat_mean", "mean"])
    level = min(5, max(1, math.floor(csat + 0.5)))
    body = section(page, "summary")
    assert f"level {level}, {LEVEL_NAMES[level]}" in cells_text(body)
    procedural = float(summary.loc["procedural_score", "mean"])
    assert f"procedural {procedural:.2f}" in body
    assert f"high from {ARCHETYPE_THRESHOLD:.2f}" in body
    assert any(name in body for name in ("freezer", "factory", "friendly zoo", "quality"))
    # the first moments of the importance-performance order, at most three
    act = re.search(r"Moments of truth to act on first</h3>(.*?)</table>", body, re.DOTALL)
    assert act is not None
    scenario = servsim.load_scenario(run_dir / RESOLVED_SCENARIO)
    judged = moment_touchpoints(scenario)
    named = re.findall(r"<tr[^>]*><td[^>]*>(\d)</td><td>([^<]+)</td>", act.group(1))
    assert [int(p) for p, _ in named] == list(range(1, min(3, len(judged)) + 1))
    assert {tp for _, tp in named} <= set(judged)
    es = cells_text(section(page_es, "summary"))
    assert f"nivel {level}, {text(f'term.level.{level}', 'es')}" in es
    assert text("report.act_first", "es") in es


def test_warnings_are_aggregated_one_line_per_distinct_warning() -> None:
    overload = (
        "pool 'agents' overloaded in 3 of 5 replications: busy 97%–99% of its time on the "
        "floor, 120–150 customers still waiting at the horizon. Demand looks beyond its "
        "capacity and the time measures of those who finished understate what customers "
        "live: add staff to 'agents' or shorten its service."
    )
    saved = [
        "replication 0: the counts file ends early",
        "replication 3: the counts file ends early",
        "replication 4: the counts file ends early",
        overload,
        "replications: auto stopped at the cap",
    ]
    lines = aggregate_warnings(saved, 5)
    assert [(line.replications, line.of) for line in lines] == [(3, 5), (3, 5), (None, 5)]
    assert lines[0].text == "the counts file ends early"
    assert lines[1].text == overload  # an old run's text is shown as saved, never guessed at
    assert aggregate_warnings(saved, 5, "es")[1].text == overload


def test_the_page_shows_each_warning_once_with_its_count(run_dir: Path, tmp_path: Path) -> None:
    bare = bare_copy(run_dir, tmp_path / "warned")
    manifest = json.loads((bare / MANIFEST).read_text(encoding="utf-8"))
    manifest["warnings"] = [f"replication {r}: something odd" for r in range(2)]
    (bare / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    for language in ("en", "es"):
        summary_html = section(build_report(bare, language).read_text(encoding="utf-8"), "summary")
        items = re.findall(r'<li class="warning">(.*?)</li>', summary_html, re.DOTALL)
        assert len(items) == 1
        assert "something odd" in items[0]
        assert text("report.warning.count", language, n=2, of=2) in items[0]


def blueprint(page: str) -> list[tuple[str, str, str, int]]:
    """(touchpoint, lane, visible, position in the page) of each blueprint cell."""
    body = section(page, "blueprint")
    line = body.index('class="line"')
    return [
        (m.group(1), m.group(2), m.group(3), m.start() - line)
        for m in re.finditer(
            r'data-touchpoint="([^"]+)" data-lane="([^"]+)" data-visible="([^"]+)"', body
        )
    ]


def test_blueprint_follows_the_service_cycle_split_by_visibility(
    page: str, page_es: str, run_dir: Path
) -> None:
    """Front line above the line of visibility, the technicians' check below it."""
    scenario = servsim.load_scenario(run_dir / RESOLVED_SCENARIO)
    cycle = [tp.name for tp in scenario.service_cycle]
    for text_of_page in (page, page_es):
        cells = blueprint(text_of_page)
        # lanes are rows, so the customer's order is read column by column
        by_column = {tp: cycle.index(tp) for tp, _, _, _ in cells}
        assert sorted(by_column, key=by_column.__getitem__) == cycle
        assert {tp: lane for tp, lane, _, _ in cells} == {
            "call": "front",
            "technical_check": "back",
            "callback": "front",
        }
        for tp, lane, visible, offset in cells:
            above = offset < 0
            assert above == (visible == "true") == (lane != "back"), tp
        columns = re.findall(
            r'data-touchpoint="([^"]+)"[^>]*style="grid-column: (\d+)"', text_of_page
        )
        assert [tp for tp, _ in sorted(columns, key=lambda c: int(c[1]))] == cycle
    assert text("term.line_of_visibility", "es").capitalize() in page_es


def test_blueprint_cells_of_a_medium_contact_bank(tmp_path: Path) -> None:
    """Intake call in front, the decoupled document check below the line, the letter is support."""
    scenario = resolve_scenario(servsim.load_scenario(BANK_MEDIUM))
    summary = pd.DataFrame(
        {"mean": [0.31, -1.5]},
        index=["moment_utility[intake_call]", "moment_utility[welcome_pack]"],
    )
    cells = blueprint_cells(scenario, summary, pd.DataFrame())
    assert [c.touchpoint for c in cells] == ["intake_call", "document_check", "welcome_pack"]
    assert [c.lane for c in cells] == ["front", "back", "physical"]
    assert [c.visible for c in cells] == [True, False, True]
    assert [c.judged for c in cells] == [True, False, True]
    assert [c.level for c in cells] == [4, None, 1]  # 0.31 is above the zone (0.30): desired
    assert all(math.isnan(c.wait) for c in cells)


@pytest.mark.parametrize(
    ("x", "level"), [(-1.0, 1), (-0.4, 2), (0.0, 2), (0.6, 3), (1.2, 4), (2.0, 5)]
)
def test_utility_level_is_the_level_of_a_moment_with_that_utility(x: float, level: int) -> None:
    from servsim.satisfaction import moment_level, moment_utility

    assert moment_level(x) == level
    assert utility_level(float(moment_utility(x)), None) == level


def test_standards_show_labels_values_and_definitions(page: str, summary: pd.DataFrame) -> None:
    body = section(page, "standards")
    rows = re.findall(
        r"<tr[^>]*><td>(.*?)<br><code class=\"hint\">([^<]+)</code></td>"
        r"<td class=\"num\">([^<]*)</td><td>([^<]*)</td></tr>",
        body,
    )
    shown = {
        html.unescape(column): (label, value, definition)
        for label, column, value, definition in rows
    }
    for column in (
        "first_response_time",
        "average_response_time",
        "first_contact_resolution",
        "resolution_time",
        "repeated_questions_share",
        "occupancy[agents]",
        "wait_mean[technicians]",
    ):
        label, _, definition = shown[column]
        assert html.unescape(label) == metric_label(column, "en")
        found = lookup(column)
        assert found is not None and html.unescape(definition) == found.metric.definition
    mean = float(summary.loc["first_response_time", "mean"])
    # formatted independently of the report's code: seconds below 10 min, else minutes
    expected = f"{mean:.1f} s" if mean < 600 else f"{mean / 60:.1f} min"
    assert shown["first_response_time"][1].startswith(expected + " [")
    # no snake_case shown to the reader outside the small code hints
    without_hints = re.sub(r'<code class="hint">[^<]*</code>', "", body)
    assert "first_response_time" not in without_hints


def test_spanish_report_has_no_english_label_left(page_es: str) -> None:
    assert '<html lang="es">' in page_es
    body = section(page_es, "standards")
    rows = re.findall(
        r"<td>(.*?)<br><code class=\"hint\">([^<]+)</code></td><td class=\"num\">[^<]*</td>"
        r"<td>([^<]*)</td>",
        body,
    )
    assert len(rows) > 20
    for label, column, definition in rows:
        column = html.unescape(column)
        found = lookup(column)
        assert found is not None
        assert html.unescape(label) == metric_label(column, "es"), column
        assert html.unescape(definition) == found.metric.definition_es, column
        assert found.metric.definition_es and definition != found.metric.definition
    satisfaction = section(page_es, "satisfaction")
    english_only = {m.label_en for m in CATALOGUE.values() if m.label_en != m.label_es}
    cells = set(re.findall(r"<td>([^<]+)</td>", satisfaction))
    assert not cells & english_only
    for name, key in (
        ("summary", "report.summary"),
        ("inputs", "report.inputs"),
        ("blueprint", "report.blueprint"),
        ("intervals", "report.intervals"),
        ("standards", "report.standards"),
    ):
        assert section(page_es, name).startswith(f"<h2>{html.escape(text(key, 'es'))}</h2>")
    for english in ("Summary", "Service blueprint", "Interval view", "keep up the good work"):
        assert english not in page_es


def test_inputs_show_demand_staffing_and_the_cycle(page: str, run_dir: Path) -> None:
    body = section(page, "inputs")
    days = pd.read_parquet(run_dir / "days.parquet")
    per_day = days.groupby("pool")["offered"].sum() / days["day"].nunique()
    totals = re.search(r'<tr class="standard"><td>per day</td>(.*?)</tr>', body)
    assert totals is not None
    assert f"{per_day['agents']:.1f}" in totals.group(1)
    assert "07:45–14:30" in body and "14:30–21:15" in body and "08:00–20:00" in body
    assert "24.00 EUR" in body and "35.00 EUR" in body
    scenario = servsim.load_scenario(run_dir / RESOLVED_SCENARIO)
    names = [tp.name for tp in scenario.service_cycle]
    cycle = body[body.index("Service cycle") :]
    positions = [cycle.index(f"<td>{name}</td>") for name in names]
    assert positions == sorted(positions)


def test_interval_view_has_its_figure_and_the_days(page: str, run_dir: Path) -> None:
    body = section(page, "intervals")
    (image,) = referenced_figures(body)
    assert image == "figures/interval_view.png"
    days = pd.read_parquet(run_dir / "days.parquet")
    assert body.count("<tr>") == len(days) + 1


def test_every_referenced_figure_is_a_png(page: str, page_es: str, run_dir: Path) -> None:
    for text_of_page, suffix in ((page, ".png"), (page_es, ".es.png")):
        images = referenced_figures(text_of_page)
        assert len(images) == FIGURE_COUNT
        for image in images:
            assert image.endswith(suffix)
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
    bare = bare_copy(run_dir, tmp_path / "bare")
    text_of_page = build_report(bare).read_text(encoding="utf-8")
    assert "Not available" in section(text_of_page, "summary")
    assert "Not available" in section(text_of_page, "intervals")
    for image in referenced_figures(text_of_page):
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
    lambda: plots.interval_view(pd.DataFrame()),
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


def test_waits_have_a_row_per_pool_unclipped_and_without_a_legend(run_dir: Path) -> None:
    """Each pool on its own axes reaching past its longest wait; no legend over the curves."""
    visits = pd.read_parquet(run_dir / "visits.parquet")
    served = visits[(visits["pool"] != "") & visits["started"].notna()]
    longest = (served["started"] - served["queued"]).groupby(served["pool"]).max()
    figure = plots.waits_distribution(visits, target=60.0)
    assert len(figure.axes) == 2 * len(longest)
    for row, pool in enumerate(dict.fromkeys(served["pool"])):
        histogram, ecdf = figure.axes[2 * row], figure.axes[2 * row + 1]
        assert ecdf.get_title().startswith(f"{pool}: no wait")
        for axes in (histogram, ecdf):
            assert axes.get_xlim()[1] >= longest[pool]
            assert axes.get_legend() is None
    # the technicians' overnight waits do not set the agents' scale
    assert figure.axes[0].get_xlim()[1] < figure.axes[2].get_xlim()[1]


def daily(training_hours: float, proficiency: Sequence[float]) -> pd.DataFrame:
    days = len(proficiency)
    return pd.DataFrame(
        {
            "day": np.arange(1, days + 1),
            "pool": "agents",
            "staff_hours": 100.0,
            "training_hours": [training_hours] + [0.0] * (days - 1),
            "proficiency": proficiency,
            "wait_mean": 30.0,
        }
    )


def test_daily_profile_leaves_out_proficiency_without_training() -> None:
    flat = plots.daily_profile(daily(0.0, [0.8, 0.8 + 1e-9, 0.8]))
    assert len(flat.axes) == 2
    assert not any("proficiency" in axes.get_ylabel() for axes in flat.axes)
    trained = plots.daily_profile(daily(16.0, [0.55, 0.6, 0.71]))
    assert len(trained.axes) == 3
    assert any("proficiency" in axes.get_ylabel() for axes in trained.axes)


def test_staffing_shows_demand_on_a_clock(run_dir: Path) -> None:
    staffing = pd.read_parquet(run_dir / "staffing.parquet")
    intervals = pd.read_parquet(run_dir / "intervals.parquet")
    figure = plots.staffing_over_time(staffing, days=1.0, intervals=intervals)
    staff, demand = figure.axes
    labels = {line.get_label() for line in staff.get_lines()}
    assert {"agents", "technicians"} <= labels
    assert {line.get_label() for line in demand.get_lines()} >= {"agents", "technicians"}
    ticks = [tick.get_text() for tick in demand.get_xticklabels()]
    assert ticks[0] == "Mon 00:00" and "12:00" in ticks
    spanish = plots.staffing_over_time(staffing, 1.0, intervals, language="es")
    assert spanish.axes[-1].get_xticklabels()[0].get_text() == "lun 00:00"


def test_interval_view_per_pool_in_the_language(run_dir: Path) -> None:
    intervals = pd.read_parquet(run_dir / "intervals.parquet")
    figure = plots.interval_view(intervals, goal=0.8, language="es")
    # agents: demand, staff, service level; technicians (back office): demand, staff
    assert len(figure.axes) == 5
    assert figure.get_suptitle() == text("plot.intervals.title", "es")
    goal_lines = [
        line for axes in figure.axes for line in axes.get_lines() if "meta" in line.get_label()
    ]
    assert len(goal_lines) == 1 and goal_lines[0].get_ydata()[0] == 0.8


def test_figures_speak_the_language() -> None:
    moments = pd.DataFrame({"touchpoint": ["call"] * 5, "level": [1, 2, 3, 4, 5]})
    figure = plots.moment_levels(moments, language="es")
    (axes,) = figure.axes
    assert axes.get_title() == "momentos de verdad por nivel"
    legend = axes.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()][4] == "5 asombroso"


def test_spanish_figures_write_decimal_commas_on_number_ticks_only() -> None:
    """Issue 13: a Spanish page's figures write ``2,5`` where an English one writes ``2.5``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from servsim.plots import decimal_comma

    def labels(language: str) -> tuple[list[str], list[str]]:
        figure = Figure()
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.bar(["helpdesk.plus_two", "base"], [0.5, 2.5])
        if language == "es":
            decimal_comma(figure)
        figure.canvas.draw()
        return (
            [t.get_text() for t in axes.get_xticklabels()],
            [t.get_text() for t in axes.get_yticklabels() if t.get_text()],
        )

    english_x, english_y = labels("en")
    spanish_x, spanish_y = labels("es")
    assert any("." in label for label in english_y)
    assert spanish_y == [label.replace(".", ",") for label in english_y]
    assert spanish_x == english_x == ["helpdesk.plus_two", "base"]  # names keep their points
