"""Screenshots of every report kind, in English and Spanish, for the README (docs/images/).

Runs the public commands on shipped scenarios into a scratch folder, builds each report in
both languages with ``servsim --lang LANG report FOLDER`` and photographs the top of each page
with Debian's headless ``chromium`` (never downloaded). The pictures are cut to the page's
first screens and shrunk to 960 px wide so the repository stays small.

    python tools/report_screenshots.py            # writes docs/images/report-<kind>-<lang>.png

Why a script and not a test: screenshots are documentation, refreshed by hand when a report
changes; tests/test_report_browser.py and tests/test_folder_reports.py check the pages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
KINDS: dict[str, list[str]] = {
    "run": ["run", "scenarios/bank_account_medium.yaml", "-r", "3"],
    "compare": ["compare", "scenarios/helpdesk.yaml", "-r", "3"],
    "contact-levels": [
        "contact-levels",
        "scenarios/bank_account_medium.yaml",
        "--derive",
        "-r",
        "3",
    ],
    "sweep": ["sweep", "sweeps/staffing.yaml"],
    "staffing": [
        "staff",
        "scenarios/helpdesk.yaml",
        "--target",
        "service_level>=0.8@60s",
        "--pools",
        "agents",
        "-r",
        "3",
    ],
}
"""The command whose saved folder each report kind is built from."""
WIDTH, HEIGHT, SHOWN = 1280, 2200, 960


def _servsim(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "servsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    if done.returncode != 0:
        raise SystemExit(f"servsim {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _saved_folder(output: str, cwd: Path) -> Path:
    """The folder a command printed as saved (the line after "results written to:")."""
    lines = [line.strip() for line in output.splitlines()]
    for i, line in enumerate(lines):
        if line.endswith(":") and i + 1 < len(lines) and (cwd / lines[i + 1]).is_dir():
            return cwd / lines[i + 1]
    found = sorted((cwd / "results").rglob("manifest.json"), key=lambda p: p.stat().st_mtime)
    return found[-1].parent


def _photograph(page: Path, target: Path, browser: str) -> None:
    raw = target.with_suffix(".raw.png")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={WIDTH},{HEIGHT}",
            f"--screenshot={raw}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with Image.open(raw) as image:
        shown = image.convert("RGB").resize((SHOWN, round(image.height * SHOWN / image.width)))
        shown.quantize(colors=128).save(target, optimize=True)
    raw.unlink()


def main() -> None:
    """Build every report kind in both languages and photograph each page's top."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--browser", default=os.environ.get("SERVSIM_CHROMIUM", "chromium"))
    options = parser.parse_args()
    if shutil.which(options.browser) is None:
        raise SystemExit(f"no {options.browser} on PATH: install Debian's chromium")
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for name in ("scenarios", "sweeps"):
            shutil.copytree(ROOT / name, work / name)
        for kind, command in KINDS.items():
            folder = _saved_folder(_servsim([*command, "-o", "results"], work), work)
            for language in ("en", "es"):
                _servsim(["--lang", language, "report", str(folder)], work)
                target = options.out / f"report-{kind}-{language}.png"
                _photograph(folder / "report.html", target, options.browser)
                print(f"{target.relative_to(ROOT)}  ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
