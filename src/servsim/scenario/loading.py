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
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ScenarioError(
                source, [f"larger than {MAX_YAML_BYTES // 1_000_000} MB: not a {what} file?"]
            )
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


MAX_YAML_BYTES = 10_000_000
"""The largest scenario or sweep file read: ten times the largest trace-driven scenario."""
MAX_YAML_DEPTH = 100
"""The deepest nesting of lists and mappings (a scenario needs about 8)."""
MAX_YAML_VALUES = 2_000_000
"""The most values a document may hold once its aliases are expanded (billion laughs)."""

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (50x faster), the pure-Python one else."""


class YamlLimitError(yaml.YAMLError):
    """A document that is valid YAML but too big, too deep or with an unusable key."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class DuplicateKeyError(YamlLimitError):
    """A mapping names the same key twice: YAML would silently keep only the last."""


class _StrictSafeLoader(_BaseLoader):  # type: ignore[valid-type, misc]
    """PyYAML's safe loader (no object construction) that also refuses duplicated keys.

    Merge keys (``<<: *defaults``) are allowed: a key given next to a merge overrides the merged
    one, as YAML defines. A list or mapping used as a key is refused with its line.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise YamlLimitError(
                    f"a key must be a name or a number, not a {type(key).__name__}",
                    key_node.start_mark,
                ) from None
            if key in seen:
                raise DuplicateKeyError(
                    f"the key '{_short_text(key)}' appears twice in one mapping",
                    key_node.start_mark,
                )
            seen.add(key)
        return dict(super().construct_mapping(node, deep=deep))

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Construct one value; a scalar Python cannot hold (an int of 5,000 digits) is located."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            reason = str(exc).split(";")[0]
            raise YamlLimitError(
                f"'{_short_text(node.value)}' cannot be read: {reason}", node.start_mark
            ) from None


def _short_text(value: Any) -> str:
    text = value if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _check_limits(text: str) -> None:
    """Walk the document's events (no values are built) and refuse what would not fit.

    Counting while parsing, before anything is constructed, is what stops an alias bomb: each
    anchor's size is known when it closes, and an alias adds that size without copying.

    Raises:
        YamlLimitError: the text is too long, nested too deeply, or expands to too many values.
    """
    if len(text) > MAX_YAML_BYTES:
        raise YamlLimitError(f"the file is larger than {MAX_YAML_BYTES // 1_000_000} MB")
    parser = _BaseLoader(text)
    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, values before it) per open list/map
    values = 0
    try:
        while parser.check_event():
            event: yaml.Event = parser.get_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.AliasEvent):
                values += sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.ScalarEvent):
                values += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                open_nodes.append((event.anchor, values))
                values += 1
                if len(open_nodes) > MAX_YAML_DEPTH:
                    raise YamlLimitError(
                        f"lists and mappings nested more than {MAX_YAML_DEPTH} deep",
                        event.start_mark,
                    )
            elif isinstance(event, yaml.CollectionEndEvent) and open_nodes:
                anchor, before = open_nodes.pop()
                if anchor is not None:
                    sizes[anchor] = values - before
            if values > MAX_YAML_VALUES:
                raise YamlLimitError(
                    f"the document expands to more than {MAX_YAML_VALUES:,} values "
                    "(aliases repeating aliases?)",
                    event.start_mark,
                )
    except yaml.MarkedYAMLError as exc:
        # PyYAML >= 6.0.4 caps flow nesting in its scanner, which reads a line of brackets
        # ahead of the events counted above: say it in the same words as the count would
        if "nesting depth" not in str(exc.problem):
            raise
        raise YamlLimitError(
            f"lists and mappings nested more than {MAX_YAML_DEPTH} deep", exc.problem_mark
        ) from None
    finally:
        parser.dispose()


def parse_yaml(text: str) -> Any:
    """Parse YAML safely (no object construction) within size, depth and alias limits.

    Raises:
        yaml.YAMLError: the text is not valid YAML, a key appears twice or is not a plain value,
            or a limit is passed (:class:`YamlLimitError`).
    """
    _check_limits(text)
    loader = _StrictSafeLoader(text)  # a SafeLoader: constructs no objects
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context and not isinstance(exc, yaml.constructor.ConstructorError):
        problem = f"{context}, {problem}"
    if isinstance(exc, DuplicateKeyError):
        return f"{where}{problem}; give each field once"
    if isinstance(exc, YamlLimitError):
        return f"{where}{problem}"
    if isinstance(exc, yaml.constructor.ConstructorError):
        if "constructor for the tag" in problem:
            return f"{where}YAML tags that construct objects are not allowed ({problem})"
        return f"{where}{problem}"
    return f"{where}not valid YAML: {problem}"
