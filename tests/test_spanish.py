"""Issue 13: Spanish numbers, warnings as data, and Spanish texts where English was left."""

from __future__ import annotations

import contextlib
import html
import io
import json
import math
import re
import shutil
import typing
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import servsim
from servsim.cli import main
from servsim.language import Language, messages
from servsim.notices import FieldValue, Notice, notices_from_manifest
from servsim.presentation import (
    format_number,
    format_share,
    format_value,
    formatter,
    localised,
    mean_cell,
    parse_number,
)
from servsim.replication import RunWarning
from servsim.report import build_report

FINITE = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(FINITE)
def test_spanish_numbers_round_trip(value: float) -> None:
    """A value written the Spanish way (``1.234,50``) reads back as the English one does."""
    english = format(value, ",.2f")
    spanish = localised(english, "es")
    assert parse_number(spanish, "es") == pytest.approx(round(value, 2), abs=0.006)
    assert parse_number(spanish, "es") == parse_number(english, "en")
    integer, _, decimals = spanish.lstrip("-").partition(",")
    assert len(decimals) == 2 and "," not in integer
    assert all(len(group) == 3 for group in integer.split(".")[1:])  # thousands by points


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_money_in_spanish_is_the_english_value(value: float) -> None:
    english = format_value(value, "money", "EUR", "en").removesuffix(" EUR")
    spanish = format_value(value, "money", "EUR", "es")
    assert spanish.endswith(" EUR")
    assert parse_number(spanish.removesuffix(" EUR"), "es") == parse_number(english, "en")


def test_the_spanish_convention_on_known_values() -> None:
    assert format_value(1234.5, "money", "EUR", "es") == "1.234,50 EUR"
    assert format_value(1234.5, "money", "EUR") == "1,234.50 EUR"  # English unchanged
    assert format_value(0.844, "share", language="es") == "84,4 %"
    assert format_value(0.844, "share") == "84.4%"
    assert formatter(0.05, "share", signed=True, language="es")(0.05) == "+5,0 p. p."
    assert mean_cell(257.6, 200.0, 300.0, "seconds", language="es") == (
        "257,6 s [200,0 s .. 300,0 s]"
    )
    assert format_value(math.nan, "money", "EUR", "es") == "-"


# --------------------------------------------------------------------------- warnings as data

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"
SOURCE = ROOT / "src" / "servsim"


@pytest.fixture(scope="module")
def overloaded_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An overloaded pool (4 agents for 5 Erlangs), run in Spanish through the CLI and saved."""
    folder = tmp_path_factory.mktemp("overloaded")
    scenario = servsim.load_scenario(TEXTBOOK).with_overrides(
        {"horizon.days": 0.5, "horizon.warm_up": 0, "staff.front.agents.headcount": 4}
    )
    path = folder / "over.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json", exclude_none=True)))
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--lang", "es", "run", str(path), "-r", "2", "-q", "-o", str(folder / "r")])
    assert code == 0
    (run,) = (folder / "r" / "mmc_textbook").iterdir()
    return run, errors.getvalue()


def _span(values: pd.Series, write: Callable[[float], str]) -> str:
    low, high = write(float(values.min())), write(float(values.max()))
    return low if low == high else f"{low}–{high}"


def _expected_overload(run: Path, language: Language) -> str:
    """The overload sentence computed from the saved per-replication table, not the manifest."""
    table = pd.read_csv(run / "replications.csv")
    assert (table["waiting_at_horizon[agents]"] > 20).all()  # the pool left a queue
    busy = _span(table["occupancy[agents]"], lambda v: format_share(v, language))
    waiting = _span(
        table["waiting_at_horizon[agents]"], lambda v: format_number(v, ",.0f", language)
    )
    if language == "es":
        return (
            f"el grupo 'agents' está sobrecargado en 2 de 2 réplicas: ocupado el {busy} "
            f"de su tiempo en planta, {waiting} clientes aún esperando en el horizonte."
        )
    return (
        f"pool 'agents' overloaded in 2 of 2 replications: busy {busy} of its time on the "
        f"floor, {waiting} customers still waiting at the horizon."
    )


def test_a_spanish_run_says_its_warning_in_spanish_with_the_right_numbers(
    overloaded_run: tuple[Path, str],
) -> None:
    run, err = overloaded_run
    expected = _expected_overload(run, "es")
    assert "%" in expected and " %" in expected  # 98 %: the Spanish percent
    assert "aviso: " + expected in " ".join(err.split()), err
    assert "overloaded" not in err


def test_the_manifest_saves_the_warning_as_data_beside_its_english_text(
    overloaded_run: tuple[Path, str],
) -> None:
    run, _ = overloaded_run
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    (saved,) = manifest["warnings"]
    assert saved["code"] == "overload"
    table = pd.read_csv(run / "replications.csv")
    busy = saved["fields"]["busy"]
    assert busy["low"] == pytest.approx(table["occupancy[agents]"].min())
    assert busy["high"] == pytest.approx(table["occupancy[agents]"].max())
    assert saved["fields"]["replications"] == 2 == saved["fields"]["of"]
    assert saved["text"].startswith(_expected_overload(run, "en"))
    assert Notice.from_json(saved).render("en") == saved["text"]


def test_the_report_says_the_saved_warning_in_either_language(
    overloaded_run: tuple[Path, str],
) -> None:
    run, _ = overloaded_run
    for language in ("es", "en"):
        page = build_report(run, language).read_text(encoding="utf-8")
        items = re.findall(r'<li class="warning">(.*?)</li>', page, re.DOTALL)
        assert len(items) == 1
        assert html.unescape(items[0]).startswith(_expected_overload(run, language))


def test_an_old_manifest_of_text_warnings_still_reports(
    overloaded_run: tuple[Path, str], tmp_path: Path
) -> None:
    """A run saved before warnings were data: its English text is shown as saved."""
    run, _ = overloaded_run
    old = tmp_path / "old"
    shutil.copytree(run, old)
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    english = manifest["warnings"][0]["text"]
    manifest["warnings"] = [english, "replication 1: the counts file ends early"]
    manifest.pop("stopping_notice", None)
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    page = build_report(old, "es").read_text(encoding="utf-8")
    items = [html.unescape(i) for i in re.findall(r'<li class="warning">(.*?)</li>', page)]
    assert items[0].startswith(english)  # with the count it says, in the report's language
    assert "(en 2 de 2 réplicas)" in items[0]
    assert items[1] == "the counts file ends early"
    assert notices_from_manifest(manifest["warnings"]) == manifest["warnings"]


def test_every_warning_code_used_in_the_source_is_declared_and_every_one_used() -> None:
    """``Notice("code", ...)`` names ``warning.code`` of messages.toml, in both languages."""
    used: set[str] = set()
    for source in SOURCE.rglob("*.py"):
        body = source.read_text("utf-8")
        for first, second in re.findall(
            r'Notice\(\s*"([^"]+)"(?:\s+if\s[^\n]*?\selse\s+"([^"]+)")?', body
        ):
            used |= {first, second} - {""}
    used |= {"overload", "backlog"}  # Notice(kind, ...): the kinds of RunWarning
    assert set(get_args(typing.get_type_hints(RunWarning)["kind"])) == {"overload", "backlog"}
    warnings = {k.removeprefix("warning.") for k in messages() if k.startswith("warning.")}
    notes = {k.removeprefix("note.") for k in messages() if k.startswith("note.")}
    assert len(used) >= 20
    assert used <= warnings | notes, used - warnings - notes
    assert warnings | notes <= used, (warnings | notes) - used  # no sentence left behind


def test_the_contact_levels_report_names_archetypes_in_the_seeds_spanish() -> None:
    from servsim.folder_report import _archetype, _Page

    page = _Page(Path("."), "es", [])
    assert [_archetype(page, a) for a in ("freezer", "factory", "friendly zoo")] == [
        "congelador",
        "fábrica",
        "zoológico amistoso",
    ]
    assert _archetype(page, "quality service") == "servicio de calidad"
    assert _archetype(page, "something new") == "something new"  # unknown: as saved
    assert _archetype(_Page(Path("."), "en", []), "friendly zoo") == "friendly zoo"


def test_library_notes_speak_spanish() -> None:
    from servsim.warmup import WarmupSuggestion

    suggestion = WarmupSuggestion(3600.0, 12, 100, 3)
    assert suggestion.describe().startswith("suggested warm-up: 60 min (3600 s)")
    assert suggestion.notice().render("es").startswith("calentamiento sugerido: 60 min")
    fields: dict[str, FieldValue] = {"scenario": "s", "change": "+1", "pool": "a", "level": 0.8126}
    step = Notice("staffing_step", fields, "note")
    assert step.render("es") == "s: +1 a por turno, nivel de servicio 81,3 %"
    assert str(step) == "s: +1 a per shift, service level 81.3%"


# --------------------------------------------------------------------------- review of issue 13


def test_a_target_is_written_as_set_and_a_difference_in_the_unit_of_its_interval() -> None:
    from servsim.presentation import difference_cell, format_duration

    assert format_duration(60.0, "es") == "60 s"
    assert format_duration(20.0) == "20 s"
    assert format_duration(90.0, "es") == "90 s"
    assert format_duration(1800.0) == "30 min"
    assert format_duration(750.0, "es") == "12,5 min"
    # a difference near 0 with a wide interval: minutes, not thousands of seconds
    assert difference_cell(-514.0, -5009.5, 3981.5, "seconds", language="es") == (
        "-8,6 min [-83,5 min .. +66,4 min]"
    )


def test_spanish_messages_space_the_percent_sign_and_use_the_decimal_comma() -> None:
    """``IC del 95 %`` as the numbers are written (``84,4 %``), never ``95%`` or ``0.15``."""
    for key, entry in messages().items():
        spanish = entry["es"]
        assert not re.search(r"\d%", spanish), (key, spanish)
        assert not re.search(r"(?<![\w.{])\d+\.\d+(?![\w}])", spanish), (key, spanish)


def test_the_spanish_run_report_writes_performance_and_counts_in_spanish(
    overloaded_run: tuple[Path, str],
) -> None:
    run, _ = overloaded_run
    page = html.unescape(build_report(run, "es").read_text(encoding="utf-8"))
    summary = page.split('id="summary"', 1)[1].split("</section>", 1)[0]
    cells = re.findall(r"<td[^>]*>([+-]\d+[.,]\d\d)(?: \(\d [^)]+\))?</td>", summary)
    assert cells and all("," in cell for cell in cells), cells
    assert "antes de 60,0 s" not in page and "en 20 s" in page  # the textbook's 20 s target


def test_a_saved_time_reads_as_a_person_writes_it() -> None:
    from servsim.report import readable_time

    assert readable_time("2026-12-05T07:22:38+00:00") == "2026-12-05 07:22 UTC"
    assert readable_time("2026-12-05T08:22:38+01:00") == "2026-12-05 07:22 UTC"
    assert readable_time("not a time") == "not a time"
