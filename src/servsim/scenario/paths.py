"""Dotted-path overrides of scenario data: ``staff.front.agents.headcount``, ``staff.front[0]``."""

from __future__ import annotations

import re
from typing import Any

from servsim.scenario.errors import ScenarioError, unknown_name

__all__ = ["set_path"]


def set_path(data: Any, path: str, value: Any) -> None:
    """Set ``value`` at a dotted path in plain data; list items by index or by ``name``."""
    parts = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    if not parts:
        raise ScenarioError("overrides", [f"empty path '{path}'"])
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part, path)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    node[part] = {}
                node = node[part]
        else:
            raise ScenarioError("overrides", [f"{path}: '{part}' is below a plain value"])


def _list_index(node: list[Any], part: str, path: str) -> int:
    if part.isdigit():
        index = int(part)
        if index >= len(node):
            raise ScenarioError(
                "overrides", [f"{path}: index {index} out of range ({len(node)} items)"]
            )
        return index
    names = [item.get("name") for item in node if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    allowed = [str(n) for n in names]
    raise ScenarioError("overrides", [f"{path}: {unknown_name('item', part, allowed)}"])
