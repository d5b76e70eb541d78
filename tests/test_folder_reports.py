"""Reports of comparison, contact-level, sweep and staffing folders, built from saved files.

Small real folders are made once per module through the commands a user types (one-day
horizons, two or three replications); every report is then rebuilt from those files alone, in
English and in Spanish, and opened in headless Chromium with the run report's harness.
"""

from __future__ import annotations

import html
import math
import re
import shutil
from pathlib import Path

import pytest
import yaml
from matplotlib.text import Text
from test_report_browser import HEIGHT, LAPTOP, browser, load_in_chromium
from test_report_browser import problems as run_problems

from servsim import folder_report, results
from servsim.catalogue import CATALOGUE
from servsim.cli import main
from servsim.folder_report import build_folder_report, difference_rows, verdict_of
from servsim.presentation import format_value
from servsim.report import referenced_figures

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
KINDS = ("compare", "levels", "sweep", "sweep1", "staffing")
SECTIONS = {
    "compare": ("scenarios", "differences", "inputs"),
    "levels": ("levels", "staffing", "sensitivities", "tradeoff"),
    "sweep": ("parameters", "metrics", "heatmap", "failures"),
    "sweep1": ("parameters", "metrics", "failures"),
    "staffing": ("plan", "shifts", "cost", "targets"),
}
"""The ``<section id>``s each kind's report has, each with an ``<h2>``."""
COST_PER_HOUR = 20.0


def _one_day(source: Path, target: Path, **changes: object) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["horizon"] = {"days": 1, "warm_up": "1h"}
    data.update(changes)
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def _only(folder: Path) -> Path:
    (found,) = [p for p in folder.iterdir() if not p.name.startswith(".")]
    return found


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder of each kind, made by the commands (about 30 s in all)."""
    work = tmp_path_factory.mktemp("folder_reports")
    out = work / "results"
    helpdesk = _one_day(SCENARIOS / "helpdesk.yaml", work / "helpdesk.yaml")
    bank = _one_day(SCENARIOS / "bank_account_medium.yaml", work / "bank.yaml")
    textbook = yaml.safe_load((SCENARIOS / "validation" / "mmc_textbook.yaml").read_text())
    textbook["staff"]["front"][0]["cost_per_hour"] = COST_PER_HOUR
    mmc = _one_day(
        SCENARIOS / "validation" / "mmc_textbook.yaml",
        work / "mmc.yaml",
        staff=textbook["staff"],
        reporting={"currency": "USD"},
    )
    quiet = ["-o", str(out), "-q"]
    assert main(["compare", str(helpdesk), "-r", "2", "--workers", "1", *quiet]) == 0
    assert main(["contact-levels", str(bank), "--derive", "-r", "2", *quiet]) == 0
    assert main(["staff", str(mmc), "-t", "service_level>=0.8@20s", "-t", "csat_mean>=3",
                 "--shift", "8h@00:00-16:00/2h", "-r", "2", *quiet]) == 0  # fmt: skip
    sweeps = {
        "sweep": {
            "staff.front.agents.shifts[0].headcount": [5, 7],
            "staff.front.agents.proficiency": [0.6, 0.9],
        },
        "sweep1": {"staff.front.agents.shifts[0].headcount": [5, 6, 7]},
    }
    for name, parameters in sweeps.items():
        spec = {"name": name, "base": "helpdesk.yaml", "replications": 2, "seed": 1,
                "parameters": parameters}  # fmt: skip
        (work / f"{name}.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
        assert main(["sweep", str(work / f"{name}.yaml"), "--workers", "1", *quiet]) == 0
    return {
        "compare": _only(out / "compare" / "helpdesk"),
        "levels": _only(out / "contact-levels" / "bank_account_medium"),
        "staffing": _only(out / "staffing" / "mmc_textbook"),
        "sweep": out / "sweeps" / "sweep",
        "sweep1": out / "sweeps" / "sweep1",
    }


@pytest.fixture(scope="module")
def reports(folders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every folder's report: in English by ``servsim report`` (in place), in Spanish by
    :func:`build_folder_report` (in a copy). Keys ``kind/language``."""
    spanish = tmp_path_factory.mktemp("spanish")
    out = {}
    for kind, folder in folders.items():
        assert main(["report", str(folder)]) == 0, kind
        out[f"{kind}/en"] = folder / "report.html"
        copy = shutil.copytree(folder, spanish / kind)
        out[f"{kind}/es"] = build_folder_report(copy, "es")
    return out


def _page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _section(page: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', page, re.DOTALL)
    assert found is not None, f"no section #{name}"
    return found.group(1)


# --------------------------------------------------------------------------- comparison


def test_the_difference_figure_rows_are_the_saved_differences_with_their_signs(
    folders: dict[str, Path], reports: dict[str, Path]
) -> None:
    saved = results.load_comparison(folders["compare"])
    differences = saved.differences.set_index(["scenario", "metric"])
    page = _page(reports["compare/en"])
    section = _section(page, "differences")
    others = saved.names[1:]
    figures = re.findall(r'<figure class="differences" data-scenario="([^"]+)"', section)
    assert figures == others
    tables = re.findall(r'<table class="differences">(.*?)</table>', section, re.DOTALL)
    assert len(tables) == len(others)
    for other, table in zip(others, tables, strict=True):
        rows = difference_rows(saved, other)
        shown = re.findall(r'data-metric="([^"]+)" data-sign="([+0-])"', table)
        assert [metric for metric, _ in shown] == [r.metric for r in rows]
        assert len(rows) >= 10
        for metric, sign in shown:
            saved_difference = float(differences.loc[(other, metric), "difference"])
            expected = "0" if saved_difference == 0 else "+" if saved_difference > 0 else "-"
            assert sign == expected, (other, metric)
        for row in rows:
            assert row.row.difference == pytest.approx(
                differences.loc[(other, row.metric), "difference"]
            )
    for path in referenced_figures(page):
        assert (folders["compare"] / path).is_file()


def test_a_zero_width_difference_is_exact_never_significant(
    folders: dict[str, Path], reports: dict[str, Path]
) -> None:
    """Two more agents cost a fixed amount more in every replication: saved and reported as
    exact, never significant."""
    saved = results.load_comparison(folders["compare"])
    plus_two = next(n for n in saved.names if n.endswith("plus_two"))
    cost = saved.differences[
        (saved.differences["scenario"] == plus_two) & (saved.differences["metric"] == "staff_cost")
    ].iloc[0]
    assert cost["ci_low"] == cost["ci_high"] > 0  # deterministic: staffing is fixed
    assert bool(cost["exact"]) and not bool(cost["significant"])
    (row,) = [r for r in difference_rows(saved, plus_two) if r.metric == "staff_cost"]
    assert row.row.verdict == "exact"
    table = _section(_page(reports["compare/en"]), "differences")
    assert re.search(r'class="exact" data-metric="staff_cost" data-sign="\+"', table)
    assert not re.search(r'class="significant" data-metric="staff_cost"', table)
    assert "EUR" in row.row.text  # money with the scenario's currency


@pytest.mark.parametrize(
    ("difference", "low", "high", "note", "verdict"),
    [
        (500.0, 500.0, 500.0, "", "exact"),
        (0.0, 0.0, 0.0, "", "exact"),
        (1.0, 0.5, 1.5, "", "significant"),
        (-1.0, -1.5, -0.5, "", "significant"),
        (0.2, -0.1, 0.5, "", "not_significant"),
        (0.2, math.nan, math.nan, "", "not_significant"),
        (math.nan, math.nan, math.nan, "not comparable: targets differ", "not_comparable"),
    ],
)
def test_verdicts(difference: float, low: float, high: float, note: str, verdict: str) -> None:
    assert verdict_of(difference, low, high, note) == verdict


# --------------------------------------------------------------------------- sweeps


@pytest.mark.parametrize(("kind", "parameters"), [("sweep", 2), ("sweep1", 1)])
def test_a_sweep_has_one_panel_per_parameter_and_a_heatmap_for_two(
    reports: dict[str, Path], kind: str, parameters: int
) -> None:
    page = _page(reports[f"{kind}/en"])
    panels = re.findall(r'<figure class="sweep-panel" data-parameter="([^"]+)"', page)
    assert len(panels) == parameters == len(set(panels))
    assert ('<section id="heatmap">' in page) == (parameters == 2)
    assert ("figures/heatmap.png" in page) == (parameters == 2)
    saved = results.load_sweep_folder(reports[f"{kind}/en"].parent)
    assert panels == saved.parameters


# --------------------------------------------------------------------------- staffing


def test_the_staffing_report_states_the_saved_cost_in_the_currency(
    folders: dict[str, Path], reports: dict[str, Path]
) -> None:
    saved = results.load_staffing(folders["staffing"])
    cost = float(saved.manifest["cost"])
    assert cost > 0
    section = _section(_page(reports["staffing/en"]), "cost")
    found = re.search(r'data-cost="([^"]+)" data-currency="([^"]*)"', section)
    assert found is not None
    assert float(found.group(1)) == cost and found.group(2) == "USD"
    assert html.escape(format_value(cost, "money", "USD")) in section
    targets = _section(_page(reports["staffing/en"]), "targets")
    assert targets.count("<tr>") + targets.count("<tr class") == len(saved.targets) + 1
    assert "service_level&gt;=0.8@20s" in targets and "csat_mean&gt;=3" in targets


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize("kind", KINDS)
def test_the_spanish_report_speaks_spanish(reports: dict[str, Path], kind: str) -> None:
    page = _page(reports[f"{kind}/es"])
    assert '<html lang="es">' in page
    assert not re.search(r"\bfolder\.[a-z_]+", page)  # no message key in place of a sentence
    english = _page(reports[f"{kind}/en"])
    labels = {
        "compare": "csat_mean",
        "levels": "cost_per_resolved_issue",
        "sweep": "csat_mean",
        "sweep1": "csat_mean",
        "staffing": None,
    }[kind]
    if labels is not None:
        metric = CATALOGUE[labels]
        assert html.escape(metric.label_es) in page, metric.label_es
        assert html.escape(metric.label_en) in english
    for section in SECTIONS[kind]:
        assert f'<section id="{section}">' in page and f'<section id="{section}">' in english


def test_the_contact_level_report_uses_the_domain_terms(reports: dict[str, Path]) -> None:
    page = _page(reports["levels/es"])
    for term in ("nivel de contacto", "alto contacto", "bajo contacto", "personal de contacto"):
        assert term in page, term
    assert "staff_hours_total" not in re.sub(r"<code>.*?</code>", "", page)


def test_the_staffing_figure_speaks_the_report_language(folders: dict[str, Path]) -> None:
    """The staffing plan is drawn by plots.staffing_plan in English, then relabelled."""
    saved = results.load_staffing(folders["staffing"])
    page = folder_report._Page(folders["staffing"], "es", [])
    figure = folder_report._staffing_figure(page, saved.intervals, 0.8)
    texts = {t.get_text() for t in figure.findobj(Text)}
    assert {"plan de personal", "programado", "logrado", "meta 80 %", "día y hora"} <= texts
    assert not texts & {"staffing plan", "scheduled", "achieved", "goal 80%", "day and time of day"}


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("kind", KINDS)
def test_servsim_report_builds_every_kind(reports: dict[str, Path], kind: str) -> None:
    """The English reports were written by ``servsim report`` (exit 0 checked there)."""
    page = _page(reports[f"{kind}/en"])
    assert '<html lang="en">' in page
    for path in referenced_figures(page):
        assert (reports[f"{kind}/en"].parent / path).is_file(), path


def test_servsim_report_on_a_folder_of_comparisons_takes_the_newest(
    folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(folders["compare"].parent)]) == 0
    assert folders["compare"].name in " ".join(capsys.readouterr().out.split())


# --------------------------------------------------------------------------- in a browser


def _problems(findings: dict[str, object], width: int, kind: str) -> list[str]:
    """The run report's checks, with this kind's sections instead of the run's."""
    found = [p for p in run_problems(findings, width) if not p.startswith("missing section")]
    sections = {s["id"]: s["heading"] for s in findings["sections"]}  # type: ignore[attr-defined]
    for name in SECTIONS[kind]:
        if not (sections.get(name) or "").strip():
            found.append(f"missing section #{name} (or its <h2>)")
    return found


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", ["compare", "levels", "sweep", "staffing"])
@pytest.mark.parametrize("width", [1280, 800])
def test_folder_reports_in_chromium(
    reports: dict[str, Path], kind: str, language: str, width: int
) -> None:
    """No error, every image loaded, nothing wider than the window, every section there."""
    executable = browser()
    page = reports[f"{kind}/{language}"]
    findings = load_in_chromium(executable, page, width)
    assert len(findings["images"]) == len(referenced_figures(_page(page))) > 0
    found = _problems(findings, width, kind)
    assert not found, f"{kind} report ({language}) at {width}x{HEIGHT}:\n" + "\n".join(found)
    if width >= LAPTOP:  # a laptop shows (and prints) every table whole, none scrolled aside
        assert findings["scrollable"] == [], (kind, language, findings["scrollable"])
