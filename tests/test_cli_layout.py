"""The command line at 80 and 120 columns, in English and Spanish, costs in their currency.

Every command that prints a table is run at both widths and its output read as a person would:
no line wider than the terminal, every metric label whole (a word split across a line break
inside a cell shows as ``respon se`` in the joined label column), the saved folder's path alone
on one line so it can be copied. Scenarios are the light M/M/c cut to a quarter of a day with
two or three replications, so each command takes a second or two.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from servsim.catalogue import CATALOGUE, STANDARDS
from servsim.cli import main
from servsim.language import Language, messages, text
from servsim.terminal import Column, Grid, Voice, fitted, print_prose, wrapped

ROOT = Path(__file__).parents[1]
LIGHT = ROOT / "scenarios" / "validation" / "mmc_light.yaml"
SOURCES = [ROOT / "src" / "servsim" / name for name in ("cli.py", "staffing_cli.py", "terminal.py")]
WIDTHS = (80, 120)


@pytest.fixture(autouse=True)
def plain_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """No terminal, no colour, no language or Dask scheduler from outside."""
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "SERVSIM_DASK_SCHEDULER", "SERVSIM_LANG"):
        monkeypatch.delenv(name, raising=False)


def light(folder: Path, name: str, headcount: int = 5, **extra: Any) -> Path:
    """The M/M/5 at light load over a quarter of a day, staff paid 20 an hour."""
    data = yaml.safe_load(LIGHT.read_text(encoding="utf-8"))
    data.update(name=name, replications=2, horizon={"days": 0.25, "warm_up": 0})
    data["staff"]["front"][0].update(headcount=headcount, cost_per_hour=20)
    data.update(extra)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_cli(
    argv: list[str], width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """A command run at a terminal width (rich reads COLUMNS when output is not a terminal)."""
    monkeypatch.setenv("COLUMNS", str(width))
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def saved_path(out: str) -> Path:
    """The folder a command saved to: the last line that is a whole folder's path."""
    lines = out.splitlines()
    found = [Path(line) for line in lines if line.startswith("/") and Path(line).is_dir()]
    assert found, out
    assert lines[lines.index(str(found[-1])) - 1].endswith(":")  # "... written to:" above it
    return found[-1]


def table_cells(out: str) -> Iterator[list[str]]:
    """The cells of every table line (header and body), stripped, in order."""
    for line in out.splitlines():
        text = line.strip()
        if text[:1] in ("│", "┃"):
            yield [c.strip() for c in text.replace("┃", "│").strip("│").split("│")]


def label_column(out: str) -> str:
    """Every first cell of every table, joined with single spaces: where labels are read."""
    return " ".join(" ".join(c[0] for c in table_cells(out) if c and c[0]).split())


def check_layout(out: str, width: int, labels: Sequence[str], path: Path | None) -> None:
    """No line wider than ``width`` but the path; every label whole; the path on one line."""
    lines = out.splitlines()
    too_wide = [
        line for line in lines if cell_len(line) > width and (path is None or line != str(path))
    ]
    assert not too_wide, "\n".join(too_wide)
    assert not prose_breaks(out), prose_breaks(out)
    joined = label_column(out)
    for label in labels:
        assert " ".join(label.split()) in joined, (label, out)
    if path is not None:
        assert str(path) in lines, out  # alone on its line, never wrapped
        assert path.is_dir()


TABLE_LINE = re.compile(r"[│┃┏┓┗┛┡┩└┘┌┐├┤━─]")
"""A line drawn by a table (rows, rules): what is checked here is prose, between tables."""
UNIT_FIRST = re.compile(r"(?:%|p\. p\.|pp|ms|s|min|h|d|x|[A-Z]{2,5}|[$€£¥])(?=$|[\s,;:.)\]])")
NUMBER_LAST = re.compile(r"(?:^|[\s(\[])[-+−]?\d+(?:[.,]\d+)*$")
OPEN_INTERVAL = re.compile(r"\[[-+−]?\d[^\]]*$")


def prose_breaks(out: str) -> list[str]:
    """Where a line outside the tables breaks what a reader reads as one: a number and its unit
    (``84,4`` / ``% [80,3 % ..``), an interval (``[80,3 % ..`` / ``89,6 %]``); and any no-break
    space, which would not paste back as the space it looks like.
    """
    lines = out.splitlines()
    found = [f"no-break space: {line!r}" for line in lines if "\u00a0" in line]
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        if TABLE_LINE.search(line):
            continue
        if OPEN_INTERVAL.search(line):
            found.append(f"interval cut: {line.strip()!r} / {after.strip()!r}")
        elif (
            NUMBER_LAST.search(line.rstrip())
            and not TABLE_LINE.search(after)
            and UNIT_FIRST.match(after.strip())
        ):
            found.append(f"unit cut: {line.strip()!r} / {after.strip()!r}")
    return found


def labels(keys: Sequence[str], language: Language = "en") -> list[str]:
    return [CATALOGUE[key].label(language) for key in keys]


# --------------------------------------------------------------------------- each command


@pytest.mark.parametrize("width", WIDTHS)
def test_run_fits_and_shows_labels(
    width: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = light(tmp_path, "light")
    argv = ["run", str(path), "-o", str(tmp_path / "results"), "-q", "--by", "day"]
    code, out, _ = run_cli(argv, width, capsys, monkeypatch)
    assert code == 0
    shown = [*STANDARDS, "staff_cost", "cost_per_resolved_issue", "csat_mean"]
    check_layout(out, width, labels(shown), saved_path(out))
    assert "first_response_time" not in out and "staff_cost" not in out  # labels, not keys
    assert "staff cost" in out and re.search(r"\d EUR \.\. [\d,.]+ EUR", out)  # the currency


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_fits_marks_exact_costs_and_carries_the_currency(
    width: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four agents against six: staff cost differs by exactly 2 x 20 x 6 h in every replication."""
    usd = {"reporting": {"currency": "USD"}}
    four = light(tmp_path, "four", headcount=4, **usd)
    six = light(tmp_path, "six", headcount=6, **usd)
    argv = ["compare", str(four), str(six), "-r", "3", "--workers", "1", "-q"]
    code, out, _ = run_cli([*argv, "-o", str(tmp_path / "results")], width, capsys, monkeypatch)
    assert code == 0
    check_layout(out, width, labels([*STANDARDS, "staff_cost", "csat_mean"]), saved_path(out))
    for name in ("four (reference)", "six", "Δ six"):
        assert any(name in cells for cells in table_cells(out)), name
    staff_cost = [c for c in table_cells(out) if c[0] == "staff cost"]
    difference = staff_cost[-1][-1]  # the Δ column is the last one shown
    assert difference == "+240.00 USD (exact)", staff_cost
    assert not difference.endswith("*")
    verdict = next(line for line in out.splitlines() if line.startswith("six vs four"))
    assert "staff cost" not in verdict  # never counted as a significant difference
    assert "exact" in out and "staff cost" in out.split("exact (the same", 1)[1]


@pytest.mark.parametrize("width", WIDTHS)
def test_contact_levels_fit(
    width: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    high = light(tmp_path, "desk_high", contact_level="high")
    low = light(tmp_path, "desk_low", contact_level="low")
    argv = ["contact-levels", str(high), str(low), "-q", "-o", str(tmp_path / "results")]
    code, out, _ = run_cli(argv, width, capsys, monkeypatch)
    assert code == 0
    shown = labels([*STANDARDS, "cost_per_resolved_issue", "csat_mean", "nps"])
    check_layout(out, width, [*shown, "staff hours (all pools)"], saved_path(out))
    assert not re.search(r"\[[^\]]*\d, [-+]?\d[^\]]*\]", out)  # no [a, b] interval
    assert re.search(r"EUR \[[\d,.]+ EUR \.\. [\d,.]+ EUR\]", out)  # cost per resolved issue


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_fits(
    width: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = light(tmp_path, "light")
    argv = ["staff", str(path), "-t", "service_level>=0.8@20s", "-r", "2", "--workers", "1"]
    argv += ["-q", "-o", str(tmp_path / "results")]
    code, out, _ = run_cli(argv, width, capsys, monkeypatch)
    assert code == 0
    check_layout(out, width, ["service_level>=0.8@20s"], saved_path(out))
    cost = next(line for line in out.splitlines() if line.startswith("staff cost of the plan"))
    assert re.search(r"[\d,]+\.\d\d EUR per replication", cost), cost


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_and_its_failures_fit(
    width: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    light(tmp_path, "light")
    sweep = tmp_path / "bad.yaml"
    headcount = "staff.front.agents.headcount"
    parameters = {headcount: [5, -1]}
    spec = {"name": "bad", "base": "light.yaml", "replications": 2, "parameters": parameters}
    sweep.write_text(yaml.safe_dump(spec), encoding="utf-8")
    argv = ["sweep", str(sweep), "--workers", "1", "-q", "-o", str(tmp_path / "results")]
    code, out, _ = run_cli(argv, width, capsys, monkeypatch)
    assert code == 0
    check_layout(out, width, [], saved_path(out))
    failed = [cells for cells in table_cells(out) if cells[0] == "1"]
    assert failed and failed[0][1] == "-1", out


@pytest.mark.parametrize("width", WIDTHS)
def test_validate_fits_with_the_path_whole(
    width: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("a_folder_with_a_rather_long_name_" * 3)
    deep.mkdir()
    path = light(deep, "light")
    code, out, _ = run_cli(["validate", str(path)], width, capsys, monkeypatch)
    assert code == 0
    assert f"{path}: ok" in out.splitlines()
    assert all(cell_len(line) <= width for line in out.splitlines()[1:])


# --------------------------------------------------------------------------- language


@pytest.fixture(scope="module")
def spanish_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return light(tmp_path_factory.mktemp("es"), "ligero")


def _assert_spanish(out: str) -> None:
    for spanish in labels(STANDARDS, "es"):
        assert spanish in label_column(out), spanish
    assert "tiempo de primera respuesta" in out
    for english in labels(STANDARDS, "en"):
        assert english not in out, english
    for heading in ("indicador", "media", "IC del 95 %", "momentos de verdad", "arquetipo"):
        assert heading in out, heading
    assert "nivel de contacto mediano" in out


@pytest.mark.parametrize("where", ["before", "after"])
def test_lang_es_speaks_spanish(
    where: str,
    spanish_scenario: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["run", str(spanish_scenario), "--no-save", "-q"]
    argv = ["--lang", "es", *argv] if where == "before" else [*argv, "--lang", "es"]
    code, out, _ = run_cli(argv, 80, capsys, monkeypatch)
    assert code == 0
    _assert_spanish(out)
    check_layout(out, 80, labels(STANDARDS, "es"), None)


def test_servsim_lang_es_speaks_spanish(
    spanish_scenario: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVSIM_LANG", "es_ES.UTF-8")
    code, out, _ = run_cli(
        ["run", str(spanish_scenario), "--no-save", "-q"], 120, capsys, monkeypatch
    )
    assert code == 0
    _assert_spanish(out)
    code, out, _ = run_cli(
        ["--lang", "en", "run", str(spanish_scenario), "--no-save", "-q"], 120, capsys, monkeypatch
    )
    assert code == 0 and "first response time" in out  # --lang wins over the environment


def test_spanish_compare_saves_to_a_path_said_in_spanish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    four = light(tmp_path, "cuatro", headcount=4)
    six = light(tmp_path, "seis", headcount=6)
    argv = ["--lang", "es", "compare", str(four), str(six), "--workers", "1", "-q"]
    code, out, _ = run_cli([*argv, "-o", str(tmp_path / "r")], 80, capsys, monkeypatch)
    assert code == 0
    assert "comparación guardada en:" in out and "cuatro (referencia)" in out
    assert "+240,00 EUR (exacta)" in out and "coste de personal" in out
    assert "seis frente a cuatro" in out
    lines = out.splitlines()
    path = Path(lines[lines.index("comparación guardada en:") + 1])
    check_layout(out, 80, labels(STANDARDS, "es"), path)


@pytest.mark.parametrize("source", ["option", "environment"])
def test_a_language_servsim_does_not_speak_exits_2_naming_the_allowed(
    source: str,
    spanish_scenario: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["validate", str(spanish_scenario)]
    if source == "option":
        argv = ["--lang", "xx", *argv]
    else:
        monkeypatch.setenv("SERVSIM_LANG", "xx")
    code, out, err = run_cli(argv, 80, capsys, monkeypatch)
    assert code == 2
    assert "en, es" in err and "xx" in err and "Traceback" not in err
    assert out == ""


def test_report_is_built_in_the_language_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = light(tmp_path, "light")
    code, out, _ = run_cli(
        ["run", str(path), "-o", str(tmp_path / "r"), "-q"], 80, capsys, monkeypatch
    )
    assert code == 0
    folder = saved_path(out)
    for language in ("es", "en"):
        code, out, _ = run_cli(
            ["--lang", language, "report", str(folder)], 80, capsys, monkeypatch
        )
        assert code == 0, out
        page = (folder / "report.html").read_text(encoding="utf-8")
        assert f'<html lang="{language}"' in page


def test_every_cli_message_is_declared_in_both_languages() -> None:
    """Each ``say("key")`` of the CLI names a ``cli.key`` of messages.toml (checked for es)."""
    declared = set(messages())
    found = 0
    for source in SOURCES:
        for fstring, key in re.findall(r'say\(\s*(f?)"([^"]+)"', source.read_text("utf-8")):
            found += 1
            if fstring or key.endswith("."):  # a key built from a value: its family exists
                prefix = "cli." + key.split("{")[0]
                assert any(k.startswith(prefix) for k in declared), key
            else:
                assert f"cli.{key}" in declared, key
    assert found >= 60
    from typing import get_args

    from servsim.analysis import QUADRANTS, ArchetypeName

    for quadrant in QUADRANTS:  # the values those keys are built from
        assert "cli.quadrant." + quadrant.replace(" ", "_") in declared, quadrant
    for name in get_args(ArchetypeName):
        slug = name.replace(" ", "_")
        assert {f"cli.archetype.{slug}", f"cli.archetype.{slug}.description"} <= declared


# --------------------------------------------------------------------------- fitting, alone


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéñ", min_size=1, max_size=12)
phrases = st.lists(words, min_size=1, max_size=6).map(" ".join)
values = st.lists(
    st.text(alphabet="0123456789.,+-%", min_size=1, max_size=8), min_size=1, max_size=4
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(phrases, st.lists(values, min_size=3, max_size=3)), min_size=1, max_size=6),
    st.integers(min_value=40, max_value=130),
)
def test_a_fitted_grid_never_splits_a_word_nor_passes_the_width(
    rows: list[tuple[str, list[str]]], width: int
) -> None:
    grid = Grid(
        "a title",
        [Column("metric", key=True, justify="left"), *(Column(f"scenario {i}") for i in range(3))],
        caption="a caption that is long enough to wrap at the narrowest widths tried here",
    )
    for label, cells in rows:
        grid.add(label, *cells)
    console = Console(width=width, record=True, file=io.StringIO())
    tables = fitted(grid, width, Voice())
    for table in tables:
        console.print(table)
    out = console.export_text()
    assert all(cell_len(line) <= width for line in out.splitlines()), out
    joined = label_column(out)
    for label, cells in rows:
        assert label in joined, (label, out)
        for cell in cells:  # a value stays whole on one line when it fits beside the labels
            if cell_len(cell) <= width // 3:
                assert cell in out, (cell, out)
    assert sum(len(t.columns) - 1 for t in tables) == 3  # every value column, once


def test_results_tables_are_unchanged_by_the_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what a person reads is translated: the saved tables keep their keys."""
    path = light(tmp_path, "light")
    code, out, _ = run_cli(
        ["--lang", "es", "run", str(path), "-o", str(tmp_path / "r"), "-q"], 80, capsys, monkeypatch
    )
    assert code == 0
    summary = pd.read_csv(saved_path(out) / "summary.csv", index_col=0)
    assert "first_response_time" in summary.index


def test_an_exact_sensitivity_is_not_marked_significant(monkeypatch: pytest.MonkeyPatch) -> None:
    """contact-levels --derive: an effect the same in every replication is written as exact."""
    import servsim.derive
    from servsim.cli import _print_sensitivities
    from servsim.derive import SENSITIVITY_COLUMNS
    from servsim.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "bank_account_high.yaml")
    effects = pd.DataFrame(
        [
            [scenario.name, "high", "one_more_agent", "staff_cost", 160.0, 160.0, 160.0],
            [scenario.name, "high", "trained_front_line", "csat_mean", 0.2, 0.1, 0.3],
        ],
        columns=list(SENSITIVITY_COLUMNS),
    )
    monkeypatch.setattr(servsim.derive, "sensitivities", lambda *_args: effects)
    spoken: tuple[tuple[Language, str, str, str], ...] = (
        ("en", "(exact)", "160.00", "+0.20 [+0.10 .. +0.30]"),
        ("es", "(exacta)", "160,00", "+0,20 [+0,10 .. +0,30]"),  # the decimal comma
    )
    for language, exact, cost, interval in spoken:
        console = Console(width=80, record=True, file=io.StringIO())
        _print_sensitivities([scenario], 2, 1, console, Voice(language, "EUR"))
        out = console.export_text()
        assert f"+{cost} EUR {exact}" in out, out
        assert "*" not in out and f"{cost} EUR [" not in out
        assert interval in out  # a real interval keeps its low .. high
        assert all(cell_len(line) <= 80 for line in out.splitlines())


# --------------------------------------------------------------------------- prose lines


@pytest.mark.parametrize("language", ["en", "es"])
def test_prose_never_breaks_a_number_from_its_unit_at_any_width(
    language: str,
    spanish_scenario: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13: ``servsim --lang es run`` at 120 columns ended a line with ``84,4`` and began
    the next with ``% [80,3 % .. 89,6 %]``. The goal line, the moment levels and the archetype
    line, at every width from 60 to 120: no number cut from its unit, no interval cut, no line
    wider than the terminal, and every word of the sentence still there.
    """
    argv = ["--lang", language, "run", str(spanish_scenario), "--no-save", "-q"]
    _, out, _ = run_cli(argv, 400, capsys, monkeypatch)  # each sentence on one line
    sentences = [line for line in out.splitlines() if line[:1].isalnum()]
    best = text("term.level.5", language)  # type: ignore[arg-type]
    assert len(sentences) >= 3 and any(re.search(rf"5 {best} [\d.,]+ ?%", s) for s in sentences)
    for width in range(60, 121):
        code, out, _ = run_cli(argv, width, capsys, monkeypatch)
        assert code == 0
        assert not prose_breaks(out), (width, prose_breaks(out))
        assert all(cell_len(line) <= width for line in out.splitlines()), (width, out)
        prose = " ".join(" ".join(line.split()) for line in out.splitlines())
        for sentence in sentences:  # every word still there, in order, only the breaks move
            assert " ".join(sentence.split()) in prose, (width, sentence, out)


def test_a_warning_wraps_at_free_spaces_in_its_colour(tmp_path: Path) -> None:
    """The yellow prefix stays yellow, units stay with their numbers, a path stays whole."""
    path = tmp_path / ("a_long_folder_name_" * 4) / "results.csv"
    line = Text.assemble(
        ("warning: ", "yellow"),
        f"99,5 % [98,9 % .. 100,0 %] of 1.234,50 EUR by 20 s, written to {path} at 3,2 p. p.",
    )
    console = Console(width=40, record=True, file=io.StringIO(), color_system="truecolor")
    print_prose(console, line, whole=[str(path)])
    out = console.export_text()
    assert not prose_breaks(out), out
    assert str(path) in out.splitlines()  # wider than the console, never cut
    assert all(cell_len(line) <= 40 for line in out.splitlines() if line != str(path))
    assert " ".join(out.split()) == line.plain.strip()
    pieces = wrapped(line, 40, whole=[str(path)])
    assert pieces[0].spans[0].style == "yellow" and pieces[0].plain.startswith("warning: ")
    styled = wrapped(Text("  a note that is long enough to wrap twice at thirty", "yellow"), 30)
    assert [p.plain for p in styled] == [
        "  a note that is long enough",
        "  to wrap twice at thirty",
    ]
    assert all(p.style == "yellow" for p in styled)  # continuation lines keep indent and colour


numbers = st.from_regex(r"[-+]?\d{1,3}([.,]\d)?", fullmatch=True)
units = st.sampled_from(["%", "p. p.", "pp", "s", "min", "h", "d", "x", "EUR", "USD"])
measures = st.builds("{} {}".format, numbers, units)
intervals = st.builds("[{} .. {}]".format, measures, measures)
means = st.builds("{} {}".format, measures, intervals)  # a mean and its interval
tokens = st.one_of(words, numbers, measures, intervals, means)


@settings(max_examples=200, deadline=None)
@given(st.lists(tokens, min_size=1, max_size=30).map(" ".join), st.integers(50, 130))
def test_wrapped_breaks_only_at_free_spaces(sentence: str, width: int) -> None:
    """Generated sentences of words, numbers, measures and intervals, at any width: every line
    fits, the lines joined by one space give the sentence back, nothing read as one is cut."""
    lines = [piece.plain for piece in wrapped(sentence, width)]
    assert all(cell_len(line) <= width for line in lines), lines
    assert " ".join(lines) == sentence
    assert not prose_breaks("\n".join(lines)), lines
