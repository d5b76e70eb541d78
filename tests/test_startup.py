"""The light commands start fast: no pandas, scipy, pyarrow or matplotlib for them (issue 10).

Timing belongs in bench/; what is tested here is what gets imported, which decides the time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "pyarrow", "matplotlib", "simpy", "dask")

PROBE = """
import json, sys
from servsim.entry import main
try:
    code = main({argv!r})
except SystemExit as exit:
    code = exit.code
print(json.dumps({{"code": code, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["run", "--help"],
        ["validate", str(ROOT / "scenarios" / "helpdesk.yaml")],
        ["validate", str(ROOT / "scenarios" / "bank_account_low.yaml")],
        ["schema"],
        ["run", "--no-such-option"],
    ],
)
def test_light_commands_load_no_heavy_library(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["heavy"] == [], report
    assert report["code"] in (0, 2)


def test_import_servsim_is_light_until_a_name_is_used() -> None:
    probe = (
        f"import sys, servsim; before = [m for m in {HEAVY!r} if m in sys.modules]; "
        "servsim.simulate; after = 'pandas' in sys.modules; "
        "print(before, after, callable(servsim.compare), callable(servsim.sweep))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["[]", "True", "True", "True"]
