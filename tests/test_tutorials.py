"""The tutorials' commands run, and the numbers they quote are what the commands produce."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorials" / "contact-levels.md"
TEXT = TUTORIAL.read_text(encoding="utf-8")


def commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", TEXT, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def quoted_table(heading: str) -> pd.DataFrame:
    """The first metric table after ``heading``: metric rows, one column per level."""
    section = TEXT.split(heading, 1)[1]
    rows = re.findall(r"^\| (\w+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", section, re.M)
    first = []
    for row in rows:  # the first table only: stop at a metric seen twice
        if any(row[0] == r[0] for r in first):
            break
        first.append(row)
    table = pd.DataFrame(first, columns=["metric", "high", "medium", "low"]).set_index("metric")
    return table.astype(float)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tutorial")
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    return folder


@pytest.fixture(scope="module")
def outputs(workspace: Path) -> dict[str, str]:
    found = {}
    for command in commands():
        args = shlex.split(command)
        assert args[0] == "servsim", command
        done = subprocess.run(
            [sys.executable, "-m", "servsim", *args[1:], "-o", "results"],
            cwd=workspace,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "120"},
            timeout=600,
        )
        assert done.returncode == 0, (command, done.stderr[-2000:])
        found[command] = done.stdout
    return found


def test_the_tutorial_has_its_commands() -> None:
    assert len(commands()) == 2
    assert all(c.startswith("servsim contact-levels") for c in commands())


def test_the_numbers_quoted_for_the_trio_are_what_it_produces(
    outputs: dict[str, str], workspace: Path
) -> None:
    levels = pd.read_csv(workspace / "levels.csv")
    means = levels.pivot(index="metric", columns="contact_level", values="mean")
    quoted = quoted_table("## 1.")
    assert len(quoted) >= 5
    for metric, row in quoted.iterrows():
        for level in ("high", "medium", "low"):
            assert round(float(means.loc[metric, level]), 2) == pytest.approx(row[level]), (
                metric,
                level,
            )


def test_the_numbers_quoted_for_the_derived_levels_are_what_it_produces(
    outputs: dict[str, str], workspace: Path
) -> None:
    (folder,) = (workspace / "results" / "contact-levels" / "bank_account_medium").iterdir()
    saved = pd.read_csv(folder / "comparison.csv")
    means = saved.pivot(index="metric", columns="contact_level", values="mean")
    for metric, row in quoted_table("## 2.").iterrows():
        for level in ("high", "medium", "low"):
            assert round(float(means.loc[metric, level]), 2) == pytest.approx(row[level])
    staffing = pd.read_csv(folder / "staffing.csv").set_index(["contact_level", "pool"])
    quoted = re.search(r"`compliance (\S+)` against `(\S+)`", TEXT)
    assert quoted is not None
    assert staffing.loc[("high", "compliance"), "headcount_per_shift"] == quoted.group(1)
    assert staffing.loc[("medium", "compliance"), "headcount_per_shift"] == quoted.group(2)
    assert (folder / "tradeoff.png").is_file() and (folder / "sensitivities.csv").is_file()
