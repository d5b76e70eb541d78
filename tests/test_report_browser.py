"""The report as a manager opens it: ``report.html`` loaded in headless Chromium, and its figures.

No Python browser package: a copy of the page, beside it so the relative figure paths still
resolve, gets a small script first in its ``<head>``. The script records page errors,
``console.error`` calls and resources that failed to load; on ``load`` it checks every image
arrived, measures the page against the viewport and lists what sticks out, then writes its
findings as JSON into ``<pre id="servsim-check">``. Chromium is run with ``--dump-dom`` at three
window widths and the JSON is read back from the dumped DOM.

Chromium comes from Debian (``.ci/run`` installs it with apt-get when it is missing). Without it
these tests fail, saying so; ``SERVSIM_NO_BROWSER=1`` turns that failure into a skip.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from matplotlib.image import imread

from servsim.cli import main
from servsim.report import FIGURES, build_report, referenced_figures

ROOT = Path(__file__).parents[1]
SCENARIO = ROOT / "scenarios" / "bank_account_medium.yaml"

WIDTHS = (1280, 800, 500)
LAPTOP = 1280
"""Window widths: a laptop, half a screen, and the narrowest window headless Chromium opens."""
HEIGHT = 900
SECTIONS = (
    "summary",
    "inputs",
    "blueprint",
    "intervals",
    "standards",
    "satisfaction",
    "figures",
)
"""The ``<section id>``s report.py writes, each with an ``<h2>``."""
LANGUAGES = ("en", "es")
FIGURE_COUNT = 6
"""Figures of one language's report: interval view, waits, levels, importance-performance,
day by day, staffing."""

MAX_PIXELS = 4000
MAX_BYTES = 2 * 1024 * 1024
CHECK_ID = "servsim-check"

CHECK_SCRIPT = """
(function () {
  var found = {errors: [], console_errors: [], failed_resources: []};
  window.addEventListener('error', function (event) {
    var target = event.target;
    if (target && target !== window && (target.src || target.href)) {
      found.failed_resources.push(target.tagName + ' ' + (target.src || target.href));
    } else {
      found.errors.push(String(event.message) + ' at ' + event.filename + ':' + event.lineno);
    }
  }, true);
  window.addEventListener('unhandledrejection', function (event) {
    found.errors.push('unhandled rejection: ' + String(event.reason));
  });
  var consoleError = console.error;
  console.error = function () {
    found.console_errors.push(Array.prototype.map.call(arguments, String).join(' '));
    return consoleError.apply(console, arguments);
  };
  function describe(element) {
    var text = element.tagName.toLowerCase();
    if (element.id) { text += '#' + element.id; }
    if (element.className && typeof element.className === 'string') {
      text += '.' + element.className.trim().split(/\\s+/).join('.');
    }
    var section = element.closest('section');
    return section && section !== element ? text + ' in section#' + section.id : text;
  }
  function scrolled(element) {
    for (var up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      var overflow = getComputedStyle(up).overflowX;
      if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') { return true; }
    }
    return false;
  }
  window.addEventListener('load', function () {
    // the width the page can use: innerWidth less the vertical scrollbar
    var width = document.documentElement.clientWidth;
    found.viewport = [window.innerWidth, window.innerHeight];
    found.client_width = width;
    found.scroll_width = document.documentElement.scrollWidth;
    found.images = Array.prototype.map.call(document.images, function (image) {
      return {src: image.getAttribute('src'), complete: image.complete,
              natural: [image.naturalWidth, image.naturalHeight],
              shown_width: image.getBoundingClientRect().width};
    });
    found.too_wide = [];
    found.scrollable = [];
    function sticksOut(element) {
      var box = element.getBoundingClientRect();
      return box.right > width + 0.5 || box.left < -0.5;
    }
    Array.prototype.forEach.call(document.body.querySelectorAll('*'), function (element) {
      // only the outermost element that sticks out, not each of its rows and cells
      if (!sticksOut(element) || sticksOut(element.parentElement)) { return; }
      var box = element.getBoundingClientRect();
      var line = describe(element) + ' spans ' + Math.round(box.left) + '..' +
                 Math.round(box.right) + ' px';
      (scrolled(element) ? found.scrollable : found.too_wide).push(line);
    });
    found.title = document.title;
    found.h1 = Array.prototype.map.call(document.querySelectorAll('h1'), function (h) {
      return h.textContent;
    });
    found.sections = Array.prototype.map.call(document.querySelectorAll('section'),
      function (section) {
        var heading = section.querySelector('h2');
        return {id: section.id, heading: heading ? heading.textContent : null};
      });
    var out = document.createElement('pre');
    out.id = 'servsim-check';
    out.hidden = true;
    out.textContent = JSON.stringify(found);
    document.body.appendChild(out);
  });
})();
"""


def browser() -> str:
    """The Chromium executable; fails (or skips with SERVSIM_NO_BROWSER=1) when there is none."""
    found = shutil.which(os.environ.get("SERVSIM_CHROMIUM", "chromium"))
    if found:
        return found
    if os.environ.get("SERVSIM_NO_BROWSER") == "1":
        pytest.skip("chromium is missing and SERVSIM_NO_BROWSER=1: no browser check of the report")
    pytest.fail(
        "chromium is missing, so the report cannot be checked in a browser. `.ci/run` installs "
        "it (apt-get install -y --no-install-recommends chromium); set SERVSIM_NO_BROWSER=1 to "
        "skip this check instead.",
        pytrace=False,
    )


def with_check(page: Path) -> Path:
    """A copy of the page beside it, the check script first in its head (after the charset)."""
    text = page.read_text(encoding="utf-8")
    script = f"<script>{CHECK_SCRIPT}</script>"
    charset = '<meta charset="utf-8">'
    if charset in text:
        checked_text = text.replace(charset, charset + script, 1)
    else:
        checked_text, count = re.subn(r"<head[^>]*>", lambda m: m.group(0) + script, text, count=1)
        assert count == 1, "the report has no <head>"
    checked = page.with_name(page.stem + ".browser-check.html")
    checked.write_text(checked_text, encoding="utf-8")
    return checked


def load_in_chromium(executable: str, page: Path, width: int) -> dict[str, Any]:
    """Load the page in headless Chromium at ``width`` x HEIGHT; the check script's findings."""
    checked = with_check(page)
    try:
        with tempfile.TemporaryDirectory(prefix="servsim-chromium-") as profile:
            completed = subprocess.run(
                [
                    executable,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    f"--user-data-dir={profile}",
                    "--dump-dom",
                    f"--window-size={width},{HEIGHT}",
                    "--virtual-time-budget=10000",
                    checked.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
    finally:
        checked.unlink(missing_ok=True)
    stderr_tail = "\n".join(completed.stderr.splitlines()[-15:])
    assert completed.returncode == 0, f"chromium exited {completed.returncode}:\n{stderr_tail}"
    match = re.search(rf'<pre id="{CHECK_ID}"[^>]*>(.*?)</pre>', completed.stdout, re.DOTALL)
    assert match is not None, f"the check script wrote no findings (no load event?):\n{stderr_tail}"
    findings: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return findings


def problems(findings: dict[str, Any], width: int) -> list[str]:
    """What is wrong with the page as loaded, in words (empty when it is fine)."""
    out: list[str] = []
    if findings["viewport"][0] != width:
        out.append(f"the window is {findings['viewport'][0]} px wide, not {width}")
    out += [f"page error: {e}" for e in findings["errors"]]
    out += [f"console.error: {e}" for e in findings["console_errors"]]
    out += [f"failed to load: {r}" for r in findings["failed_resources"]]
    for image in findings["images"]:
        if not image["complete"] or image["natural"][0] <= 0:
            out.append(f"image did not load: {image['src']} {image}")
    if findings["scroll_width"] > findings["client_width"]:
        out.append(
            f"horizontal overflow: the page is {findings['scroll_width']} px wide in a window "
            f"{findings['client_width']} px wide (less the scrollbar)"
        )
    out += [f"wider than the viewport: {line}" for line in findings["too_wide"]]
    if not findings["h1"]:
        out.append("no <h1>")
    sections = {s["id"]: s["heading"] for s in findings["sections"]}
    for name in SECTIONS:
        if name not in sections:
            out.append(f"missing section #{name}")
        elif not (sections[name] or "").strip():
            out.append(f"section #{name} has no <h2>")
    return out


# --------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bank_account_medium over 3 days, 2 replications (about 2 s), and its reports.

    ``report.html`` is the page of the last language built, so each language's page is kept
    beside it as ``report-<language>.html`` (same folder: the figure paths still resolve).
    """
    folder = tmp_path_factory.mktemp("report_browser")
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    data["horizon"] = {"days": 3, "warm_up": "2h"}
    scenario = folder / "bank_account_medium.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    results = folder / "results"
    assert main(["run", str(scenario), "-r", "2", "-o", str(results), "-q"]) == 0
    (run,) = (results / "bank_account_medium").iterdir()
    for language in LANGUAGES:
        page = build_report(run, language)
        shutil.copyfile(page, run / f"report-{language}.html")
    return run


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_report_in_chromium(run_dir: Path, width: int, language: str) -> None:
    """No error, every image loaded, nothing wider than the window, every section there."""
    executable = browser()
    report = run_dir / f"report-{language}.html"
    findings = load_in_chromium(executable, report, width)
    page = report.read_text(encoding="utf-8")
    assert len(findings["images"]) == len(referenced_figures(page)) == FIGURE_COUNT
    found = problems(findings, width)
    assert not found, f"{report.name} at {width}x{HEIGHT}:\n" + "\n".join(found)
    if width >= LAPTOP:  # a laptop shows (and prints) every table whole, none scrolled aside
        assert findings["scrollable"] == [], findings["scrollable"]


def test_the_check_sees_a_broken_page(tmp_path: Path) -> None:
    """The check is not blind: a missing image, an error, a too-wide element are all reported."""
    executable = browser()
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head><body>'
        '<section id="standards"><h2>s</h2><img src="figures/missing.png" alt="x">'
        '<div style="width: 1500px">wide</div></section>'
        "<script>console.error('boom'); undefined_function();</script></body></html>",
        encoding="utf-8",
    )
    found = "\n".join(problems(load_in_chromium(executable, page, 800), 800))
    for expected in (
        "console.error: boom",
        "page error: Uncaught ReferenceError: undefined_function",
        "failed to load: IMG",
        "image did not load: figures/missing.png",
        "horizontal overflow",
        "wider than the viewport: div in section#standards",
        "missing section #figures",
        "no <h1>",
    ):
        assert expected in found, f"{expected!r} not in:\n{found}"


# --------------------------------------------------------------------------- figures


def test_every_figure_is_a_drawn_png_of_sensible_size(run_dir: Path) -> None:
    figures = sorted((run_dir / FIGURES).glob("*.png"))
    assert len(figures) == FIGURE_COUNT * len(LANGUAGES)
    for path in figures:
        size = path.stat().st_size
        assert 0 < size < MAX_BYTES, f"{path.name}: {size} bytes"
        pixels = np.asarray(imread(path))
        height, width = pixels.shape[:2]
        assert 0 < width <= MAX_PIXELS and 0 < height <= MAX_PIXELS, f"{path.name}: {pixels.shape}"
        assert float(pixels.var()) > 0.0, f"{path.name} is blank"
