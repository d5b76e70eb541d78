"""Reading scenario files: safe YAML, located errors and validation into the scenario as written.

Resolution (the presets) is not done here: a scenario is resolved once, where it is run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from servsim.scenario.errors import ScenarioError
from servsim.scenario.schema import Scenario, validate_data

__all__ = ["load_scenario", "parse_yaml", "read_yaml_file", "validate_scenario"]


def read_yaml_file(path: str | Path, what: str = "scenario") -> Any:
    """Read one YAML file safely, every failure a located :class:`ScenarioError`.

    Shared by scenario and sweep files: a missing file, a folder, a binary file or invalid YAML
    is reported with the file's name, never as a traceback.

    Args:
        path: the file.
        what: what the file should be, for messages ("scenario", "sweep").

    Raises:
        ScenarioError: the file is missing, a folder, not UTF-8 text, or not YAML.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, ["file not found"])
    if path.is_dir():
        raise ScenarioError(source, [f"is a folder, not a {what} file"])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(source, ["not a text file (expected YAML in UTF-8)"]) from None
    except OSError as exc:
        raise ScenarioError(source, [f"cannot be read: {exc.strerror}"]) from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [_yaml_problem(exc)]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file: the scenario as written.

    YAML is read with the safe loader only: a tag that would construct a Python object is an
    error. A scenario without a ``name`` takes the file's stem.

    Raises:
        ScenarioError: the file is missing, empty, not YAML, or not a valid scenario.
    """
    path = Path(path)
    source = str(path)
    data = read_yaml_file(path)
    if data is None:
        raise ScenarioError(
            source, ["the file is empty; a scenario is a YAML mapping (see `servsim schema`)"]
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [f"the top level must be a mapping of fields, not a {type(data).__name__}"]
        )
    data.setdefault("name", re.sub(r"[^A-Za-z0-9_.\-]", "_", path.stem) or "scenario")
    return validate_scenario(data, source=source, base_dir=path.parent)


def validate_scenario(
    data: Any, source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate raw scenario data (a mapping) into the scenario as written.

    Field problems and cross-field problems (of the parts that are valid) come together.

    Raises:
        ScenarioError: with one located problem per error.
    """
    return validate_data(data, source=source, base_dir=base_dir)


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice: YAML would silently keep only the last."""


class _StrictSafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader (no object construction) that also refuses duplicated keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(
                    None, None, f"the key '{key}' appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """Parse YAML safely (no object construction) and refuse duplicated keys.

    Raises:
        yaml.YAMLError: the text is not valid YAML, or a key appears twice.
    """
    return yaml.load(text, Loader=_StrictSafeLoader)  # a SafeLoader: constructs no objects


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, DuplicateKeyError):
        return f"{where}{problem}; give each field once"
    if isinstance(exc, yaml.constructor.ConstructorError):
        return f"{where}YAML tags that construct objects are not allowed ({problem})"
    return f"{where}not valid YAML: {problem}"
