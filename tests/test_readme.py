"""Every example in the README works as written: shell commands, Python and YAML.

A README command that claims to work is run here; a YAML block is either a shipped file (and
must equal it) or a fragment of the README's helpdesk (and must validate and run once merged).
A new block the test does not know fails, so no example goes unchecked.
"""

from __future__ import annotations

import copy
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import servsim
from servsim.scenario import resolve_scenario
from servsim.scenario.timetable import daily_rates

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w+)\n(.*?)```", README, re.S)]
HELPDESK = ROOT / "scenarios" / "helpdesk.yaml"


def blocks(language: str) -> list[str]:
    return [text for lang, text in BLOCKS if lang == language]


def commands() -> list[str]:
    """Each servsim command of the README's shell blocks, comments stripped."""
    found = []
    for text in blocks("bash"):
        for line in text.splitlines():
            command = line.split(" #", 1)[0].strip()
            for part in command.split("&&"):
                if part.strip().startswith("servsim "):
                    found.append(part.strip())
    return found


def test_the_readme_has_the_two_set_up_commands_and_ci_runs_the_second() -> None:
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    shell = re.findall(r"```bash\n(.*?)```", setup, re.S)
    assert [s.strip() for s in shell] == [
        "pip install -e . && servsim run scenarios/bank_account_high.yaml",
        'pip install -e ".[test]" && python -m pytest',
    ]
    assert 'pip install -e ".[test]" && python -m pytest' in (ROOT / ".ci" / "run").read_text()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped scenarios and sweeps, so commands write their results there."""
    folder = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "sweeps"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


@pytest.mark.parametrize("command", commands())
def test_every_readme_command_runs(command: str, workspace: Path) -> None:
    args = shlex.split(command)
    env = {**os.environ, "COLUMNS": "120"}
    done = subprocess.run(
        [sys.executable, "-m", "servsim", *args[1:]],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_the_readme_commands_cover_each_command_shown() -> None:
    shown = {c.split()[1] for c in commands()}
    assert {"run", "compare", "sweep", "contact-levels"} <= shown


def test_the_python_example_runs_and_its_numbers_are_right(monkeypatch: pytest.MonkeyPatch) -> None:
    (code,) = blocks("python")
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    checked = 0
    for line in code.splitlines():
        match = re.match(r"^(\S.*?)\s+#\s*([0-9.]+)\s*$", line)
        if match:
            value = eval(match.group(1), namespace)
            digits = len(match.group(2).split(".")[1])
            assert round(value, digits) == float(match.group(2)), line
            checked += 1
    assert checked >= 1


def _named_merge(base: Any, patch: Any) -> Any:
    """Deep-merge a README fragment into a scenario; lists of named items merge by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _named_merge(base[key], value) if key in base else value
        return out
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in base + patch)
    ):
        merged = {item["name"]: item for item in base}
        for item in patch:
            merged[item["name"]] = _named_merge(merged.get(item["name"], {}), item)
        return list(merged.values())
    return patch


def _helpdesk() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(HELPDESK.read_text(encoding="utf-8"))
    return data


def test_every_yaml_block_is_a_shipped_file_or_a_working_fragment() -> None:
    handled = 0
    for text in blocks("yaml"):
        data = yaml.safe_load(text)
        if text.startswith("name: helpdesk"):
            assert text == HELPDESK.read_text(encoding="utf-8")
            servsim.load_scenario(HELPDESK)
        elif "base" in data:
            shipped = yaml.safe_load((ROOT / "sweeps" / "staffing.yaml").read_text())
            assert data == shipped
        elif set(data) == {"variants"}:
            assert data["variants"] == _helpdesk()["variants"]
        elif "calendar" in data:
            continue  # the week: its own test below
        else:
            scenario = servsim.validate_scenario(_named_merge(_helpdesk(), data))
            resolve_scenario(scenario)
        handled += 1
    assert handled == len(blocks("yaml")) - 1


def test_the_readme_week_runs_with_its_monday_peak_and_holiday() -> None:
    (text,) = [t for t in blocks("yaml") if "calendar" in yaml.safe_load(t)]
    data = copy.deepcopy(_helpdesk()) | yaml.safe_load(text)
    scenario = resolve_scenario(servsim.validate_scenario(data))
    rates = daily_rates(scenario.arrivals, scenario.calendar, scenario.horizon.length)
    per_day = [sum((end - start) * rate for start, end, rate in day) for day in rates]
    monday, tuesday, holiday, saturday = per_day[0], per_day[1], per_day[9], per_day[5]
    assert monday / tuesday == pytest.approx(1.15, abs=0.01)
    assert holiday == saturday == 0
    result = servsim.simulate(scenario, replications=1, seed=1)
    visits = result.records.visits
    arrived = result.records.customers["arrived"].to_numpy()
    assert not np.isin(np.floor(arrived / 86400).astype(int) + 1, [6, 7, 10, 13, 14]).any()
    row = result.replications.iloc[0]
    assert row["occupancy[agents]"] <= 1.0
    assert not ((visits["touchpoint"] == "callback") & (visits["outcome"] == "abandoned")).any()


def test_the_readme_helpdesk_is_not_overloaded() -> None:
    """The README's example must not teach a verdict on an overloaded service."""
    result = servsim.simulate(servsim.load_scenario(HELPDESK), replications=3, seed=1)
    assert result.overloaded == ()
    assert not [w for w in result.warnings if "overloaded" in w]
    occupancy = result.summary.filter(like="occupancy[", axis=0)["mean"]
    assert len(occupancy) == 3 and (occupancy < 0.85).all()
