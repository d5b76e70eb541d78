"""The layer contracts: data flows one way through servsim's modules (docs/architecture.md).

`lint-imports` (import-linter) reads the contracts in pyproject.toml and checks every import,
also those inside functions. A second test proves the check can fail: it copies the package,
adds one upward import hidden inside a function, and expects the contract to break.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "servsim"


def _lint(cwd: Path, src: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    command = [str(lint)] if lint.exists() else [sys.executable, "-m", "importlinter.cli"]
    return subprocess.run(
        [*command, "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_layer_contract_holds() -> None:
    result = _lint(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_inside_a_function_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "src" / "servsim", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    errors = tmp_path / "src" / "servsim" / "scenario" / "errors.py"
    errors.write_text(
        errors.read_text()
        + "\n\ndef _sneaky() -> None:\n    from servsim.cli import main  # upward\n\n    main([])\n"
    )
    result = _lint(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "servsim.scenario.errors -> servsim.cli" in result.stdout


def _is_submodule(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


def test_no_module_imports_the_public_api_package() -> None:
    """``import servsim`` loads every layer; a module inside the package never needs it."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("__init__.py", "__main__.py") and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "servsim" and node.level == 0:
                names = [a.name for a in node.names if not _is_submodule(a.name)]
                if names:  # ``from servsim import plots`` names a module, not the API
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {names}")
            if isinstance(node, ast.Import) and any(a.name == "servsim" for a in node.names):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders
